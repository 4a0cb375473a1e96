import { onAbort } from "../abort.ts";

/**
 * One signal that aborts when either of two does, with the reason of the first; `dispose` removes
 * the listeners it added, so a long-lived signal (an array's lifetime) collects none per call.
 *
 * @example
 * ```ts
 * const link = linkSignals(options.signal, this.#life.signal);
 * try { await work(link.signal); } finally { link.dispose(); }
 * ```
 */
export function linkSignals(a: AbortSignal | undefined, b: AbortSignal): { signal: AbortSignal; dispose(): void } {
  if (!a) return { signal: b, dispose() {} };
  if (a.aborted) return { signal: a, dispose() {} };
  if (b.aborted) return { signal: b, dispose() {} };
  const ac = new AbortController();
  const offA = onAbort(a, () => ac.abort(a.reason));
  const offB = onAbort(b, () => ac.abort(b.reason));
  return {
    signal: ac.signal,
    dispose() {
      offA();
      offB();
    },
  };
}
