import { ARRAY_OPEN_KEYS, checkArrayOpenOptions, checkOptions, checkVec3, isPlainObject } from "../arguments.ts";
import { AbortedError, ArgumentError, BudgetError, GpuError, throwIfAborted } from "../errors.ts";
import { CoordinateTransformer } from "../geometry/transformer.ts";
import type { Interpolation, OutputSpec, Vec3 } from "../geometry/types.ts";
import type { GpuContext } from "../gpu/context.ts";
import type { ResampleSample } from "../kernels/resample/contract.ts";
import type { DeformField } from "../augment/deform.ts";
import type { CellMapAnnotation, NgffMultiscale } from "../ngff/types.ts";
import type { HttpStoreOptions } from "../store/http.ts";
import { WorkerPool } from "../worker/pool.ts";
import { CpuBackend, GpuBackend, type BackendOutput, type ResampleBackend } from "./backend.ts";
import { chunkKey, chunksInBox } from "./chunk-grid.ts";
import { checkDeformField, deformSample } from "./deform-sample.ts";
import { linkSignals } from "./link-signals.ts";
import { openMultiscale, type LevelInfo } from "./open-multiscale.ts";
import { SlotCache, type CacheStats } from "./slot-cache.ts";
import { type DeviceChoice, resolveDevice } from "./device.ts";
import { bytesPerElement, slotWords } from "../kernels/chunks/contract.ts";
import { openCpuExecutor, type ExecutorInfo } from "../engine/cpu-executor.ts";
import { defaultCacheBytes, MIN_DEFAULT_CACHE_BYTES } from "./cache-budget.ts";

/**
 * The floor of the default chunk-cache budget (64 MiB), and the default where system memory is
 * unknown; the default itself is a share of system memory (`defaultCacheBytes`, cache-budget.ts).
 */
export const DEFAULT_CACHE_BYTES = MIN_DEFAULT_CACHE_BYTES;

/** Bytes one `sample()` call may return on the CPU device at most (4 GiB): past that, a BudgetError. */
const MAX_CPU_OUTPUT_BYTES = 2 ** 32;

const GRID_KEYS = ["shape", "scale", "interp", "pad", "signal"] as const;
const READ_KEYS = [...GRID_KEYS, "out"] as const;
const READ_INTO_KEYS = [...GRID_KEYS, "buffer", "byteOffset"] as const;

/** Read options, checked: the output grid as z, y, x vectors. */
type CheckedRead = Omit<ReadOptions, "shape" | "scale"> & OutputSpec;

/** {@link CellMapArray.stats}: the cache's counters and where resampling runs. */
export interface ArrayStats extends CacheStats {
  readonly executor: ExecutorInfo | { readonly kind: "gpu"; readonly workers: 0; readonly reason: string };
}

/** Options of {@link CellMapArray.open}. */
export interface CellMapArrayOptions {
  /** GPU to resample on; required for `device: "gpu"` (the default when given). */
  gpu?: GpuContext;
  /**
   * "gpu" (WGSL resampling, GPU chunk cache), "cpu" (the CPU twin, cache in host memory) or "auto"
   * ("gpu" on a hardware adapter, "cpu" on a software one or without `gpu`; see
   * {@link resolveDevice}); default "gpu" if `gpu` is given.
   */
  device?: DeviceChoice;
  /**
   * Chunk-cache budget in bytes (default 1/16 of system memory, at least 64 MiB: see
   * `src/array/cache-budget.ts`): capped one slot below the GPU's storage binding limit, and at
   * the array's chunk count (over all levels), so a small array allocates only what it can use.
   * `stats.budgetBytes` is the allocation.
   */
  cacheBytes?: number;
  /** Worker pool for fetching and decoding; one is created (and owned) if omitted. */
  pool?: WorkerPool;
  /** Workers of the pool created when `pool` is omitted (0 = read on the calling thread). */
  workers?: number;
  /**
   * Sample workers of the CPU executor (device "cpu"): resampling runs in that many workers over
   * a chunk cache in shared memory; default one per core, shared by every array of the thread
   * with the same count. 0, or a page that is not cross-origin isolated, resamples on the
   * calling thread instead; `stats.executor` says which ran and why.
   */
  cpuWorkers?: number;
  /** HTTP store options: retries, backoff, concurrency, headers. */
  storeOptions?: HttpStoreOptions;
  signal?: AbortSignal;
}

