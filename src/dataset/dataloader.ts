/**
 * {@link CellMapDataLoader}: batches of a dataset, multi-dataset or subset as an async iterable,
 * with seeded sampling, prefetching and rank/worldSize sharding.
 *
 * Determinism: an epoch's sample stream is a pure function of (seed, epoch, position) (see
 * `samplers.ts`), each sample's augmentation is drawn from `rngFor(seed, epoch, position)`, and a
 * batch is assembled from its own samples only, so batches are bit-identical whatever the worker
 * count, the prefetch depth or the order in which chunks arrive.
 *
 * Sharding: in epoch `e`, batch `k` of rank `r` holds stream positions
 * `(k * batchSize + j) * worldSize + r` for `j < batchSize`; the ranks' batches `k` together are
 * positions `[k * batchSize * worldSize, (k + 1) * batchSize * worldSize)`, so the shards are
 * disjoint and, with the `"random"` sampler and the default epoch length, together cover every
 * index at most once per epoch.
 *
 * Batch layout: one array per output name, f32 C-order, `[B, 1, z, y, x]` for inputs and
 * `[B, C, z, y, x]` for targets (C in the order of `classes`; `[B, 3, z, y, x]` for cellpose flow
 * targets), or `[B, 1, h, w]` and
 * `[B, C, h, w]` for datasets of 2D slices (a batch may mix slicing axes: each leaf dataset's run
 * reads its own 3D spec into the same planes); with `output: "gpu"` each is a
 * `GPUBuffer` (usage STORAGE | COPY_SRC | COPY_DST) holding exactly that, owned by the consumer
 * until `batch.release()`. Within a batch, samples are grouped by leaf dataset (stable), so each
 * run is one resample call per array.
 * @module
 */

import { hashKey, rngFor } from "../augment/rng.ts";
import { checkOptions } from "../arguments.ts";
import { ArgumentError, BatchError, BudgetError, isCellMapError } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";
import { readBatch, type BatchItem } from "./batch.ts";
import { BatchBufferPool } from "../batch/buffers.ts";
import { BatchArrayPool } from "../batch/arrays.ts";
import { createIndexStream, type IndexStream, type SamplerKind } from "./samplers.ts";
import type { ArrayData, GpuArrayData, SampleSource } from "./types.ts";

/** Options of {@link CellMapDataLoader}. */
export interface DataLoaderOptions<O extends "cpu" | "gpu" = "cpu"> {
  /** Samples per batch. */
  batchSize: number;
  /** Batches per epoch (default: `floor(length / (batchSize * worldSize))`, at least 1). */
  iterationsPerEpoch?: number;
  /** Seed of the sampler and of the augmentations (default 0). */
  seed?: number;
  /** Batches read ahead while the consumer works (default 2, at least 1). */
  prefetch?: number;
  /**
   * Bytes the batches read ahead may take together (default 1 GiB): when `prefetch` batches
   * would take more, fewer are read ahead (`loader.readAhead`), never fewer than 1.
   */
  prefetchBytes?: number;
  /** How positions map to samples (default "random"). */
  sampler?: SamplerKind;
  /** This process's rank in data-parallel training (default 0). */
  rank?: number;
  /** Number of ranks (default 1). */
  worldSize?: number;
  /** "cpu": Float32Arrays; "gpu": GPUBuffers left on the device (GPU datasets only). */
  output?: O;
  /** First epoch (default 0). */
  epoch?: number;
  /**
   * What a batch does when one of its samples cannot be read (a chunk that stays bad after its
   * retries): "fail" (default) rejects the batch with a {@link BatchError} naming it, and
   * `loader.batches(k + 1)` goes on after it; "skip" reads another index in that sample's place,
   * drawn deterministically from its position, and counts it in `stats.skipped`.
   */
  onError?: "fail" | "skip";
  signal?: AbortSignal;
}

/** Counters of a {@link CellMapDataLoader}. */
export interface DataLoaderStats {
  /** Samples that could not be read and were replaced (`onError: "skip"`). */
  skipped: number;
  /** Batches that failed with a {@link BatchError}. */
  failedBatches: number;
}

/** Rounds of replacement a batch tries with `onError: "skip"` before it fails anyway. */
const MAX_SKIP_ROUNDS = 8;

/** One batch: global source indices, world centers, and one array per output name. */
export type Batch<N extends string = string, O extends "cpu" | "gpu" = "cpu"> = {
  idx: number[];
  center: Vec3[];
  /**
   * Done with the batch: destroys its GPU buffers (`output: "gpu"`), or hands its Float32Arrays
   * back to the loader, which writes a later batch into them. Read nothing of a batch after
   * releasing it; a batch never released keeps its arrays.
   */
  release(): void;
} & { [K in N]: O extends "gpu" ? GpuArrayData : ArrayData };

