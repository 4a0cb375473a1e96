/**
 * {@link CellMapDatasetWriter}: writes model predictions into zarr at world coordinates, tile by
 * tile, the TypeScript counterpart of Python's `CellMapDatasetWriter`.
 *
 * Layout: one multiscale group per class, `<path>/<class>`, with NGFF 0.5 metadata (zarr v3, the
 * default) or 0.4 (zarr v2). Each target array is one level of that group, `s0`, `s1`, ... from the
 * finest voxel size to the coarsest (a single target array is `<path>/<class>/s0`).
 *
 * WriterGeometry (axis order z, y, x; voxel `i` of a level centered at `translation + i * scale`):
 * - The tile extent `E` is the smallest target array's world extent (`shape * scale`); it must be
 *   a whole number of voxels of every target array.
 * - Tiles are the boxes `[U.lo + k E, U.lo + (k + 1) E]` over the union `U` of the target bounds,
 *   row-major (z, y, x), non-overlapping and covering every output voxel. A tile's center is the
 *   center of its box: predict there with each target array's shape and scale.
 * - Each output array covers its `targetBounds` with `ceil(size / scale)` voxels; its voxel grid
 *   is snapped (by at most half a voxel) so that the prediction voxels of every tile land on it.
 * - A tile writes, of each prediction, the voxels whose centers lie in its box (a center crop
 *   when the prediction is larger than the tile), clipped to the array: every output voxel comes
 *   from exactly one tile.
 *
 * Crash safety: every chunk is written atomically (temporary file + rename in the file target),
 * a chunk shared by two tiles is read-modify-written under a lock, and finished tiles are
 * recorded in `<path>/.cellmap-progress.json` (written atomically) only once all their chunks are
 * stored. A rerun with the same options resumes: {@link CellMapDatasetWriter.pendingTiles} skips
 * finished tiles. One writer process per output.
 *
 * Inputs (optional): with `inputPath` and `inputArrays` the writer reads each tile's inputs
 * itself (`./writer-inputs.ts`): {@link CellMapDatasetWriter.get} for one tile,
 * {@link CellMapDatasetWriter.loader} for batches of the pending tiles (`./writer-loader.ts`).
 *
 * @example
 * ```ts
 * const writer = await CellMapDatasetWriter.create({
 *   path: "predictions.zarr", classes: ["mito", "er"],
 *   targetArrays: { pred: { shape: [64, 64, 64], scale: [8, 8, 8] } },
 *   targetBounds: { pred: { z: [0, 1024], y: [0, 2048], x: [0, 2048] } },
 *   inputPath: "https://host/jrc.zarr/recon-1/em/fibsem-uint8",
 *   inputArrays: { raw: { shape: [80, 80, 80], scale: [8, 8, 8] } },
 *   valueTransforms: { raw: [{ normalize: {} }] },
 * });
 * for await (const batch of writer.loader({ batchSize: 2 })) {
 *   const prediction = await model(batch.raw.data); // [2, 1, 80, 80, 80] -> Float32Array [2, 2, 64, 64, 64]
 *   await writer.write(batch.idx, { pred: prediction });
 * }
 * await writer.close();
 * ```
 * @module
 */

import * as zarr from "zarrita";
import { ArgumentError, throwIfAborted } from "../errors.ts";
import {
  allocate,
  type CodecSpec,
  createArray,
  type DataType,
  jsonBytes,
  multiscalesAttributes,
  ngffVersionFor,
  type NumericArray,
  validShapeOf,
  writeChunk,
  writeGroup,
  type WriteTarget,
  type ZarrArray,
} from "../zarr-write/index.ts";
import {
  type ArrayPlan,
  planWriterGeometry,
  type Vec3,
  type WorldBounds,
  type WriterArraySpec,
  type WriterGeometry,
} from "./writer-geometry.ts";
import type { GpuContext } from "../gpu/context.ts";
import type { ArrayData, ArraySpec, GpuArrayData } from "./types.ts";
import { type Prediction, readPredictions } from "./writer-gpu.ts";
import { type InputTile, resolveWriterInputs, type WriterInputOptions, WriterInputs } from "./writer-inputs.ts";
import { WriterLoader, type WriterLoaderOptions } from "./writer-loader.ts";
import { parseProgress, PROGRESS, toBase64, toStored } from "./writer-store.ts";