/**
 * One sample to read: its world center, optional augmentation matrix A (row-major z, y, x) and
 * optional elastic deformation: output voxel at offset `o` from the center (world units) is read
 * at `center + A·(o + d(o))`, `d` the field's displacement (`src/augment/deform.ts`).
 */
export interface SampleSpec {
  /** World center z, y, x (`as const` tuples accepted). */
  center: Readonly<Vec3>;
  augment?: ArrayLike<number>;
  deform?: DeformField;
}

/** How to read samples: the output grid, interpolation and pad value. */
export interface ReadOptions {
  /** Output voxels per axis (z, y, x): three positive integers. */
  shape: readonly number[];
  /** Output voxel size per axis (z, y, x), world units: three positive numbers. */
  scale: readonly number[];
  /** "linear" for raw intensities (default), "nearest" for labels. */
  interp?: Interpolation;
  /** Value outside the volume (default 0; NaN allowed). */
  pad?: number;
  signal?: AbortSignal;
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
  readonly #storeOptions: HttpStoreOptions | undefined;
  readonly #backend: ResampleBackend;
  readonly #cache: SlotCache;
  readonly #slotWords: number;
  readonly #transformers = new Map<string, CoordinateTransformer>();
  /** This opening of the array: workers keep what they learn of it (missing shards) for it alone. */
  readonly #opening = nextOpening++;
  #destroyed = false;
  /** Aborted by {@link destroy}: ends every read and wait of this array still running. */
  readonly #life = new AbortController();

