import { checkVec3 } from "../arguments.ts";
import { AbortedError, ArgumentError, throwIfAborted } from "../errors.ts";
import { CoordinateTransformer } from "../geometry/transformer.ts";
import type { Interpolation, OutputSpec, Vec3 } from "../geometry/types.ts";
import type { BatchRecorder } from "../gpu/batch-recorder.ts";
import type { GpuContext } from "../gpu/context.ts";
import type { CellMapAnnotation, NgffMultiscale } from "../ngff/types.ts";
import type { WorkerPool } from "../worker/pool.ts";
import type { ExecutorInfo } from "../engine/cpu-executor.ts";
import { CpuBackend, GpuBackend, type BackendOutput, type ResampleBackend } from "./backend.ts";
import { chunksInBox } from "./chunk-grid.ts";
import type { ChunkId } from "./chunk-id.ts";
import { type ChunkSource, loadChunk } from "./chunk-load.ts";
import { deformSample } from "./deform-sample.ts";
import { linkSignals } from "./link-signals.ts";
import { type CellMapArrayOptions, openArray, type OpenedArray } from "./open-array.ts";
import type { LevelInfo } from "./open-multiscale.ts";
import { checkOutputBuffer, checkRead, type CheckedRead, READ_INTO_KEYS, READ_KEYS, type ReadOptions, type SampleSpec } from "./read-options.ts";
import { checkSampleOutput, readBack } from "./sample-output.ts";
import { groupSamples, groupTables, planSamples } from "./sample-plan.ts";
import type { SharedBudgetStats, SharedCacheBudget } from "./shared-budget.ts";
import { SlotCache, type CacheStats } from "./slot-cache.ts";
import { bytesPerElement } from "../kernels/chunks/contract.ts";

export { DEFAULT_CACHE_BYTES } from "./cache-size.ts";
export type { CellMapArrayOptions } from "./open-array.ts";
export type { ReadOptions, SampleSpec } from "./read-options.ts";

/** {@link CellMapArray.stats}: the cache's counters and where resampling runs. */
export interface ArrayStats extends CacheStats {
  readonly executor: ExecutorInfo | { readonly kind: "gpu"; readonly workers: 0; readonly reason: string };
  /**
   * The budget this array's cache shares with the device's other arrays (arrays opened without
   * `cacheBytes`): its bytes, what every member holds now (CPU: chunks; GPU: cache buffers), and
   * how many arrays share it.
   */
  readonly shared?: SharedBudgetStats;
}

/** Openings of arrays in this thread, numbered from a random start (pools may outlive one module instance). */
let nextOpening = Math.floor(Math.random() * 2 ** 30);

/**
 * One OME-NGFF multiscale array, streamed chunk by chunk into a fixed-budget
 * cache (GPU memory, or CPU memory with `device: "cpu"`) and resampled per
 * sample by one affine: output index -> source voxel.
 *
 * @example
 * ```ts
 * const gpu = await GpuContext.create();
 * const raw = await CellMapArray.open("https://host/jrc.zarr/recon-1/em/fibsem-uint8", { gpu });
 * const out = await raw.sample([{ center: [5000, 8000, 8000] }], { shape: [64, 64, 64], scale: [8, 8, 8] });
 * raw.destroy();
 * ```
 */
export class CellMapArray {
  readonly url: string;
  readonly multiscale: NgffMultiscale;
  readonly levels: readonly LevelInfo[];
  readonly annotation: CellMapAnnotation | undefined;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly device: "gpu" | "cpu";
  readonly #pool: WorkerPool;
  readonly #ownsPool: boolean;
  readonly #chunks: ChunkSource;
  readonly #backend: ResampleBackend;
  readonly #cache: SlotCache<ChunkId>;
  readonly #slotWords: number;
  readonly #transformers = new Map<string, CoordinateTransformer>();
  /** Recorders whose unsubmitted work holds pins in this array's cache. */
  readonly #holders = new Set<BatchRecorder>();
  /** This opening of the array: workers keep what they learn of it (missing shards) for it alone. */
  readonly #opening = nextOpening++;
  #destroyed = false;
  readonly #budget: SharedCacheBudget | undefined;
  /** Aborted by {@link destroy}: ends every read and wait of this array still running. */
  readonly #life = new AbortController();