export type { WorldBounds, WorldRange, WriterArraySpec } from "./writer-geometry.ts";
export type { WriterInputOptions } from "./writer-inputs.ts";
export type { GpuPrediction, Prediction } from "./writer-gpu.ts";
export type { WriterBatch, WriterLoader, WriterLoaderOptions } from "./writer-loader.ts";

/** A target the writer can read back from (for resuming and for chunks shared by tiles). */
export interface ReadWriteTarget extends WriteTarget {
  get(key: string): Promise<Uint8Array | undefined>;
}

/**
 * Options of {@link CellMapDatasetWriter.create}. The input options (`inputPath`, `inputArrays`,
 * `valueTransforms`, `inputPad`, `seed`, `gpu`, `device`, `cacheBytes`, `pool`, `workers`,
 * `storeOptions`) are optional: with them the writer reads each tile's inputs itself
 * ({@link CellMapDatasetWriter.get}, {@link CellMapDatasetWriter.loader}).
 */
export interface DatasetWriterOptions<I extends string = string> extends WriterInputOptions<I> {
  /** Output folder (Node, Deno); with `target`, the key prefix inside it. */
  readonly path: string;
  /** Class names; prediction channel `c` is `classes[c]`. */
  readonly classes: readonly string[];
  readonly targetArrays: Readonly<Record<string, WriterArraySpec>>;
  /** World box per target array, same keys as `targetArrays`. */
  readonly targetBounds: Readonly<Record<string, WorldBounds>>;
  /** Stored type (default float32); integer types are rounded and clamped, NaN stored as 0. */
  readonly dtype?: DataType;
  /** 3 (default, NGFF 0.5) or 2 (NGFF 0.4). */
  readonly zarrFormat?: 2 | 3;
  /** Chunk compression (default blosc lz4 with shuffle). */
  readonly codec?: CodecSpec;
  /** Value of voxels no tile wrote (default 0). */
  readonly fillValue?: number;
  /** Replace an existing output instead of resuming it (default false). */
  readonly overwrite?: boolean;
  /** Where to write instead of the local filesystem (e.g. a memory target). */
  readonly target?: ReadWriteTarget;
  /** Called each time a tile is recorded as finished. */
  readonly onProgress?: (progress: WriterProgress) => void;
  readonly signal?: AbortSignal;
}

/** Progress of a writer, given to `onProgress` after each finished tile. */
export interface WriterProgress {
  /** The tile just finished. */
  readonly idx: number;
  /** Tiles recorded as finished (in this run or an earlier one) when this tile was. */
  readonly finished: number;
  /** Number of tiles. */
  readonly total: number;
}

/** One tile's inputs: `[1, z, y, x]` per input array. */
export type WriterItem<I extends string = string> = { idx: number; center: Vec3 } & { [K in I]: ArrayData };

/** One tile: its index, world center and world box. */
export interface WriterTile {
  readonly idx: number;
  readonly center: Vec3;
  readonly box: { readonly lo: Vec3; readonly hi: Vec3 };
}

/**
 * Writes predictions tile by tile into one multiscale zarr group per class. Create it with
 * {@link CellMapDatasetWriter.create}; it resumes an interrupted run of the same options.
 */
export class CellMapDatasetWriter<I extends string = string> {
  /** Class names, in prediction channel order. */
  readonly classes: readonly string[];
  /** The NGFF version written: "0.5" (zarr v3) or "0.4" (zarr v2). */
  readonly ngffVersion: "0.4" | "0.5";
  /** World extent of one tile (z, y, x). */
  readonly tileExtent: Vec3;
  /** Tiles per axis (z, y, x). */
  readonly tileCounts: Vec3;

  readonly #target: ReadWriteTarget;
  readonly #prefix: string;
  readonly #geometry: WriterGeometry;
  readonly #dtype: DataType;
  readonly #arrays: Map<string, ZarrArray>;
  readonly #done: Uint8Array;
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #readers = new Map<string, Promise<zarr.Array<zarr.DataType, zarr.Readable>>>();
  readonly #fingerprint: string;
  readonly #inputs: WriterInputs | undefined;
  readonly #onProgress: ((progress: WriterProgress) => void) | undefined;
  readonly #gpu: GpuContext | undefined;
  #finished = 0;
  #flushing: Promise<void> | undefined;
  #dirty = false;
  #closed = false;