  private constructor(
    opened: Awaited<ReturnType<typeof openMultiscale>>,
    device: "gpu" | "cpu",
    pool: WorkerPool,
    ownsPool: boolean,
    backend: ResampleBackend,
    slotCountWords: { slotCount: number; slotWords: number },
    storeOptions: HttpStoreOptions | undefined,
  ) {
    this.url = opened.url;
    this.multiscale = opened.multiscale;
    this.levels = opened.levels;
    this.annotation = opened.annotation;
    this.attributes = opened.attributes;
    this.device = device;
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    this.#backend = backend;
    this.#storeOptions = storeOptions;
    this.#slotWords = slotCountWords.slotWords;
    this.#cache = new SlotCache({
      slotCount: slotCountWords.slotCount,
      slotBytes: slotCountWords.slotWords * 4,
      load: (key, signal) => this.#loadChunk(key, signal),
      upload: (slot, words) => backend.upload(slot, words),
    });
  }

  /** Open a multiscale group (URL or local path) and set up its chunk cache. */
  static async open(location: string, options: CellMapArrayOptions = {}): Promise<CellMapArray> {
    if (typeof location !== "string" || location === "") {
      throw new ArgumentError("location", "must be the URL or path of a multiscale group (e.g. https://host/data.zarr/recon-1/em/fibsem-uint8)", location);
    }
    checkOptions("CellMapArray.open", options, ARRAY_OPEN_KEYS);
    checkArrayOpenOptions(options as Record<string, unknown>);
    const device = resolveDevice(options.device, options.gpu);
    if (device === "gpu" && !options.gpu) {
      throw new ArgumentError("gpu", 'is required for device "gpu": pass a GpuContext (GpuContext.create()) or use device "cpu"');
    }
    const openOpts: Parameters<typeof openMultiscale>[1] = {};
    if (options.storeOptions) openOpts.storeOptions = options.storeOptions;
    if (options.signal) openOpts.signal = options.signal;
    const opened = await openMultiscale(location, openOpts);
    const words = Math.max(...opened.levels.map((l) => slotWords(l.chunks, l.kind)));
    let budget = options.cacheBytes ?? (await defaultCacheBytes());
    if (!(budget > 0)) throw new ArgumentError("cacheBytes", "must be a positive number of bytes", options.cacheBytes);
    // Stay one slot below the binding limit: SwiftShader reads wrong values from a storage buffer
    // of exactly its 1 GiB limit, and no budget needs the last slot.
    if (device === "gpu") budget = Math.min(budget, options.gpu!.maxStorageBinding - words * 4);
    // Never more slots than the array has chunks: a small crop's cache is its size, not the budget.
    const chunkCount = opened.levels.reduce((n, l) => n + l.shape.reduce((m, v, k) => m * Math.ceil(v / l.chunks[k]!), 1), 0);
    const slotCount = Math.min(Math.floor(budget / (words * 4)), Math.max(1, chunkCount));
    if (slotCount < 1) {
      throw new BudgetError(
        `cacheBytes ${budget} holds no chunk of ${words * 4} bytes (${opened.url}); raise cacheBytes to at least ${words * 4 * 8}`,
        words * 4,
        budget,
      );
    }
    let backend: ResampleBackend;
    if (device === "gpu") {
      try {
        backend = new GpuBackend(options.gpu!, slotCount, words, opened.url);
      } catch (e) {
        throw new GpuError(`could not allocate a ${slotCount * words * 4}-byte chunk cache for ${opened.url}`, { cause: e });
      }
    } else {
      backend = new CpuBackend(slotCount, words, await openCpuExecutor(options.cpuWorkers));
    }
    const ownsPool = !options.pool;
    const pool = options.pool ?? (await WorkerPool.create(options.workers === undefined ? {} : { size: options.workers }));
    return new CellMapArray(opened, device, pool, ownsPool, backend, { slotCount, slotWords: words }, options.storeOptions);
  }

  /**
   * Cache counters (hits, misses, bytes fetched and resident, budget, requests in flight) and
   * where resampling runs (`executor`: the GPU, the CPU executor's workers or the calling thread,
   * and why).
   */
  get stats(): ArrayStats {
    const b = this.#backend;
    const executor: ExecutorInfo | { kind: "gpu"; workers: 0; reason: string } = b instanceof CpuBackend ? b.executor : { kind: "gpu", workers: 0, reason: "device is gpu" };
    return { ...this.#cache.stats, executor };
  }

  /** The cache's slot count (chunks it can hold at once). */
  get cacheSlots(): number {
    return this.#cache.slotCount;
  }

  /** The GPU chunk-cache buffer (GPU device only), for consumers that read it directly. */
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
   * @throws {ArgumentError} when `out` has another length
   */
  async sample(specs: readonly SampleSpec[], options: ReadOptions & { out?: Float32Array }): Promise<Float32Array> {
    const read = this.#checkRead("sample", specs, options, READ_KEYS);
    const n = read.shape[0] * read.shape[1] * read.shape[2] * specs.length;
    const given = options.out;
    if (given !== undefined && !(given instanceof Float32Array && given.length === n)) {
      throw new ArgumentError("out", `must be a Float32Array of ${n} values`, given instanceof Float32Array ? given.length : typeof given);
    }
    const limit = this.device === "cpu" ? MAX_CPU_OUTPUT_BYTES : this.#gpu().device.limits.maxBufferSize;
    if (n * 4 > limit) {
      throw new BudgetError(
        `sample() of ${specs.length} × ${read.shape.join("×")} voxels needs ${n * 4} bytes of output, more than the ${limit} one ${this.device === "cpu" ? "call may return" : "GPU buffer may hold"}; ` +
          "ask for fewer samples or a smaller shape per call",
        n * 4,
        limit,
      );
    }
    if (this.device === "cpu") {
      const data = given ?? new Float32Array(n);
      await this.#run(specs, read, { kind: "cpu", data });
      return data;
    }
    const ctx = this.#gpu();
    const buffer = ctx.device.createBuffer({
      label: `${this.url} sample output`,
      size: Math.max(4, n * 4),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    try {
      await this.#run(specs, read, { kind: "gpu", buffer, byteOffset: 0 });
      const bytes = await ctx.track(ctx.readBuffer(buffer, 0, n * 4));
      if (given === undefined) return new Float32Array(bytes);
      given.set(new Float32Array(bytes));
      return given;
    } finally {
      buffer.destroy();
    }
  }

  /**
   * Resample a batch straight into a GPU buffer (f32 `[batch, z, y, x]` at
   * `byteOffset`), leaving it on the device for a WebGPU consumer. Resolves when
   * the work is submitted. `buffer` needs `STORAGE`, and `COPY_DST` too when `byteOffset`
   * (or a split of a call larger than the cache) is not a multiple of the device's
   * `minStorageBufferOffsetAlignment`: such output is written through a copy.
   *
   * @throws {ArgumentError} on `buffer` when a copy is needed and the buffer lacks `COPY_DST`.
   */
  async sampleInto(specs: readonly SampleSpec[], options: ReadOptions & { buffer: GPUBuffer; byteOffset?: number }): Promise<void> {
    if (this.device !== "gpu") throw new ArgumentError("device", 'must be "gpu" to write GPU buffers', this.device);
    const read = this.#checkRead("sampleInto", specs, options, READ_INTO_KEYS);
    const buffer = options.buffer as GPUBuffer | undefined;
    if (!isPlainObjectLike(buffer) || typeof buffer.size !== "number") throw new ArgumentError("buffer", "must be a GPUBuffer with STORAGE usage", typeof buffer);
    const byteOffset = options.byteOffset ?? 0;
    if (!(Number.isSafeInteger(byteOffset) && byteOffset >= 0 && byteOffset % 4 === 0)) {
      throw new ArgumentError("byteOffset", "must be a multiple of 4 bytes, >= 0", byteOffset);
    }
    const bytes = read.shape[0] * read.shape[1] * read.shape[2] * specs.length * 4;
    if (byteOffset + bytes > buffer.size) {
      throw new ArgumentError("buffer", `holds ${buffer.size} bytes, but ${specs.length} × ${read.shape.join("×")} f32 voxels at byteOffset ${byteOffset} need ${byteOffset + bytes}`);
    }
    await this.#run(specs, read, { kind: "gpu", buffer, byteOffset });
  }

  /** Check a read's specs and options before anything is allocated; the output grid as z, y, x vectors. */
  #checkRead(where: "sample" | "sampleInto", specs: readonly SampleSpec[], options: ReadOptions, keys: readonly string[]): CheckedRead {
    if (this.#destroyed) throw new ArgumentError("array", `was destroyed; open it again to ${where}`);
    if (!Array.isArray(specs)) throw new ArgumentError("specs", `of CellMapArray.${where} must be an array of { center: [z, y, x] }`, specs);
    specs.forEach((s, i) => {
      if (!isPlainObject(s)) throw new ArgumentError(`specs[${i}]`, "must be an object { center: [z, y, x] }", s);
      checkVec3(`specs[${i}].center`, s.center, "point");
    });
    checkOptions(`CellMapArray.${where}`, options, keys);
    const shape = checkVec3("shape", options.shape, "shape");
    const scale = checkVec3("scale", options.scale, "scale");
    if (options.pad !== undefined && typeof options.pad !== "number") throw new ArgumentError("pad", "must be a number (NaN allowed)", options.pad);
    return { ...options, shape, scale };
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
    // Compose each sample's affine and list its chunks.
    const plans = specs.map((s, i) => {
      for (const k of [0, 1, 2]) {
        if (!Number.isFinite(s.center[k])) throw new ArgumentError(`specs[${i}].center`, "must be three finite numbers", s.center);
      }
      if (s.augment !== undefined && s.augment.length !== 9) throw new ArgumentError(`specs[${i}].augment`, "must have 9 numbers (3x3 row-major)", s.augment);
      if (s.deform !== undefined) checkDeformField(s.deform, `specs[${i}].deform`);
      const plain = t.forSample(s.center, s.augment);
      const deformed = s.deform ? deformSample(t, plain, s.deform) : undefined;
      const st = deformed ?? plain;
      const grid = st.box ? chunksInBox(st.box, level.chunks) : { lo: [0, 0, 0] as Vec3, dims: [0, 0, 0] as Vec3, coords: [] };
      return { st, grid, keys: grid.coords.map((c) => chunkKey(t.level, c)), displacement: deformed?.displacement };
    });
    // Split into groups whose distinct chunks fit in the cache at once.
    const groups: number[][] = [];
    let current: number[] = [];
    let distinct = new Set<string>();
    plans.forEach((p, i) => {
      if (p.keys.length > this.#cache.slotCount) {
        throw new BudgetError(
          `one sample of ${this.url} reads ${p.keys.length} chunks but the cache holds ${this.#cache.slotCount}; raise cacheBytes to at least ${p.keys.length * this.#slotWords * 4} bytes`,
          p.keys.length * this.#slotWords * 4,
          this.#cache.slotCount * this.#slotWords * 4,
        );
      }
      const merged = new Set([...distinct, ...p.keys]);
      if (merged.size > this.#cache.slotCount && current.length) {
        groups.push(current);
        current = [];
        distinct = new Set(p.keys);
      } else {
        distinct = merged;
      }
      current.push(i);
    });
    if (current.length) groups.push(current);

    for (const group of groups) {
      throwIfAborted(options.signal, `sampling ${this.url}`);
      const acquired = await this.#cache.acquire(group.flatMap((i) => plans[i]!.keys), options.signal);
      try {
        throwIfAborted(options.signal, `sampling ${this.url}`);
        const tableParts: number[] = [];
        const samples: ResampleSample[] = group.map((i) => {
          const p = plans[i]!;
          const tableOffset = tableParts.length;
          for (const k of p.keys) tableParts.push(acquired.slots.get(k)!);
          const sample: ResampleSample = {
            matrix: p.st.localMatrix,
            origin: p.st.box ? p.st.box.lo : [0, 0, 0],
            chunkLo: p.grid.lo,
            chunkDims: p.grid.dims,
            tableOffset,
          };
          return p.displacement ? { ...sample, displacement: p.displacement } : sample;
        });
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
          Uint32Array.from(tableParts),
          out,
          group[0]! * per,
          { ...(options.signal ? { signal: options.signal } : {}), what: `resampling ${group.length} samples of ${this.url}` },
        );
      } finally {
        acquired.release();
      }
    }
  }

  #gpu(): GpuContext {
    const b = this.#backend;
    if (!(b instanceof GpuBackend)) throw new ArgumentError("device", 'is not "gpu"', this.device);
    return b.context;
  }

  async #loadChunk(key: string, signal: AbortSignal | undefined) {
    const [lv, rest] = key.split(":") as [string, string];
    const level = this.levels[Number(lv)]!;
    const zyx = rest.split(",").map(Number) as Vec3;
    const dims = this.multiscale.spatialDims;
    const coords = new Array<number>(level.arrayShape.length).fill(0);
    coords[dims[0]] = zyx[0];
    coords[dims[1]] = zyx[1];
    coords[dims[2]] = zyx[2];
    const req = {
      url: this.url,
      path: `/${level.path}`,
      coords,
      spatialDims: dims,
      kind: level.kind,
      zarrFormat: level.zarrFormat,
      opening: this.#opening,
      ...(this.#storeOptions ? { storeOptions: this.#storeOptions } : {}),
    };
    // The chunks of one shard go to one worker, which reads the shard's index once.
    const shard = level.shards && `${lv}:${zyx.map((c, a) => Math.floor((c * level.chunks[a]!) / level.shards![a]!)).join(",")}`;
    const r = await this.#pool.read(req, { ...(signal ? { signal } : {}), ...(shard ? { affinity: shard } : {}) });
    return { words: r.words, bytes: r.bytes };
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
    this.#backend.destroy();
    if (this.#ownsPool) this.#pool.destroy();
    else this.#pool.forget(this.#opening);
  }
}

function isPlainObjectLike(v: unknown): v is { size?: unknown } {
  return typeof v === "object" && v !== null;
}
