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
 * Crash safety: every file is written atomically (temporary file + rename in the file target),
 * a chunk shared by two tiles is read-modify-written under a lock, and finished tiles are
 * recorded in `<path>/.cellmap-progress.json` (written atomically) only once all their chunks are
 * stored. `create` writes the progress file before any zarr metadata and rewrites the metadata
 * on every open, so a kill at any point of `create` or `write` leaves an output that the next
 * run with the same options opens, completes and resumes ({@link CellMapDatasetWriter.pendingTiles}
 * skips finished tiles; a tile killed half-way is written again whole). Temporary files of a
 * killed run are deleted when the output is next opened. One writer process per output.
 *
 * Inputs (optional): with `inputPath` and `inputArrays` the writer reads each tile's inputs
 * itself (`./writer-inputs.ts`): {@link CellMapDatasetWriter.get} for one tile,
 * {@link CellMapDatasetWriter.loader} for batches of the pending tiles (`./writer-loader.ts`).
 *
 * Parts: the option and result types (`./writer-options.ts`); checking the options, opening the
 * output and writing its groups and arrays (`./writer-output.ts`); storing a tile's chunks
 * (`./writer-chunks.ts`); the finished-tile record and progress file (`./writer-progress.ts`).
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

import { ArgumentError, throwIfAborted } from "../errors.ts";
import { ngffVersionFor, type ZarrArray } from "../zarr-write/index.ts";
import type { Vec3, WriterGeometry } from "./writer-geometry.ts";
import type { GpuContext } from "../gpu/context.ts";
import type { ArrayData, ArraySpec, GpuArrayData } from "./types.ts";
import { TileChunkWriter } from "./writer-chunks.ts";
import { type Prediction, readPredictions } from "./writer-gpu.ts";
import { type InputTile, type WriterInputOptions, WriterInputs } from "./writer-inputs.ts";
import { WriterLoader, type WriterLoaderOptions } from "./writer-loader.ts";
import type { DatasetWriterOptions, ReadWriteTarget, WriterItem, WriterProgress, WriterTile } from "./writer-options.ts";
import { openOutput, outputKey, planWriter, writeOutputLayout } from "./writer-output.ts";
import { ProgressRecord } from "./writer-progress.ts";
import { PROGRESS } from "./writer-store.ts";

export type { WorldBounds, WorldRange, WriterArraySpec } from "./writer-geometry.ts";
export type { WriterInputOptions } from "./writer-inputs.ts";
export type { GpuPrediction, Prediction } from "./writer-gpu.ts";
export type { WriterBatch, WriterLoader, WriterLoaderOptions } from "./writer-loader.ts";
export type { DatasetWriterOptions, ReadWriteTarget, WriterItem, WriterProgress, WriterTile } from "./writer-options.ts";

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

  readonly #geometry: WriterGeometry;
  readonly #chunks: TileChunkWriter;
  readonly #progress: ProgressRecord;
  readonly #inputs: WriterInputs | undefined;
  readonly #onProgress: ((progress: WriterProgress) => void) | undefined;
  readonly #gpu: GpuContext | undefined;
  #closed = false;

  private constructor(init: {
    target: ReadWriteTarget;
    prefix: string;
    geometry: WriterGeometry;
    options: DatasetWriterOptions;
    arrays: Map<string, ZarrArray>;
    progress: ProgressRecord;
    inputs: WriterInputs | undefined;
  }) {
    this.#geometry = init.geometry;
    this.#chunks = new TileChunkWriter(init.target, init.options.dtype ?? "float32", init.arrays);
    this.#inputs = init.inputs;
    this.#onProgress = init.options.onProgress;
    this.#gpu = init.options.gpu;
    this.classes = [...init.options.classes];
    this.ngffVersion = ngffVersionFor(init.options.zarrFormat ?? 3);
    this.tileExtent = [...init.geometry.extent];
    this.tileCounts = [...init.geometry.counts];
    this.#progress = init.progress;
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
    const plan = planWriter(options);
    throwIfAborted(options.signal, "CellMapDatasetWriter.create");
    const { geometry, zarrFormat, fingerprint } = plan;
    const { target, prefix, done, saved, exists, removeTemporaryFiles } = await openOutput(options, plan);
    const inputs = plan.inputs === undefined ? undefined : await WriterInputs.open(plan.inputs, options as WriterInputOptions & { signal?: AbortSignal });
    try {
      if (exists && options.overwrite === true && options.target === undefined) {
        const specifier = "node:fs/promises"; // not followed by bundlers of browser builds
        const fs = (await import(/* @vite-ignore */ specifier)) as typeof import("node:fs/promises");
        await fs.rm(options.path, { recursive: true, force: true });
      }
      const tiles = geometry.counts[0] * geometry.counts[1] * geometry.counts[2];
      const progress = new ProgressRecord(target, outputKey(prefix, PROGRESS), fingerprint, done, tiles);
      // Claim the output first: once the progress file is there, a rerun killed anywhere after
      // this point finds its fingerprint and completes the layout below instead of refusing it.
      if (saved === undefined || options.overwrite === true) await progress.flush();
      await removeTemporaryFiles();
      const arrays = await writeOutputLayout(target, prefix, options, geometry, zarrFormat);
      return new CellMapDatasetWriter<I>({ target, prefix, geometry, options: options as DatasetWriterOptions, arrays, progress, inputs });
    } catch (e) {
      inputs?.destroy();
      throw e;
    }
  }

  /** Number of tiles. */
  get length(): number {
    return this.tileCounts[0] * this.tileCounts[1] * this.tileCounts[2];
  }

  /** Tiles recorded as finished (in this run or an earlier one). */
  get finishedCount(): number {
    return this.#progress.finished;
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
    return this.#progress.isFinished(idx);
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
    await this.#chunks.writeTile(this.#geometry.plans, this.classes, this.#tileCoords(tile.idx), arrays, options.signal);
    const progress = this.#progress.markFinished(idx);
    await this.#progress.flush();
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
      await this.#progress.flush();
    } finally {
      this.#inputs?.destroy();
    }
  }

}
