import { onAbort } from "../abort.ts";
import { AbortedError } from "../errors.ts";

/**
 * A counting semaphore that bounds how many operations run at once.
 * Waiters are served first-come first-served; an aborted waiter leaves the queue.
 */
export class Limiter {
  readonly #max: number;
  #active = 0;
  readonly #queue: Array<{ resolve: () => void; reject: (e: unknown) => void; off: () => void }> = [];

  constructor(max: number) {
    if (!(max >= 1)) throw new RangeError(`limiter size must be >= 1 (got ${max})`);
    this.#max = Math.floor(max);
  }

  /** Operations running now. */
  get active(): number {
    return this.#active;
  }

  /** Operations waiting for a place. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Run `fn` once a place is free; the place is released when it settles. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal);
    try {
      return await fn();
    } finally {
      this.#release();
    }
  }

  #acquire(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortedError("request", { cause: signal.reason }));
    if (this.#active < this.#max) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const entry = { resolve, reject, off: () => {} };
      if (signal) {
        entry.off = onAbort(signal, () => {
          const i = this.#queue.indexOf(entry);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(new AbortedError("request", { cause: signal.reason }));
        });
      }
      this.#queue.push(entry);
    });
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next) {
      next.off();
      next.resolve();
    } else {
      this.#active--;
    }
  }
}
