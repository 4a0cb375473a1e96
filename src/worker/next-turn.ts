/**
 * Resolves once the current turn of the event loop is over: every pending microtask has run,
 * and the I/O that was ready (network callbacks included) has been handled. `setImmediate`
 * where the runtime has it (Node), else a zero-delay timer (browsers, Deno).
 *
 * @example
 * ```ts
 * const bytes = await store.get(key);
 * await nextTurn(); // let the next request reach the network before decoding these bytes
 * ```
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    const g = globalThis as { setImmediate?: (f: () => void) => unknown };
    if (typeof g.setImmediate === "function") g.setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}