  private constructor(init: {
    target: ReadWriteTarget;
    prefix: string;
    geometry: WriterGeometry;
    options: DatasetWriterOptions;
    arrays: Map<string, ZarrArray>;
    done: Uint8Array;
    fingerprint: string;
    inputs: WriterInputs | undefined;
  }) {
    this.#target = init.target;
    this.#prefix = init.prefix;
    this.#geometry = init.geometry;
    this.#dtype = init.options.dtype ?? "float32";
    this.#arrays = init.arrays;
    this.#done = init.done;
    this.#fingerprint = init.fingerprint;
    this.#inputs = init.inputs;
    this.#onProgress = init.options.onProgress;
    this.#gpu = init.options.gpu;
    this.classes = [...init.options.classes];
    this.ngffVersion = ngffVersionFor(init.options.zarrFormat ?? 3);
    this.tileExtent = [...init.geometry.extent];
    this.tileCounts = [...init.geometry.counts];
    for (let i = 0; i < this.length; i++) if (this.isFinished(i)) this.#finished++;
  }

  /**
   * Validate the options, then either resume the output at `path` (same options, progress file
   * present) or create it: the root group, one multiscale group per class and its arrays.
   *
   * With `inputPath` and `inputArrays` the raw array is opened too (before anything is written),
   * so the writer reads each tile's inputs itself.
   *
   * @param options output path, classes, target arrays and bounds, dtype, format, codec; inputs
   * @returns the writer
   * @throws {ArgumentError} naming the bad option, or when the output exists and cannot be resumed
   *   (different options or no progress file) and `overwrite` is not set
   * @throws {MetadataError} / {HttpError} when the raw array cannot be opened
   * @example
   * ```ts
   * const w = await CellMapDatasetWriter.create({ path: "out.zarr", classes: ["mito"],
   *   targetArrays: { pred: { shape: [32, 32, 32], scale: [8, 8, 8] } },
   *   targetBounds: { pred: { z: [0, 512], y: [0, 512], x: [0, 512] } }, zarrFormat: 2,
   *   inputPath: "https://host/jrc.zarr/recon-1/em/fibsem-uint8",
   *   inputArrays: { raw: { shape: [48, 48, 48], scale: [8, 8, 8] } } });
   * ```
   */
  static async create<I extends string = never>(options: DatasetWriterOptions<I>): Promise<CellMapDatasetWriter<I>> {
    const { signal } = options;
    throwIfAborted(signal, "CellMapDatasetWriter.create");
    if (!Array.isArray(options.classes) || options.classes.length === 0) {
      throw new ArgumentError("classes", "must list at least one class", options.classes);
    }
    options.classes.forEach((c, i) => {
      if (typeof c !== "string" || !/^[A-Za-z0-9_.-]+$/.test(c) || c === PROGRESS || c.startsWith(".")) {
        throw new ArgumentError(`classes[${i}]`, "must be a name of letters, digits, '_', '-' or '.'", c);
      }
    });
    if (new Set(options.classes).size !== options.classes.length) throw new ArgumentError("classes", "must not repeat a name", options.classes);
    const zarrFormat = options.zarrFormat ?? 3;
    if (zarrFormat !== 2 && zarrFormat !== 3) throw new ArgumentError("zarrFormat", "must be 2 or 3", zarrFormat);
    const geometry = planWriterGeometry(options.targetArrays, options.targetBounds);
    if (options.onProgress !== undefined && typeof options.onProgress !== "function") {
      throw new ArgumentError("onProgress", "must be a function", options.onProgress);
    }
    const resolvedInputs = resolveWriterInputs(options as WriterInputOptions);
    const fingerprint = JSON.stringify({
      classes: options.classes,
      dtype: options.dtype ?? "float32",
      zarrFormat,
      fillValue: options.fillValue ?? 0,
      extent: geometry.extent,
      origin: geometry.origin,
      counts: geometry.counts,
      arrays: geometry.plans.map((p) => [p.name, p.level, p.shape, p.scale, p.outShape, p.translation]),
    });
    const target = options.target ?? (await import("../zarr-write/fs-target.ts")).createFsTarget(options.path);
    const prefix = options.target === undefined ? "" : options.path;
    const key = (...parts: string[]) => [prefix, ...parts].filter((p) => p !== "").join("/");
    const tiles = geometry.counts[0] * geometry.counts[1] * geometry.counts[2];
    const done = new Uint8Array(Math.ceil(tiles / 8));

    const saved = await target.get(key(PROGRESS));
    const exists = saved !== undefined || (await target.get(key(zarrFormat === 3 ? "zarr.json" : ".zgroup"))) !== undefined;
    if (saved !== undefined && options.overwrite !== true) {
      const progress = parseProgress(saved, key(PROGRESS));
      if (progress.fingerprint !== fingerprint) {
        throw new ArgumentError("path", `holds an output written with other options (${key(PROGRESS)}); pass overwrite: true to replace it`, options.path);
      }
      done.set(progress.done.subarray(0, done.length));
    } else if (exists && options.overwrite !== true) {
      throw new ArgumentError("path", "already holds a zarr group that this writer did not start; pass overwrite: true to replace it", options.path);
    }
    const inputs = resolvedInputs === undefined ? undefined : await WriterInputs.open(resolvedInputs, options as WriterInputOptions & { signal?: AbortSignal });
    try {
      if (exists && options.overwrite === true && options.target === undefined) {
        const fs = await import("node:fs/promises");
        await fs.rm(options.path, { recursive: true, force: true });
      }
      return await CellMapDatasetWriter.#createOutput<I>({ options, target, prefix, geometry, zarrFormat, done, fingerprint, saved, inputs });
    } catch (e) {
      inputs?.destroy();
      throw e;
    }
  }

