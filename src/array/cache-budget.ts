/**
 * The default chunk-cache budget of a GPU array: a share of the machine's memory, as neuroglancer
 * sizes its caches, so that a training loop keeps its working set resident without being told.
 * (CPU arrays share one budget instead: `shared-budget.ts`.) Each GPU array opened without
 * `cacheBytes` may use 1/16 of system memory (at least
 * {@link MIN_DEFAULT_CACHE_BYTES}); the array then allocates no more than its chunks over all
 * levels, so a dataset of raw and four classes holds at most 5/16 of memory, and only when its
 * arrays are that large (a 512³ dataset allocates the size of its data). Memory is read from
 * `os.totalmem()` (Node), `Deno.systemMemoryInfo()` (Deno) or `navigator.deviceMemory`
 * (Chromium, which rounds it and caps it at 8 GiB); where none is known the floor applies. A
 * GPU cache is further capped below the device's storage-binding limit.
 *
 * @example
 * ```ts
 * const budget = await defaultCacheBytes(); // 1.5 GiB on a 24 GiB machine
 * ```
 * @module
 */

/** The floor of the default budget, and the default where system memory is unknown: 64 MiB. */
export const MIN_DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

/** The share of system memory one array's default budget may take. */
export const DEFAULT_CACHE_SHARE = 1 / 16;

/** Total system memory in bytes, or undefined where the runtime does not say. */
export async function systemMemoryBytes(): Promise<number | undefined> {
  const g = globalThis as {
    Deno?: { systemMemoryInfo?: () => { total: number } };
    process?: { versions?: { node?: string } };
    navigator?: { deviceMemory?: number };
  };
  try {
    if (g.Deno?.systemMemoryInfo) return g.Deno.systemMemoryInfo().total;
    if (typeof g.process?.versions?.node === "string") {
      const specifier = "node:os";
      const os = (await import(/* @vite-ignore */ specifier)) as typeof import("node:os");
      return os.totalmem();
    }
  } catch {
    return undefined;
  }
  const gib = g.navigator?.deviceMemory;
  return typeof gib === "number" && gib > 0 ? gib * 2 ** 30 : undefined;
}

/** The default budget of one array's chunk cache, bytes (see the module's documentation). */
export async function defaultCacheBytes(): Promise<number> {
  const total = await systemMemoryBytes();
  if (total === undefined || !(total > 0)) return MIN_DEFAULT_CACHE_BYTES;
  return Math.max(MIN_DEFAULT_CACHE_BYTES, Math.floor(total * DEFAULT_CACHE_SHARE));
}