/** Bytes one array of one batch may take on the CPU (4 GiB); on the GPU, the device's buffer limit. */
const MAX_BATCH_BYTES = 2 ** 32;

/** Default of {@link DataLoaderOptions.prefetchBytes}. */
const DEFAULT_PREFETCH_BYTES = 2 ** 30;

/**
 * Refuse a batch size whose batch of one array cannot be held, before any batch is read.
 *
 * @returns the bytes of one batch (all its arrays; the largest over the source's datasets)
 * @throws {BudgetError} naming the array, the bytes it needs and a batch size that fits
 */
function checkBatchBytes(source: SampleSource<string>, batchSize: number): number {
  let largest = 0;
  for (const d of source.datasets ?? []) {
    let total = 0;
    const limit = d.gpu ? d.gpu.device.limits.maxBufferSize : MAX_BATCH_BYTES;
    // Sources built by hand (tests, adapters) may leave out the array specs: nothing to check then.
    const arrays: Array<[string, readonly number[], number]> = [
      ...Object.entries(d.inputArrays ?? {}).map(([n, s]): [string, readonly number[], number] => [n, s.shape, 1]),
      ...Object.entries(d.targetArrays ?? {}).map(([n, s]): [string, readonly number[], number] => [n, s.shape, Math.max(1, d.classes.length)]),
      ...Object.entries(d.cellposeTargets ?? {}).map(([n, s]): [string, readonly number[], number] => [n, s.shape, 3]),
    ];
    for (const [name, shape, channels] of arrays) {
      const per = shape.reduce((a, b) => a * b, 1) * channels * 4;
      total += per * batchSize;
      if (per * batchSize > limit) {
        throw new BudgetError(
          `batchSize ${batchSize}: a batch of array "${name}" needs ${per * batchSize} bytes, more than the ${limit} one array of a batch may take; use batchSize ${Math.max(1, Math.floor(limit / per))} or less`,
          per * batchSize,
          limit,
        );
      }
    }
    largest = Math.max(largest, total);
  }
  return largest;
}

/** Every option of the loader, for naming unknown keys. */
const LOADER_OPTION_KEYS = ["batchSize", "iterationsPerEpoch", "seed", "prefetch", "prefetchBytes", "sampler", "rank", "worldSize", "output", "epoch", "onError", "signal"];

/**
 * Batches of a dataset as an async iterable. One `for await` runs one epoch; call
 * {@link CellMapDataLoader.refresh} between epochs for new draws (iterating again without it
 * repeats the epoch exactly).
 *
 * @example
 * ```ts
 * const loader = new CellMapDataLoader(split.train, { batchSize: 8, iterationsPerEpoch: 100, seed: 1 });
 * for (let epoch = 0; epoch < 10; epoch++) {
 *   for await (const batch of loader) train(batch.raw.data, batch.gt.data);
 *   loader.refresh();
 * }
 * ```
 */
export class CellMapDataLoader<N extends string = string, O extends "cpu" | "gpu" = "cpu"> implements AsyncIterable<Batch<N, O>> {
  readonly source: SampleSource<N>;
  readonly batchSize: number;
  readonly seed: number;
  readonly prefetch: number;
  /** Bytes of one batch, all its arrays. */
  readonly batchBytes: number;
  /** Batches read ahead: `prefetch`, or fewer when that many would take more than `prefetchBytes`. */
  readonly readAhead: number;
  readonly sampler: SamplerKind;
  readonly rank: number;
  readonly worldSize: number;
  readonly output: O;
  readonly onError: "fail" | "skip";
  readonly #stats: DataLoaderStats = { skipped: 0, failedBatches: 0 };
  readonly #iterations: number | undefined;
  readonly #signal: AbortSignal | undefined;
  /** The Float32Arrays of released CPU batches, for later batches (`src/batch/arrays.ts`). */
  readonly #arrays: BatchArrayPool;
  #epoch: number;