  private constructor(a: OpenedArray) {
    const { opened, backend } = a;
    this.url = opened.url;
    this.multiscale = opened.multiscale;
    this.levels = opened.levels;
    this.annotation = opened.annotation;
    this.attributes = opened.attributes;
    this.device = a.device;
    this.#pool = a.pool;
    this.#ownsPool = a.ownsPool;
    this.#backend = backend;
    this.#slotWords = a.slotWords;
    this.#chunks = {
      url: opened.url,
      levels: opened.levels,
      ids: a.ids,
      spatialDims: opened.multiscale.spatialDims,
      opening: this.#opening,
      storeOptions: a.storeOptions,
      pool: a.pool,
    };
    this.#cache = new SlotCache<ChunkId>({
      slotCount: a.slotCount,
      slotBytes: a.slotWords * 4,
      load: (id, signal) => loadChunk(this.#chunks, id, signal),
      describe: (id) => a.ids.describe(id),
      upload: (slot, words) => backend.upload(slot, words),
      ...(a.budget ? { budget: a.budget } : {}),
      ...(a.budget && backend instanceof GpuBackend ? { resize: (slots: number, moves: ReadonlyArray<readonly [number, number]>) => backend.resize(slots, moves) } : {}),
      flush: () => this.#flushHolders(),
    });
    this.#budget = a.budget;
  }

  /** Open a multiscale group (URL or local path) and set up its chunk cache. */
  static async open(location: string, options: CellMapArrayOptions = {}): Promise<CellMapArray> {
    return new CellMapArray(await openArray(location, options));
  }

  /**
   * Cache counters (hits, misses, bytes fetched and resident, budget, requests in flight) and
   * where resampling runs (`executor`: the GPU, the CPU executor's workers or the calling thread,
   * and why).
   */
  get stats(): ArrayStats {
    const b = this.#backend;
    const executor: ExecutorInfo | { kind: "gpu"; workers: 0; reason: string } = b instanceof CpuBackend ? b.executor : { kind: "gpu", workers: 0, reason: "device is gpu" };
    return { ...this.#cache.stats, executor, ...(this.#budget ? { shared: this.#budget.stats } : {}) };
  }

  /**
   * The cache's slot count: the chunks it can hold at once (sharing a GPU device's budget, at
   * most: `stats.budgetBytes` says what it holds now).
   */
  get cacheSlots(): number {
    return this.#cache.slotCount;
  }

  /**
   * The GPU chunk-cache buffer (GPU device only), for consumers that read it directly. Sharing
   * its device's budget, the cache gets a new buffer when it grows or shrinks: read this anew.
   */
  get gpuCache(): GPUBuffer | undefined {
    return this.#backend instanceof GpuBackend ? this.#backend.cache : undefined;
  }

  /**
   * The per-array part of the coordinate transform for an output grid; cached,
   * so the level choice and NGFF transforms are worked out once per grid.
   */
  transformer(output: OutputSpec, interp: Interpolation = "linear"): CoordinateTransformer {
    const key = `${output?.shape?.join(",")}|${output?.scale?.join(",")}|${interp}`;
    let t = this.#transformers.get(key);
    if (!t) {
      const checked = { shape: checkVec3("shape", output?.shape, "shape"), scale: checkVec3("scale", output?.scale, "scale") };
      t = new CoordinateTransformer(this.levels, checked, interp);
      this.#transformers.set(key, t);
    }
    return t;
  }

  /** Chunk-grid coordinates (z, y, x) of the chunks one sample reads (displaced reads included). */
  chunksForSample(spec: SampleSpec, options: OutputSpec & { interp?: Interpolation }): Vec3[] {
    const t = this.transformer(options, options?.interp ?? "linear");
    const st = t.forSample(checkVec3("spec.center", spec?.center, "point"), spec.augment);
    const box = spec.deform ? deformSample(t, st, spec.deform).box : st.box;
    return box ? chunksInBox(box, this.levels[t.level]!.chunks).coords : [];
  }

  /**
   * Resample a batch of samples into a new Float32Array `[batch, z, y, x]`
   * (one readback for the whole batch on the GPU), or into `options.out`, which
   * must hold exactly that many values (a CPU array then writes nothing else).
   *
   * With `outStride`, sample `b` is written at `out[b * outStride]` on: the samples of one
   * class into a `[batch, class, z, y, x]` array, say, with `outStride` = classes × voxels and
   * `out` a view starting at the class. Nothing between the samples is written.
   *
   * @example
   * ```ts
   * const out = new Float32Array(B * C * V); // [B, C, z, y, x]
   * await mito.sample(specs, { shape, scale, interp: "nearest", out: out.subarray(c * V), outStride: C * V });
   * ```
   *
   * @throws {ArgumentError} when `out` has another length (with `outStride`: is shorter than
   *   the last sample's end), or `outStride` is less than one sample
   */
  async sample(specs: readonly SampleSpec[], options: ReadOptions & { out?: Float32Array; outStride?: number }): Promise<Float32Array> {
    const read = this.#checkRead("sample", specs, options, READ_KEYS);
    const given = options.out;
    const n = checkSampleOutput(specs.length, read, given, this.device, () => this.#gpu(), options.outStride);
    const per = read.shape[0] * read.shape[1] * read.shape[2];
    const stride = options.outStride ?? per;
    if (this.device === "cpu") {
      const data = given ?? new Float32Array(n);
      await this.#run(specs, read, { kind: "cpu", data, stride });
      return data;
    }
    return await readBack(this.#gpu(), this.url, n, given, (out) => this.#run(specs, read, out), { per, stride });
  }

  /**
   * Resample a batch straight into a GPU buffer (f32 `[batch, z, y, x]` at
   * `byteOffset`), leaving it on the device for a WebGPU consumer. Resolves when
   * the work is submitted. `buffer` needs `STORAGE`, and `COPY_DST` too when `byteOffset`
   * (or a split of a call larger than the cache) is not a multiple of the device's
   * `minStorageBufferOffsetAlignment`: such output is written through a copy.
   *
   * With `recorder`, the work is recorded into the recorder's encoder instead of submitted, and
   * the chunks it reads stay pinned until the recorder submits (one submit for a whole batch).
   *
   * @throws {ArgumentError} on `buffer` when a copy is needed and the buffer lacks `COPY_DST`.
   */
  async sampleInto(specs: readonly SampleSpec[], options: ReadOptions & { buffer: GPUBuffer; byteOffset?: number; recorder?: BatchRecorder }): Promise<void> {
    if (this.device !== "gpu") throw new ArgumentError("device", 'must be "gpu" to write GPU buffers', this.device);
    const read = this.#checkRead("sampleInto", specs, options, READ_INTO_KEYS);
    const byteOffset = checkOutputBuffer(specs.length, read, options);
    const buffer = options.buffer;
    await this.#run(specs, read, { kind: "gpu", buffer, byteOffset, ...(options.recorder ? { recorder: options.recorder } : {}) });
  }

  /** Check a read's specs and options before anything is allocated; the output grid as z, y, x vectors. */
  #checkRead(where: "sample" | "sampleInto", specs: readonly SampleSpec[], options: ReadOptions, keys: readonly string[]): CheckedRead {
    if (this.#destroyed) throw new ArgumentError("array", `was destroyed; open it again to ${where}`);
    return checkRead(where, specs, options, keys);
  }

  async #run(specs: readonly SampleSpec[], options: CheckedRead, out: BackendOutput): Promise<void> {
    if (this.#destroyed) throw new ArgumentError("array", "was destroyed");
    const link = linkSignals(options.signal, this.#life.signal);
    try {
      await this.#runLinked(specs, { ...options, signal: link.signal }, out);
    } finally {
      link.dispose();
    }
  }

  async #runLinked(specs: readonly SampleSpec[], options: CheckedRead, out: BackendOutput): Promise<void> {
    const interp = options.interp ?? "linear";
    if (interp !== "linear" && interp !== "nearest") throw new ArgumentError("interp", 'must be "linear" or "nearest"', interp);
    const t = this.transformer(options, interp);
    const level = this.levels[t.level]!;
    const per = options.shape[0] * options.shape[1] * options.shape[2];
    const plans = planSamples(t, level, this.#chunks.ids, specs);
    // A GPU array sharing its device's budget is capped by that budget: say which knob to turn.
    const raise = this.#budget && this.device === "gpu" ? "the GPU's shared budget (GpuContext.create({ cacheBytes })) or the array's own cacheBytes" : "cacheBytes";
    const groups = groupSamples(plans, this.#cache.slotCount, this.#slotWords, this.url, raise);
    for (const group of groups) {
      throwIfAborted(options.signal, `sampling ${this.url}`);
      const recorder = out.kind === "gpu" ? out.recorder : undefined;
      // Recorded into a batch: the slots stay pinned until the batch is submitted.
      // A wait for a free slot first submits every batch holding this cache's slots.
      const acquired = await this.#cache.acquire(group.flatMap((i) => plans[i]!.keys), options.signal, () => this.#flushHolders());
      let recorded = false;
      try {
        throwIfAborted(options.signal, `sampling ${this.url}`);
        const { samples, table } = groupTables(group, plans, acquired.slots);
        await this.#backend.run(
          {
            outShape: options.shape,
            batch: group.length,
            chunkShape: level.chunks,
            kind: level.kind,
            volShape: level.shape,
            interp,
            pad: options.pad ?? 0,
            fill: level.fillValue,
            slotWords: this.#slotWords,
          },
          samples,
          table,
          out,
          group[0]! * (out.kind === "cpu" ? (out.stride ?? per) : per),
          { ...(options.signal ? { signal: options.signal } : {}), what: `resampling ${group.length} samples of ${this.url}` },
        );
        recorded = true;
      } finally {
        if (recorder && recorded) {
          this.#holders.add(recorder);
          recorder.done(() => {
            this.#holders.delete(recorder);
            acquired.release();
          });
          if (this.#cache.waiting) recorder.flush();
        } else {
          acquired.release();
        }
      }
    }
  }

  #flushHolders(): void {
    for (const r of [...this.#holders]) r.flush();
  }

  #gpu(): GpuContext {
    const b = this.#backend;
    if (!(b instanceof GpuBackend)) throw new ArgumentError("device", 'is not "gpu"', this.device);
    return b.context;
  }

  /** Bytes per voxel of the cached data of a level. */
  bytesPerVoxel(level = 0): number {
    return bytesPerElement(this.levels[level]!.kind);
  }

  /** Free the cache (and the worker pool if this array created it). */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#life.abort(new AbortedError(`${this.url}: the array was destroyed`));
    this.#cache.detach();
    this.#backend.destroy();
    if (this.#ownsPool) this.#pool.destroy();
    else this.#pool.forget(this.#opening);
  }
}
