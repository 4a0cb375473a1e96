/**
 * System memory as the runtime reports it, which sizes the default chunk-cache budget of each
 * device (`shared-budget.ts`): a share of the machine's memory, as neuroglancer sizes its caches,
 * so that a training loop keeps its working set resident without being told. Memory is read from
 * `os.totalmem()` (Node), `Deno.systemMemoryInfo()` (Deno) or `navigator.deviceMemory`
 * (Chromium, which rounds it and caps it at 8 GiB).
 *
 * @example
 * ```ts
 * const total = await systemMemoryBytes(); // 25769803776 on a 24 GiB machine
 * ```
 * @module
 */

/** A floor for a cache's budget where nothing else gives one (the budget when `cacheBytes` is absent and no device budget applies): 64 MiB. */
export const MIN_DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

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
