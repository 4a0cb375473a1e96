/**
 * {@link WriterLoader}: the tiles of a {@link CellMapDatasetWriter} in batches, with their inputs
 * read, as an async iterable: the counterpart of Python's `CellMapDatasetWriter.loader()`.
 *
 * The tiles are visited in index order; by default only those not yet recorded as finished when
 * the loader is made (so a rerun resumes), with `pendingOnly: false` every tile. Batches are read
 * ahead (`prefetch`) while the caller runs its model and writes.
 * @module
 */

import { ArgumentError } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";
import type { ArrayData, GpuArrayData } from "./types.ts";
import type { InputTile } from "./writer-inputs.ts";

/** Options of `CellMapDatasetWriter.loader()`. */
export interface WriterLoaderOptions<O extends "cpu" | "gpu" = "cpu"> {
  /** Tiles per batch (default 1). */
  readonly batchSize?: number;
  /** "cpu": Float32Arrays (default); "gpu": GPUBuffers left on the device (GPU writers only). */
  readonly output?: O;
  /** Batches read ahead while the caller works (default 2, at least 1). */
  readonly prefetch?: number;
  /** Visit only the tiles not yet finished when the loader is made (default true). */
  readonly pendingOnly?: boolean;
  readonly signal?: AbortSignal;
}

/**
 * One batch of tiles: their indices and world centers, and per input array its values around
 * each center, f32 C-order `[B, 1, z, y, x]`.
 */
export type WriterBatch<I extends string = string, O extends "cpu" | "gpu" = "cpu"> = {
  /** Tile indices, in batch order: pass them to `write`. */
  idx: number[];
  /** World center (z, y, x) of each tile. */
  center: Vec3[];
  /** Destroys the batch's GPU buffers (no-op for CPU batches). */
  release(): void;
} & { [K in I]: O extends "gpu" ? GpuArrayData : ArrayData };

/** What the loader needs from its writer. */
export interface WriterLoaderSource {
  readonly length: number;
  isFinished(idx: number): boolean;
  tile(idx: number): InputTile;
  readInputs(tiles: readonly InputTile[], options: { output: "cpu" | "gpu"; signal?: AbortSignal }): Promise<Record<string, ArrayData | GpuArrayData>>;
}

/**
 * The writer's tiles in batches, inputs read. Made by `CellMapDatasetWriter.loader()`.
 *
 * @example
 * ```ts
 * const loader = writer.loader({ batchSize: 4 });
 * for await (const batch of loader) {
 *   await writer.write(batch.idx, { pred: model(batch.raw.data) }); // [4, C, z, y, x]
 *   console.log(`${loader.read} / ${loader.tiles} tiles`);
 * }
 * ```
 */
export class WriterLoader<I extends string = string, O extends "cpu" | "gpu" = "cpu"> implements AsyncIterable<WriterBatch<I, O>> {
  readonly batchSize: number;
  readonly output: O;
  readonly prefetch: number;
  readonly pendingOnly: boolean;
  /** Tiles this loader visits. */
  readonly tiles: number;
  readonly #source: WriterLoaderSource;
  /** Tiles finished when the loader was made (bit per tile), or undefined to visit all. */
  readonly #skip: Uint8Array | undefined;
  readonly #signal: AbortSignal | undefined;
  #read = 0;

  constructor(source: WriterLoaderSource, device: "cpu" | "gpu", options: WriterLoaderOptions<O> = {}) {
    const int = (field: string, v: unknown, min: number): number => {
      if (!(typeof v === "number" && Number.isSafeInteger(v) && v >= min)) throw new ArgumentError(field, `must be an integer >= ${min}`, v);
      return v;
    };
    this.batchSize = int("batchSize", options.batchSize ?? 1, 1);
    this.prefetch = int("prefetch", options.prefetch ?? 2, 1);
    this.output = (options.output ?? "cpu") as O;
    if (this.output !== "cpu" && this.output !== "gpu") throw new ArgumentError("output", 'must be "cpu" or "gpu"', this.output);
    if (this.output === "gpu" && device !== "gpu") throw new ArgumentError("output", 'is "gpu" but the writer samples its inputs on the CPU: give it a GpuContext', this.output);
    const pendingOnly = options.pendingOnly ?? true;
    if (typeof pendingOnly !== "boolean") throw new ArgumentError("pendingOnly", "must be true or false", pendingOnly);
    this.pendingOnly = pendingOnly;
    this.#source = source;
    this.#signal = options.signal;
    let tiles = source.length;
    if (pendingOnly) {
      const skip = new Uint8Array(Math.ceil(source.length / 8));
      for (let i = 0; i < source.length; i++) {
        if (source.isFinished(i)) {
          skip[i >> 3]! |= 1 << (i & 7);
          tiles--;
        }
      }
      this.#skip = skip;
    } else {
      this.#skip = undefined;
    }
    this.tiles = tiles;
  }

  /** Batches per pass: `ceil(tiles / batchSize)`. */
  get length(): number {
    return Math.ceil(this.tiles / this.batchSize);
  }

  /** Tiles handed out so far (by every pass over this loader). */
  get read(): number {
    return this.#read;
  }

  /** The tile indices this loader visits, in order (lazily). */
  *indices(): IterableIterator<number> {
    for (let i = 0; i < this.#source.length; i++) {
      if (this.#skip === undefined || ((this.#skip[i >> 3] ?? 0) & (1 << (i & 7))) === 0) yield i;
    }
  }

  #readBatch(idx: number[]): Promise<WriterBatch<I, O>> {
    const tiles = idx.map((i) => this.#source.tile(i));
    return this.#source.readInputs(tiles, { output: this.output, ...(this.#signal ? { signal: this.#signal } : {}) }).then((arrays) => {
      const buffers = Object.values(arrays).flatMap((a) => ("buffer" in a ? [a.buffer] : []));
      const batch: Record<string, unknown> = {
        idx,
        center: tiles.map((t) => [...t.center] as Vec3),
        release: () => buffers.forEach((b) => b.destroy()),
      };
      Object.assign(batch, arrays);
      return batch as WriterBatch<I, O>;
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WriterBatch<I, O>> {
    const order = this.indices();
    const queue: Promise<WriterBatch<I, O>>[] = [];
    let exhausted = false;
    const start = (): void => {
      const idx: number[] = [];
      while (idx.length < this.batchSize) {
        const next = order.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        idx.push(next.value);
      }
      if (idx.length === 0) return;
      const p = this.#readBatch(idx);
      p.catch(() => {}); // observed when its turn comes
      queue.push(p);
    };
    try {
      while (!exhausted && queue.length < this.prefetch) start();
      while (queue.length > 0) {
        const batch = await queue.shift()!;
        if (!exhausted) start();
        this.#read += batch.idx.length;
        yield batch;
      }
    } finally {
      // The caller stopped early: free what was read ahead.
      for (const p of queue) p.then((b) => b.release(), () => {});
    }
  }
}