  constructor(source: SampleSource<N>, options: DataLoaderOptions<O>) {
    const int = (field: string, v: unknown, min: number): number => {
      if (!(typeof v === "number" && Number.isSafeInteger(v) && v >= min)) throw new ArgumentError(field, `must be an integer >= ${min}`, v);
      return v;
    };
    const src = source as Partial<SampleSource<N>> | undefined;
    if (typeof src !== "object" || src === null || typeof src.get !== "function" || typeof src.locate !== "function") {
      throw new ArgumentError("source", "must be a CellMapDataset, CellMapMultiDataset, CellMapSubset or a split's train/validate set", source === undefined ? undefined : typeof source);
    }
    checkOptions("CellMapDataLoader", options, LOADER_OPTION_KEYS);
    this.source = source;
    this.batchSize = int("batchSize", options.batchSize, 1);
    this.seed = int("seed", options.seed ?? 0, -Number.MAX_SAFE_INTEGER);
    this.prefetch = int("prefetch", options.prefetch ?? 2, 1);
    const prefetchBytes = options.prefetchBytes ?? DEFAULT_PREFETCH_BYTES;
    if (!(typeof prefetchBytes === "number" && prefetchBytes > 0)) throw new ArgumentError("prefetchBytes", "must be a number of bytes > 0", prefetchBytes);
    this.worldSize = int("worldSize", options.worldSize ?? 1, 1);
    this.rank = int("rank", options.rank ?? 0, 0);
    if (this.rank >= this.worldSize) throw new ArgumentError("rank", `must be below worldSize ${this.worldSize}`, this.rank);
    this.#iterations = options.iterationsPerEpoch === undefined ? undefined : int("iterationsPerEpoch", options.iterationsPerEpoch, 1);
    this.#epoch = int("epoch", options.epoch ?? 0, 0);
    const sampler = options.sampler ?? "random";
    if (!["random", "sequential", "weighted", "classBalanced"].includes(sampler)) {
      throw new ArgumentError("sampler", 'must be "random", "sequential", "weighted" or "classBalanced"', sampler);
    }
    this.sampler = sampler;
    this.output = (options.output ?? "cpu") as O;
    if (this.output !== "cpu" && this.output !== "gpu") throw new ArgumentError("output", 'must be "cpu" or "gpu"', this.output);
    if (this.output === "gpu" && source.datasets.some((d) => d.device !== "gpu")) {
      throw new ArgumentError("output", 'is "gpu" but a dataset samples on the CPU: open datasets with a GpuContext', this.output);
    }
    const onError = options.onError ?? "fail";
    if (onError !== "fail" && onError !== "skip") throw new ArgumentError("onError", 'must be "fail" or "skip"', onError);
    this.onError = onError;
    this.batchBytes = checkBatchBytes(source, this.batchSize);
    this.readAhead = Math.max(1, Math.min(this.prefetch, Math.floor(prefetchBytes / Math.max(1, this.batchBytes))));
    // Arrays of the batches read ahead and the one in hand come back on release.
    this.#arrays = new BatchArrayPool(this.readAhead + 1);
    this.#signal = options.signal;
  }

