/**
 * One `abort` listener per signal, however many waits hang on it: a loader's signal reaches every
 * chunk read of every batch, and a listener per read would pile up on it (Node warns past 10).
 * Callbacks are kept in a set that the single listener runs, and each wait removes its own when
 * it settles.
 *
 * @example
 * ```ts
 * const off = onAbort(signal, () => reject(new AbortedError("read")));
 * try { return await work; } finally { off(); }
 * ```
 * @module
 */

const waiting = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Run `callback` when `signal` aborts (at once, if it has); returns the function that removes it.
 * @param signal the signal to hear
 * @param callback what to run on abort
 * @returns a function that removes `callback` (idempotent)
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  if (signal.aborted) {
    callback();
    return () => {};
  }
  let set = waiting.get(signal);
  if (!set) {
    const callbacks = new Set<() => void>();
    waiting.set(signal, callbacks);
    signal.addEventListener("abort", () => {
      waiting.delete(signal);
      for (const cb of [...callbacks]) cb();
      callbacks.clear();
    }, { once: true });
    set = callbacks;
  }
  const mine = () => callback();
  set.add(mine);
  const callbacks = set;
  return () => {
    callbacks.delete(mine);
  };
}
