/**
 * Whether this runtime can share memory between threads: `SharedArrayBuffer` exists, and in a
 * browser page the page is cross-origin isolated (served with `Cross-Origin-Opener-Policy:
 * same-origin` and `Cross-Origin-Embedder-Policy: require-corp`). Node and Deno always can. The
 * CPU executor runs its workers only when it can, and says why not otherwise.
 *
 * @example
 * ```ts
 * const shared = sharedMemory();
 * if (!shared.ok) console.log(`sampling on the calling thread: ${shared.reason}`);
 * ```
 * @module
 */

/** The answer of {@link sharedMemory}. */
export type SharedMemory = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Whether a SharedArrayBuffer can be made and shared with workers here, and if not, why. */
export function sharedMemory(): SharedMemory {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean };
  if (typeof g.SharedArrayBuffer !== "function") {
    return { ok: false, reason: "SharedArrayBuffer is missing here (a page must be cross-origin isolated: serve it with COOP same-origin and COEP require-corp)" };
  }
  if (g.crossOriginIsolated === false) {
    return { ok: false, reason: "the page is not cross-origin isolated (serve it with COOP same-origin and COEP require-corp), so it cannot share memory with workers" };
  }
  return { ok: true };
}

/**
 * Hardware threads of this machine (at least 1): `navigator.hardwareConcurrency` (browsers, Deno,
 * Node 21 and later), else Node's `os.availableParallelism()`, else 1.
 */
export async function hardwareThreads(): Promise<number> {
  const n = (globalThis.navigator as { hardwareConcurrency?: number } | undefined)?.hardwareConcurrency;
  if (typeof n === "number" && n >= 1) return Math.floor(n);
  const g = globalThis as { process?: { versions?: { node?: string } } };
  if (typeof g.process?.versions?.node === "string") {
    const specifier = "node:os";
    const os = (await import(/* @vite-ignore */ specifier)) as typeof import("node:os");
    return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  }
  return 1;
}