  /** What went wrong so far, and what was done about it (a copy). */
  get stats(): DataLoaderStats {
    return { ...this.#stats };
  }

  /** The epoch the next iteration reads. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Batches per epoch. */
  get length(): number {
    if (this.#iterations !== undefined) return this.#iterations;
    return Math.max(1, Math.floor(this.source.length / (this.batchSize * this.worldSize)));
  }

  /** Move to the next epoch: new sample order and new augmentations. */
  refresh(): void {
    this.#epoch++;
  }

  /** Jump to an epoch (e.g. when resuming training). */
  setEpoch(epoch: number): void {
    if (!(Number.isSafeInteger(epoch) && epoch >= 0)) throw new ArgumentError("epoch", "must be a non-negative integer", epoch);
    this.#epoch = epoch;
  }

  /** The source indices of batch `k` of this rank in the current epoch (for inspection). */
  async indices(k: number): Promise<number[]> {
    const stream = await createIndexStream(this.source, this.sampler, { seed: this.seed, epoch: this.#epoch });
    return this.#positions(k).map((p) => stream(p));
  }

  #positions(k: number): number[] {
    const out: number[] = [];
    for (let j = 0; j < this.batchSize; j++) out.push((k * this.batchSize + j) * this.worldSize + this.rank);
    return out;
  }

  /** The batch of these positions (`at` maps a position to the one actually read, for replacements). */
  #readAt(stream: IndexStream, epoch: number, k: number, positions: number[], at: (p: number) => number, buffers: BatchBufferPool | undefined): Promise<Batch<N, O>> {
    // Indices are drawn now, in position order (the class-balanced stream is sequential).
    const order = new Map(this.source.datasets.map((d, i) => [d, i]));
    const entries = positions.map((p) => {
      const idx = stream(at(p));
      const { dataset, index } = this.source.locate(idx);
      return { p, idx, dataset, index, rank: order.get(dataset)! };
    });
    entries.sort((a, b) => a.rank - b.rank || a.p - b.p);
    const items: BatchItem[] = entries.map((e) => ({ dataset: e.dataset, index: e.index, rng: rngFor(this.seed, epoch, at(e.p)) }));
    const arrays = buffers ? this.#arrays : undefined;
    return readBatch(items, {
      output: this.output,
      seed: hashKey(this.seed, epoch, k, this.rank),
      ...(buffers ? { buffers } : {}),
      ...(arrays ? { arrays } : {}),
      ...(this.#signal ? { signal: this.#signal } : {}),
    }).then((r) => {
      const buffers = Object.values(r.arrays).flatMap((a) => ("buffer" in a ? [a.buffer] : []));
      const datas = Object.values(r.arrays).flatMap((a) => ("data" in a ? [a.data] : []));
      let released = false;
      const batch: Record<string, unknown> = {
        idx: entries.map((e) => e.idx),
        center: r.centers,
        release: () => {
          if (released) return;
          released = true;
          buffers.forEach((b) => b.destroy());
          if (arrays) datas.forEach((d) => arrays.release(d));
        },
      };
      Object.assign(batch, r.arrays);
      return batch as Batch<N, O>;
    });
  }

  async #read(stream: IndexStream, epoch: number, k: number, buffers: BatchBufferPool): Promise<Batch<N, O>> {
    const positions = this.#positions(k);
    try {
      return await this.#readAt(stream, epoch, k, positions, (p) => p, buffers);
    } catch (e) {
      if (isCellMapError(e, "aborted") || isCellMapError(e, "argument") || this.#signal?.aborted) throw e;
      if (this.onError === "fail") {
        this.#stats.failedBatches++;
        throw new BatchError(k, epoch, e);
      }
      return await this.#readSkipping(stream, epoch, k, positions, buffers, e);
    }
  }

  /**
   * `onError: "skip"`: find the samples that cannot be read, one by one, and read the batch with
   * each replaced by the sample at a position beyond every epoch position of this loader (and
   * further, while that one fails too). The stride keeps a rank's positions its own and, for the
   * sequential sampler, moves to the next index on this rank.
   */
  async #readSkipping(stream: IndexStream, epoch: number, k: number, positions: number[], buffers: BatchBufferPool, first: unknown): Promise<Batch<N, O>> {
    const stride = this.length * this.batchSize * this.worldSize * this.source.length + this.worldSize;
    const shift = new Map<number, number>();
    const at = (p: number) => p + (shift.get(p) ?? 0) * stride;
    let last = first;
    for (let round = 1; round <= MAX_SKIP_ROUNDS; round++) {
      for (const p of positions) {
        const ok = await this.#readAt(stream, epoch, k, [p], at, undefined).then((b) => (b.release(), true), (e: unknown) => {
          if (isCellMapError(e, "aborted")) throw e;
          last = e;
          return false;
        });
        if (!ok) shift.set(p, (shift.get(p) ?? 0) + 1);
      }
      try {
        const batch = await this.#readAt(stream, epoch, k, positions, at, buffers);
        this.#stats.skipped += shift.size;
        return batch;
      } catch (e) {
        if (isCellMapError(e, "aborted")) throw e;
        last = e;
      }
    }
    this.#stats.failedBatches++;
    throw new BatchError(k, epoch, last);
  }

  [Symbol.asyncIterator](): AsyncIterator<Batch<N, O>> {
    return this.batches(0)[Symbol.asyncIterator]();
  }

  /**
   * The batches of the current epoch from batch `from` on: after a {@link BatchError} for batch
   * k, `loader.batches(k + 1)` goes on with the rest of the epoch.
   *
   * @example
   * ```ts
   * let from = 0;
   * while (from < loader.length) {
   *   try { for await (const b of loader.batches(from)) { train(b); from++; } }
   *   catch (e) { if (!isCellMapError(e, "batch")) throw e; from = e.batch + 1; }
   * }
   * ```
   */
  batches(from = 0): AsyncIterable<Batch<N, O>> {
    if (!(Number.isSafeInteger(from) && from >= 0)) throw new ArgumentError("from", "must be a non-negative integer", from);
    return { [Symbol.asyncIterator]: () => this.#iterate(from) };
  }

  async *#iterate(from: number): AsyncGenerator<Batch<N, O>> {
    const epoch = this.#epoch;
    const total = this.length;
    const stream = await createIndexStream(this.source, this.sampler, { seed: this.seed, epoch });
    const queue: Promise<Batch<N, O>>[] = [];
    // The batches of this epoch reuse each other's internal GPU buffers.
    const buffers = new BatchBufferPool();
    let k = from;
    const start = () => {
      const p = this.#read(stream, epoch, k++, buffers);
      p.catch(() => {}); // observed when its turn comes
      queue.push(p);
    };
    try {
      while (k < total && queue.length < this.readAhead) start();
      while (queue.length > 0) {
        const batch = await queue.shift()!;
        if (k < total) start();
        yield batch;
      }
    } finally {
      // The consumer stopped early: free what was read ahead. Batches still being read give
      // their buffers back to the destroyed pool, which destroys them.
      for (const p of queue) p.then((b) => b.release(), () => {});
      buffers.destroy();
    }
  }
}