  /** Write the root group, the class groups and their arrays; then the writer. */
  static async #createOutput<I extends string>(init: {
    options: DatasetWriterOptions<I>;
    target: ReadWriteTarget;
    prefix: string;
    geometry: WriterGeometry;
    zarrFormat: 2 | 3;
    done: Uint8Array;
    fingerprint: string;
    saved: Uint8Array | undefined;
    inputs: WriterInputs | undefined;
  }): Promise<CellMapDatasetWriter<I>> {
    const { options, target, prefix, geometry, zarrFormat, done, fingerprint, saved, inputs } = init;
    const { signal } = options;
    const key = (...parts: string[]) => [prefix, ...parts].filter((p) => p !== "").join("/");

    const arrays = new Map<string, ZarrArray>();
    const version = ngffVersionFor(zarrFormat);
    await writeGroup(target, key(), {
      zarrFormat,
      attributes: { cellmap: { writer: { classes: [...options.classes], arrays: geometry.plans.map((p) => ({ name: p.name, level: p.level })) } } },
    });
    for (const cls of options.classes) {
      throwIfAborted(signal, "CellMapDatasetWriter.create");
      const levels = geometry.plans.map((p) => ({ path: p.level, scale: p.scale, translation: p.translation }));
      await writeGroup(target, key(cls), { zarrFormat, attributes: multiscalesAttributes(version, { name: cls, levels }) });
      for (const p of geometry.plans) {
        const array = await createArray(target, key(cls, p.level), {
          shape: p.outShape,
          chunks: p.chunks,
          dtype: options.dtype ?? "float32",
          zarrFormat,
          fillValue: options.fillValue ?? 0,
          ...(options.codec === undefined ? {} : { codec: options.codec }),
          ...(zarrFormat === 3 ? { dimensionNames: ["z", "y", "x"] } : {}),
        });
        arrays.set(`${cls}/${p.name}`, array);
      }
    }
    const writer = new CellMapDatasetWriter<I>({ target, prefix, geometry, options: options as DatasetWriterOptions, arrays, done, fingerprint, inputs });
    if (saved === undefined || options.overwrite === true) await writer.#flush();
    return writer;
  }

  /** Number of tiles. */
  get length(): number {
    return this.tileCounts[0] * this.tileCounts[1] * this.tileCounts[2];
  }

  /** Tiles recorded as finished (in this run or an earlier one). */
  get finishedCount(): number {
    return this.#finished;
  }

  /** The input arrays (`{ name: { shape, scale } }`); empty when the writer reads no inputs. */
  get inputArrays(): Readonly<Record<I, ArraySpec>> {
    return (this.#inputs?.arrays ?? {}) as Readonly<Record<I, ArraySpec>>;
  }

  /** Where inputs are sampled: "gpu" or "cpu" (undefined when the writer reads no inputs). */
  get device(): "gpu" | "cpu" | undefined {
    return this.#inputs?.device;
  }

  /** True when tile `idx` is recorded as finished. */
  isFinished(idx: number): boolean {
    return ((this.#done[idx >> 3] ?? 0) & (1 << (idx & 7))) !== 0;
  }

  /**
   * The tile at `idx` (row-major over {@link tileCounts}).
   *
   * @throws {ArgumentError} when `idx` is out of range
   */
  tile(idx: number): WriterTile {
    if (!Number.isInteger(idx) || idx < 0 || idx >= this.length) {
      throw new ArgumentError("idx", `must be an integer in [0, ${this.length})`, idx);
    }
    const k = this.#tileCoords(idx);
    const { origin, extent } = this.#geometry;
    const lo = [0, 1, 2].map((a) => origin[a]! + k[a]! * extent[a]!) as Vec3;
    const hi = [0, 1, 2].map((a) => lo[a]! + extent[a]!) as Vec3;
    const center = [0, 1, 2].map((a) => lo[a]! + extent[a]! / 2) as Vec3;
    return { idx, center, box: { lo, hi } };
  }

  /** Tile grid position (z, y, x) of tile `idx`. */
  #tileCoords(idx: number): number[] {
    const [, ny, nx] = this.tileCounts;
    return [Math.floor(idx / (ny * nx)), Math.floor(idx / nx) % ny, idx % nx];
  }

  /** Every tile, in index order (lazily). */
  *tiles(): IterableIterator<WriterTile> {
    for (let i = 0; i < this.length; i++) yield this.tile(i);
  }

  /** The tiles not yet recorded as finished, in index order (lazily): what a rerun still has to do. */
  *pendingTiles(): IterableIterator<WriterTile> {
    for (let i = 0; i < this.length; i++) if (!this.isFinished(i)) yield this.tile(i);
  }

  /**
   * The inputs of tile `idx`, read around its center: `[1, z, y, x]` per input array, after the
   * value transforms (Python's `writer[idx]`).
   *
   * @param idx the tile index
   * @param options `signal` aborts the read
   * @returns `{ idx, center, [input]: { data, shape } }`
   * @throws {ArgumentError} when the writer has no inputs or `idx` is out of range
   * @example
   * ```ts
   * const item = await writer.get(0); // item.raw.shape: [1, 48, 48, 48]
   * ```
   */
  async get(idx: number, options: { signal?: AbortSignal } = {}): Promise<WriterItem<I>> {
    const inputs = this.#needInputs();
    const tile = this.tile(idx);
    const arrays = await inputs.read([tile], { output: "cpu", ...(options.signal ? { signal: options.signal } : {}) });
    const item: Record<string, unknown> = { idx, center: tile.center };
    for (const [name, a] of Object.entries(arrays)) item[name] = { data: (a as ArrayData).data, shape: a.shape.slice(1) };
    return item as WriterItem<I>;
  }

  /**
   * The tiles in batches with their inputs read (Python's `writer.loader()`): an async iterable
   * of `{ idx, center, [input]: [B, 1, z, y, x] }`, one resample call per input array per batch.
   * By default it visits only the tiles not finished when it is made, so a rerun resumes.
   *
   * @param options `batchSize` (default 1), `output` ("cpu" or "gpu"), `prefetch` (default 2),
   *   `pendingOnly` (default true), `signal`
   * @throws {ArgumentError} when the writer has no inputs, or on a bad option (naming it)
   * @example
   * ```ts
   * for await (const batch of writer.loader({ batchSize: 4 })) {
   *   await writer.write(batch.idx, { pred: model(batch.raw.data) }); // [4, C, z, y, x]
   * }
   * ```
   */
  loader<O extends "cpu" | "gpu" = "cpu">(options: WriterLoaderOptions<O> = {}): WriterLoader<I, O> {
    const inputs = this.#needInputs();
    const source = {
      length: this.length,
      isFinished: (i: number) => this.isFinished(i),
      tile: (i: number): InputTile => this.tile(i),
      readInputs: (tiles: readonly InputTile[], o: { output: "cpu" | "gpu"; signal?: AbortSignal }): Promise<Record<string, ArrayData | GpuArrayData>> => {
        if (this.#closed) throw new ArgumentError("loader", "was read after close()");
        return inputs.read(tiles, o);
      },
    };
    return new WriterLoader<I, O>(source, inputs.device, options);
  }

  #needInputs(): WriterInputs {
    if (this.#inputs === undefined) throw new ArgumentError("inputArrays", "are not set: open the writer with inputPath and inputArrays to read inputs");
    if (this.#closed) throw new ArgumentError("writer", "was closed");
    return this.#inputs;
  }

  /**
   * Write the predictions of tile `idx`: for every target array, a Float32Array `[C, z, y, x]`
   * of its shape, predicted at the tile's center. The tile is recorded as finished once all its
   * chunks are stored. Writing a finished tile again rewrites it.
   *
   * A batch from {@link loader} is written in one call: `idx` is then the batch's tile list and
   * every array `[B, C, z, y, x]`, tile `b` at `idx[b]`.
   *
   * A prediction may also stay on the GPU: `{ buffer, byteOffset? }`, f32 values in the same
   * layout in a `GPUBuffer` of the writer's `gpu` (with `COPY_SRC` or `MAP_READ` usage), read
   * back here once per call.
   *
   * @param idx the tile index, or the tile indices of a batch
   * @param predictions one prediction per target array: a Float32Array or a {@link GpuPrediction}
   * @param options `signal` stops between chunks (the tile then stays pending)
   * @throws {ArgumentError} on a wrong index, a missing array or a wrong length; for a GPU
   *   buffer, naming `gpu` when the writer has none, or `arrays.<name>.buffer` when the buffer
   *   lacks `COPY_SRC`/`MAP_READ` usage or is too small
   * @example
   * ```ts
   * for await (const batch of writer.loader({ batchSize: 4, output: "gpu" })) {
   *   const out = runModel(batch.raw.buffer); // your WebGPU model: a GPUBuffer [4, C, z, y, x], COPY_SRC
   *   await writer.write(batch.idx, { pred: { buffer: out } });
   *   batch.release();
   * }
   * ```
   */
  async write(idx: number | readonly number[], predictions: Readonly<Record<string, Prediction>>, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (typeof idx !== "number") return this.#writeBatch(idx, predictions, options);
    if (this.#closed) throw new ArgumentError("write", "was called after close()");
    const tile = this.tile(idx);
    const C = this.classes.length;
    const arrays = await this.#onCpu(predictions, 1, options.signal);
    for (const p of this.#geometry.plans) {
      const data = arrays[p.name];
      const n = C * p.shape[0] * p.shape[1] * p.shape[2];
      if (!(data instanceof Float32Array) || data.length !== n) {
        throw new ArgumentError(`arrays.${p.name}`, `must be a Float32Array (or { buffer: GPUBuffer }) of ${C} x ${p.shape.join(" x ")} = ${n} values`, data?.length);
      }
    }
    for (const name of Object.keys(arrays)) {
      if (!this.#geometry.plans.some((p) => p.name === name)) throw new ArgumentError(`arrays.${name}`, "is not a target array");
    }
    const k = this.#tileCoords(tile.idx);
    const work: Promise<void>[] = [];
    for (const p of this.#geometry.plans) {
      const lo = [0, 1, 2].map((a) => Math.max(0, k[a]! * p.q[a]! + p.base[a]!));
      const hi = [0, 1, 2].map((a) => Math.min(p.outShape[a]!, (k[a]! + 1) * p.q[a]! + p.base[a]!));
      if (lo.some((v, a) => v >= hi[a]!)) continue;
      const off = [0, 1, 2].map((a) => k[a]! * p.q[a]! + p.off0[a]!);
      this.classes.forEach((cls, c) => {
        const array = this.#arrays.get(`${cls}/${p.name}`)!;
        const first = [0, 1, 2].map((a) => Math.floor(lo[a]! / p.chunks[a]!));
        const last = [0, 1, 2].map((a) => Math.floor((hi[a]! - 1) / p.chunks[a]!));
        for (let cz = first[0]!; cz <= last[0]!; cz++) {
          for (let cy = first[1]!; cy <= last[1]!; cy++) {
            for (let cx = first[2]!; cx <= last[2]!; cx++) {
              const coords = [cz, cy, cx];
              work.push(this.#lock(`${array.path}/${coords.join(".")}`, () =>
                this.#writeChunk(array, p, coords, lo, hi, off, arrays[p.name]!, c, options.signal)));
            }
          }
        }
      });
    }
    const results = await Promise.allSettled(work);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    if (!this.isFinished(idx)) this.#finished++;
    this.#done[idx >> 3]! |= 1 << (idx & 7);
    const progress = { idx, finished: this.#finished, total: this.length };
    await this.#flush();
    this.#onProgress?.(progress);
  }

  /** The predictions with those in GPU buffers read back (`B` tiles each); the rest as given. */
  async #onCpu(predictions: Readonly<Record<string, Prediction>>, B: number, signal: AbortSignal | undefined): Promise<Readonly<Record<string, Float32Array>>> {
    if (predictions === null || typeof predictions !== "object") throw new ArgumentError("arrays", "must be an object of predictions, one per target array", predictions);
    const C = this.classes.length;
    const values = new Map(this.#geometry.plans.map((p) => [p.name, B * C * p.shape[0] * p.shape[1] * p.shape[2]]));
    return (await readPredictions(predictions, values, this.#gpu, signal)) as Record<string, Float32Array>;
  }

  /** {@link write} for a batch: every array `[B, C, z, y, x]`, split into its tiles. */
  async #writeBatch(idx: readonly number[], predictions: Readonly<Record<string, Prediction>>, options: { signal?: AbortSignal }): Promise<void> {
    if (this.#closed) throw new ArgumentError("write", "was called after close()");
    if (!Array.isArray(idx) || idx.length === 0) throw new ArgumentError("idx", "must be a tile index or a non-empty list of them", idx);
    for (const i of idx) this.tile(i);
    if (new Set(idx).size !== idx.length) throw new ArgumentError("idx", "must not repeat a tile", idx);
    const B = idx.length;
    const C = this.classes.length;
    const arrays = await this.#onCpu(predictions, B, options.signal);
    const per = new Map<string, number>();
    for (const p of this.#geometry.plans) {
      const data = arrays[p.name];
      const n = C * p.shape[0] * p.shape[1] * p.shape[2];
      if (!(data instanceof Float32Array) || data.length !== B * n) {
        throw new ArgumentError(`arrays.${p.name}`, `must be a Float32Array (or { buffer: GPUBuffer }) of ${B} x ${C} x ${p.shape.join(" x ")} = ${B * n} values (one [C, z, y, x] per tile)`, data?.length);
      }
      per.set(p.name, n);
    }
    for (const name of Object.keys(arrays)) {
      if (!per.has(name)) throw new ArgumentError(`arrays.${name}`, "is not a target array");
    }
    const results = await Promise.allSettled(idx.map((i, b) => {
      const tile: Record<string, Float32Array> = {};
      for (const [name, n] of per) tile[name] = arrays[name]!.subarray(b * n, (b + 1) * n);
      return this.write(i, tile, options);
    }));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  }

  /**
   * Wait for pending progress writes, and release the inputs (the raw array's cache and the
   * worker pool the writer created); later {@link write}, {@link get} and loader reads are refused.
   */
  async close(): Promise<void> {
    this.#closed = true;
    try {
      await this.#flush();
    } finally {
      this.#inputs?.destroy();
    }
  }

  /**
   * Store one chunk: the prediction's voxels inside [lo, hi) (output voxels), laid over the stored
   * values when the tile covers only part of the chunk (the caller holds the chunk's lock).
   */
  async #writeChunk(
    array: ZarrArray,
    p: ArrayPlan,
    coords: number[],
    lo: number[],
    hi: number[],
    off: number[],
    data: Float32Array,
    c: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    throwIfAborted(signal, `writing ${array.path}`);
    const valid = validShapeOf(array, coords);
    const start = coords.map((v, a) => v * p.chunks[a]!);
    const from = start.map((s, a) => Math.max(s, lo[a]!));
    const to = start.map((s, a) => Math.min(s + valid[a]!, hi[a]!));
    const whole = from.every((v, a) => v === start[a]) && to.every((v, a) => v === start[a]! + valid[a]!);
    const n = valid[0]! * valid[1]! * valid[2]!;
    // The prediction's rows inside the box, converted to the stored type.
    const patch = new Float32Array(n);
    const [, py, px] = p.shape;
    const channel = c * p.shape[0] * py * px;
    const row = (z: number, y: number) => ((z - start[0]!) * valid[1]! + (y - start[1]!)) * valid[2]! - start[2]!;
    for (let z = from[0]!; z < to[0]!; z++) {
      for (let y = from[1]!; y < to[1]!; y++) {
        const src = channel + ((z - off[0]!) * py + (y - off[1]!)) * px - off[2]!;
        patch.set(data.subarray(src + from[2]!, src + to[2]!), row(z, y) + from[2]!);
      }
    }
    const fresh = toStored(this.#dtype, patch);
    let stored = fresh;
    if (!whole) {
      stored = await this.#readValid(array, coords, valid);
      for (let z = from[0]!; z < to[0]!; z++) {
        for (let y = from[1]!; y < to[1]!; y++) {
          const r = row(z, y);
          (stored as Float32Array).set((fresh as Float32Array).subarray(r + from[2]!, r + to[2]!), r + from[2]!);
        }
      }
    }
    await writeChunk(this.#target, array, coords, stored, signal === undefined ? {} : { signal });
  }

  /** The stored values of a chunk's part inside the array (fill where it was never written). */
  async #readValid(array: ZarrArray, coords: number[], valid: number[]): Promise<NumericArray> {
    let reader = this.#readers.get(array.path);
    if (reader === undefined) {
      const location = zarr.root(this.#target as unknown as zarr.Readable).resolve(array.path);
      reader = (array.spec.zarrFormat === 3 ? zarr.open.v3(location, { kind: "array" }) : zarr.open.v2(location, { kind: "array" })) as Promise<
        zarr.Array<zarr.DataType, zarr.Readable>
      >;
      this.#readers.set(array.path, reader);
    }
    const chunk = await (await reader).getChunk(coords);
    const full = array.unitShape;
    const out = allocate(this.#dtype, valid[0]! * valid[1]! * valid[2]!);
    const src = chunk.data as unknown as ArrayLike<number>;
    for (let z = 0; z < valid[0]!; z++) {
      for (let y = 0; y < valid[1]!; y++) {
        for (let x = 0; x < valid[2]!; x++) {
          (out as Float32Array)[(z * valid[1]! + y) * valid[2]! + x] = src[(z * full[1]! + y) * full[2]! + x] as number;
        }
      }
    }
    return out;
  }

  /** Run `work` after every earlier holder of `key` (read-modify-write of a shared chunk). */
  #lock(key: string, work: () => Promise<void>): Promise<void> {
    const prev = this.#locks.get(key) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(work);
    this.#locks.set(key, next);
    const cleanup = () => {
      if (this.#locks.get(key) === next) this.#locks.delete(key);
    };
    next.then(cleanup, cleanup);
    return next;
  }

  /** Write the progress file; concurrent calls coalesce into at most one more write. */
  async #flush(): Promise<void> {
    this.#dirty = true;
    while (this.#flushing !== undefined) await this.#flushing;
    if (!this.#dirty) return;
    this.#dirty = false;
    const doc = {
      version: 1,
      fingerprint: this.#fingerprint,
      tiles: this.length,
      finished: this.finishedCount,
      done: toBase64(this.#done),
    };
    const key = [this.#prefix, PROGRESS].filter((p) => p !== "").join("/");
    this.#flushing = this.#target.set(key, jsonBytes(doc)).finally(() => {
      this.#flushing = undefined;
    });
    await this.#flushing;
  }
}
