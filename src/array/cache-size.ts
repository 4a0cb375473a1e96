import { ArgumentError, BudgetError } from "../errors.ts";
import type { GpuContext } from "../gpu/context.ts";
import type { LevelInfo } from "./open-multiscale.ts";
import { slotWords } from "../kernels/chunks/contract.ts";

import { MIN_DEFAULT_CACHE_BYTES } from "./cache-budget.ts";

/**
 * The budget `sizeCache` applies when given none (64 MiB). Arrays opened without `cacheBytes`
 * share their device's budget instead (`shared-budget.ts`: 1/8 of system memory, at least 256 MiB).
 */
export const DEFAULT_CACHE_BYTES = MIN_DEFAULT_CACHE_BYTES;

/**
 * The chunk cache of an array: equal slots of its largest chunk, as many as `cacheBytes` holds
 * (default {@link DEFAULT_CACHE_BYTES}), capped one slot below the binding limit of `gpu` (when
 * the cache lives there) and at the array's chunk count over all its levels.
 *
 * @throws {ArgumentError} when `cacheBytes` is not a positive number
 * @throws {BudgetError} when the budget holds no chunk
 */
export function sizeCache(levels: readonly LevelInfo[], cacheBytes: number | undefined, gpu: GpuContext | undefined, url: string): { slotCount: number; slotWords: number } {
  const words = Math.max(...levels.map((l) => slotWords(l.chunks, l.kind)));
  let budget = cacheBytes ?? DEFAULT_CACHE_BYTES;
  if (!(budget > 0)) throw new ArgumentError("cacheBytes", "must be a positive number of bytes", cacheBytes);
  // Stay one slot below the binding limit: SwiftShader reads wrong values from a storage buffer
  // of exactly its 1 GiB limit, and no budget needs the last slot.
  if (gpu) budget = Math.min(budget, gpu.maxStorageBinding - words * 4);
  // Never more slots than the array has chunks: a small crop's cache is its size, not the budget.
  const chunkCount = levels.reduce((n, l) => n + l.shape.reduce((m, v, k) => m * Math.ceil(v / l.chunks[k]!), 1), 0);
  const slotCount = Math.min(Math.floor(budget / (words * 4)), Math.max(1, chunkCount));
  if (slotCount < 1) {
    throw new BudgetError(
      `cacheBytes ${budget} holds no chunk of ${words * 4} bytes (${url}); raise cacheBytes to at least ${words * 4 * 8}`,
      words * 4,
      budget,
    );
  }
  return { slotCount, slotWords: words };
}
