/**
 * The Float32Arrays of CPU batches, reused: a loader's batches have the same sizes batch after
 * batch, so `batch.release()` hands a batch's arrays back and a later batch of the loader is
 * written into them instead of into fresh ones. A fresh array costs more than its allocation:
 * the runtime zero-fills it and the first write of every page faults, about as much time as
 * resampling an unaugmented batch (bench/RESULTS.md).
 *
 * Arrays are made in shared memory when the dataset's CPU executor runs in workers, so the
 * workers write samples straight into them; otherwise in ordinary memory. A batch that is never
 * released keeps its arrays (the garbage collector frees them as before). The pool keeps at most
 * {@link BatchArrayPool.maxFree} free arrays of a size, so a consumer that releases batches late
 * holds no more memory than the batches it holds.
 *
 * @example
 * ```ts
 * const pool = new BatchArrayPool(8);
 * const a = pool.acquire(1024, true); // Float32Array over a SharedArrayBuffer
 * pool.release(a);
 * pool.acquire(1024, true) === a; // true
 * ```
 * @module
 */

/** A Float32Array of `n` values, in shared memory when `shared` (and the runtime has it). */
export function batchArray(n: number, shared: boolean): Float32Array {
  if (shared && typeof SharedArrayBuffer === "function") return new Float32Array(new SharedArrayBuffer(Math.max(4, n * 4)), 0, n);
  return new Float32Array(n);
}

/** Free batch arrays by size and kind of memory. */
export class BatchArrayPool {
  /** Free arrays kept per size and kind of memory. */
  readonly maxFree: number;
  readonly #free = new Map<string, Float32Array[]>();
  /** Arrays handed out and not yet released: a second release of one is ignored. */
  readonly #out = new WeakSet<Float32Array>();

  constructor(maxFree = 4) {
    this.maxFree = Math.max(0, Math.floor(maxFree));
  }

  /** An array of `n` values: a released one when there is one (its values are stale), else fresh. */
  acquire(n: number, shared: boolean): Float32Array {
    const a = this.#free.get(keyOf(n, shared))?.pop() ?? batchArray(n, shared);
    this.#out.add(a);
    return a;
  }

  /** Hand back an array this pool gave out; nothing may read or write it afterwards. */
  release(a: Float32Array): void {
    if (!this.#out.has(a)) return;
    this.#out.delete(a);
    const key = keyOf(a.length, a.buffer instanceof ArrayBuffer ? false : true);
    let list = this.#free.get(key);
    if (!list) this.#free.set(key, (list = []));
    if (list.length < this.maxFree) list.push(a);
  }

  /** Free arrays kept now, all sizes. */
  get freeCount(): number {
    let n = 0;
    for (const l of this.#free.values()) n += l.length;
    return n;
  }
}

function keyOf(n: number, shared: boolean): string {
  return `${shared && typeof SharedArrayBuffer === "function" ? "s" : "p"}${n}`;
}
