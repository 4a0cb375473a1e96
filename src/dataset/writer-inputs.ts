/**
 * The inputs of {@link CellMapDatasetWriter}: the raw multiscale group read around each tile's
 * center, the counterpart of Python's `CellMapDatasetWriter.__getitem__` (`input_arrays`,
 * `raw_value_transforms`). Options are checked here, the raw array is opened once, and a batch
 * of tiles is one resample call per input array (trilinear, `inputPad` outside the volume),
 * followed by the array's value transforms: on the GPU when the writer samples there, otherwise
 * on the CPU twin.
 *
 * Value-transform entries with a `p` or a random factor are drawn per tile from `(seed, idx)`;
 * Gaussian noise voxels also depend on the batch (its first tile and the tile's slot in it).
 *
 * @example
 * ```ts
 * const resolved = resolveWriterInputs({
 *   inputPath: "https://host/jrc.zarr/recon-1/em/fibsem-uint8",
 *   inputArrays: { raw: { shape: [48, 48, 48], scale: [8, 8, 8] } },
 *   valueTransforms: { raw: [{ normalize: {} }] },
 * });
 * const inputs = await WriterInputs.open(resolved!, {});
 * const { arrays } = await inputs.read([{ idx: 0, center: [512, 512, 512] }], { output: "cpu" });
 * inputs.destroy();
 * ```
 * @module
 */

import { CellMapArray, type CellMapArrayOptions } from "../array/cellmap-array.ts";
import { type DeviceChoice, resolveDevice } from "../array/device.ts";
import { hashKey, rngFor } from "../augment/rng.ts";
import { ArgumentError, throwIfAborted } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";
import type { GpuContext } from "../gpu/context.ts";
import type { HttpStoreOptions } from "../store/http.ts";
import { WorkerPool } from "../worker/pool.ts";
import { resolveDatasetOptions } from "./dataset-options.ts";
import { applyValueOps, drawOps, prepareValueSpecs, type ValueTransformSpec } from "./transforms-adapter.ts";
import type { ArrayData, ArraySpec, GpuArrayData } from "./types.ts";

/** The input options of a writer (all optional: a writer without them only writes). */
export interface WriterInputOptions<I extends string = string> {
  /** The raw multiscale group (URL or local path) every input array reads. */
  readonly inputPath?: string;
  /** Inputs read around each tile's center: `{ name: { shape, scale } }`, z, y, x, world units. */
  readonly inputArrays?: Readonly<Record<I, { readonly shape: readonly [number, number, number]; readonly scale: readonly [number, number, number] }>>;
  /** Value transforms per input array name: the dataset's spec (e.g. `[{ normalize: {} }]`). */
  readonly valueTransforms?: Readonly<Partial<Record<I, unknown>>>;
  /** Raw value outside the raw volume (default 0), before the value transforms. */
  readonly inputPad?: number;
  /** Seed of the value transforms' random draws (default 0). */
  readonly seed?: number;
  /**
   * GPU to sample on; inputs use `device: "gpu"` when given unless `device` says otherwise. It is
   * also where `write` reads back predictions passed as GPU buffers (with or without inputs).
   */
  readonly gpu?: GpuContext;
  /** "gpu", "cpu" or "auto" ("cpu" on a software adapter; see `resolveDevice`). */
  readonly device?: DeviceChoice;
  /** Chunk-cache budget of the raw array, bytes (see CellMapArray). */
  readonly cacheBytes?: number;
  /** Worker pool to fetch and decode chunks in; one is created (and owned) when omitted. */
  readonly pool?: WorkerPool;
  /** Workers of the pool created when `pool` is omitted (0 = fetch on the calling thread). */
  readonly workers?: number;
  /** HTTP options (retries, concurrency, `fetch`). */
  readonly storeOptions?: HttpStoreOptions;
}

/** Input options checked and normalised. */
export interface ResolvedWriterInputs {
  inputPath: string;
  arrays: Record<string, ArraySpec>;
  valueSpecs: Map<string, ValueTransformSpec>;
  inputPad: number;
  seed: number;
  device: "gpu" | "cpu";
}

/** A tile to read inputs for: its index (the draws' key) and world center. */
export interface InputTile {
  readonly idx: number;
  readonly center: Readonly<Vec3>;
}

/** Names a batch uses for its own fields. */
const RESERVED = new Set(["idx", "center", "release"]);

/**
 * Check a writer's input options without opening anything.
 *
 * @returns undefined when no input option is set (the writer reads nothing)
 * @throws {ArgumentError} naming the bad option
 */
export function resolveWriterInputs(o: WriterInputOptions): ResolvedWriterInputs | undefined {
  const given = o.inputPath !== undefined || o.inputArrays !== undefined;
  if (!given) {
    if (o.valueTransforms !== undefined) throw new ArgumentError("valueTransforms", "needs inputPath and inputArrays to apply to", o.valueTransforms);
    return undefined;
  }
  if (o.inputArrays !== null && typeof o.inputArrays === "object") {
    for (const name of Object.keys(o.inputArrays)) {
      if (RESERVED.has(name)) throw new ArgumentError(`inputArrays.${name}`, "is a reserved name (idx, center and release are the batch's own fields)", name);
    }
  }
  const resolved = resolveDatasetOptions({
    inputPath: o.inputPath as string,
    inputArrays: o.inputArrays as Record<string, ArraySpec>,
    ...(o.valueTransforms === undefined ? {} : { valueTransforms: o.valueTransforms }),
  });
  const inputPad = o.inputPad ?? 0;
  if (typeof inputPad !== "number") throw new ArgumentError("inputPad", "must be a number", inputPad);
  const seed = o.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new ArgumentError("seed", "must be an integer", seed);
  const device = resolveDevice(o.device, o.gpu);
  if (device === "gpu" && o.gpu === undefined) throw new ArgumentError("gpu", 'is required for device "gpu": pass a GpuContext or use device "cpu"');
  return { inputPath: o.inputPath as string, arrays: resolved.inputArrays, valueSpecs: resolved.valueSpecs, inputPad, seed, device };
}

const voxels = (s: ArraySpec): number => s.shape[0] * s.shape[1] * s.shape[2];

/**
 * The opened raw array of a writer and how to read a batch of tiles from it. Owns the array and,
 * when it created it, the worker pool.
 */
export class WriterInputs {
  /** The input arrays, by name. */
  readonly arrays: Readonly<Record<string, ArraySpec>>;
  /** Where sampling runs. */
  readonly device: "gpu" | "cpu";
  /** The raw array. */
  readonly array: CellMapArray;
  readonly #r: ResolvedWriterInputs;
  readonly #gpu: GpuContext | undefined;
  readonly #pool: WorkerPool | undefined;
  #destroyed = false;

  private constructor(r: ResolvedWriterInputs, array: CellMapArray, gpu: GpuContext | undefined, pool: WorkerPool | undefined) {
    this.#r = r;
    this.arrays = r.arrays;
    this.device = r.device;
    this.array = array;
    this.#gpu = gpu;
    this.#pool = pool;
  }

  /**
   * Check the value transforms against where sampling runs (custom ops compile now), then open
   * the raw array.
   *
   * @param r the resolved input options
   * @param o the writer's options (GPU, cache, pool, store options, signal)
   * @throws {MetadataError} / {HttpError} when the raw array cannot be opened
   * @throws {ArgumentError} / {CustomOpError} for a custom value op that cannot run there
   */
  static async open(r: ResolvedWriterInputs, o: WriterInputOptions & { readonly signal?: AbortSignal }): Promise<WriterInputs> {
    await prepareValueSpecs(r.valueSpecs, new Map(), r.device === "gpu" ? o.gpu : undefined);
    const ownsPool = o.pool === undefined;
    const pool = o.pool ?? (await WorkerPool.create(o.workers === undefined ? {} : { size: o.workers }));
    const options: CellMapArrayOptions = { device: r.device, pool };
    if (o.gpu) options.gpu = o.gpu;
    if (o.cacheBytes !== undefined) options.cacheBytes = o.cacheBytes;
    if (o.storeOptions) options.storeOptions = o.storeOptions;
    if (o.signal) options.signal = o.signal;
    try {
      const array = await CellMapArray.open(r.inputPath, options);
      return new WriterInputs(r, array, r.device === "gpu" ? o.gpu : undefined, ownsPool ? pool : undefined);
    } catch (e) {
      if (ownsPool) pool.destroy();
      throw e;
    }
  }

  /**
   * Read the inputs of some tiles: per input array, one resample call for all of them, then its
   * value transforms. Arrays are f32 C-order `[B, 1, z, y, x]`, tile `b` at `b * prod(shape)`.
   *
   * @param tiles the tiles, in batch order
   * @param options `output: "gpu"` leaves the arrays in GPU buffers (GPU inputs only)
   */
  async read(
    tiles: readonly InputTile[],
    options: { output: "cpu" | "gpu"; signal?: AbortSignal },
  ): Promise<Record<string, ArrayData | GpuArrayData>> {
    if (this.#destroyed) throw new ArgumentError("writer", "was closed; its inputs are released");
    if (options.output === "gpu" && this.device !== "gpu") throw new ArgumentError("output", 'must be "cpu" when the writer samples on the CPU', options.output);
    throwIfAborted(options.signal, "reading writer inputs");
    const B = tiles.length;
    const specs = tiles.map((t) => ({ center: t.center }));
    const signal = options.signal ? { signal: options.signal } : {};
    const seed = hashKey(this.#r.seed, "noise", tiles[0]?.idx ?? 0);
    const opsOf = (name: string) => {
      const spec = this.#r.valueSpecs.get(name);
      return tiles.map((t) => (spec ? drawOps(spec, rngFor(this.#r.seed, t.idx).split("value", name)) : []));
    };
    const read = { interp: "linear" as const, pad: this.#r.inputPad, ...signal };
    if (this.#gpu === undefined) {
      const out: Record<string, ArrayData> = {};
      await Promise.all(Object.entries(this.arrays).map(async ([name, spec]) => {
        const data = await this.array.sample(specs, { ...spec, ...read });
        applyValueOps({ kind: "cpu", data }, { batch: B, shape: spec.shape, scale: spec.scale, ops: opsOf(name), seed });
        out[name] = { data, shape: [B, 1, ...spec.shape] };
      }));
      return out;
    }
    const ctx = this.#gpu;
    const created: GPUBuffer[] = [];
    try {
      const finals: Record<string, GpuArrayData> = {};
      await Promise.all(Object.entries(this.arrays).map(async ([name, spec]) => {
        const byteLength = B * voxels(spec) * 4;
        const buffer = ctx.device.createBuffer({
          label: `${ctx.label} writer input ${name}`,
          size: Math.max(4, byteLength),
          usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
        });
        created.push(buffer);
        await this.array.sampleInto(specs, { ...spec, ...read, buffer, byteOffset: 0 });
        finals[name] = { buffer, shape: [B, 1, ...spec.shape], byteLength };
      }));
      throwIfAborted(options.signal, "reading writer inputs");
      const encoder = ctx.device.createCommandEncoder({ label: `${ctx.label} writer input transforms` });
      const works = Object.entries(this.arrays).map(([name, spec]) =>
        applyValueOps({ kind: "gpu", ctx, encoder, buffer: finals[name]!.buffer, byteOffset: 0 }, { batch: B, shape: spec.shape, scale: spec.scale, ops: opsOf(name), seed })
      );
      ctx.device.queue.submit([encoder.finish()]);
      for (const w of works) w.release();
      if (options.output === "gpu") return finals;
      const out: Record<string, ArrayData> = {};
      await Promise.all(Object.entries(finals).map(async ([name, f]) => {
        const bytes = await ctx.track(ctx.readBuffer(f.buffer, 0, f.byteLength, signal));
        out[name] = { data: new Float32Array(bytes), shape: f.shape };
      }));
      for (const b of created) b.destroy();
      return out;
    } catch (e) {
      for (const b of created) b.destroy();
      throw e;
    }
  }

  /** Free the raw array's cache (and the worker pool if these inputs created it). */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.array.destroy();
    this.#pool?.destroy();
  }
}
