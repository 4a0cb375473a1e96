/**
 * One chunk-cache budget shared by every array a device reads, as neuroglancer's chunk manager
 * shares one memory budget between its chunk sources. Arrays opened on the CPU without their own
 * `cacheBytes` join the thread's budget: each may hold as many chunks as the whole budget (its
 * cache is reserved, not written, so its pages cost nothing until used), but together they hold
 * at most the budget's bytes. When a chunk needs room, the least recently used chunk of any
 * member that no read holds goes, wherever it is: a dataset's raw array and its label arrays, or
 * several datasets, share the memory by use rather than by a fixed split.
 *
 * GPU arrays keep a budget each: a GPU cache is one buffer, allocated whole when the array opens,
 * so sharing what is occupied would save no device memory.
 *
 * @example
 * ```ts
 * const budget = await cpuCacheBudget(); // 1/8 of system memory, at least 256 MiB
 * budget.stats; // { budgetBytes, bytesResident, arrays }
 * ```
 * @module
 */

import { systemMemoryBytes } from "./cache-budget.ts";

/** What a member of a shared budget lets the budget do with its chunks. */
export interface BudgetMember {
  /** The recency tick of its least recently used chunk that no read holds; undefined when none. */
  oldestFree(): number | undefined;
  /** Evict that chunk (freeing its slot); returns whether it did. */
  evictOldest(): boolean;
  /** Wake its reads waiting for room: room may have been made elsewhere. */
  wake(): void;
}

/** Counters of a {@link SharedCacheBudget}. */
export interface SharedBudgetStats {
  /** Bytes the members may hold together. */
  budgetBytes: number;
  /** Bytes they hold now. */
  bytesResident: number;
  /** Members (arrays) now. */
  arrays: number;
}

/** The share of system memory the CPU's shared budget takes by default. */
export const SHARED_CPU_SHARE = 1 / 8;

/** The floor of the CPU's shared budget, and the budget where system memory is unknown: 256 MiB. */
export const MIN_SHARED_CPU_BYTES = 256 * 1024 * 1024;

/** A budget of bytes that its members' chunks share (see the module's documentation). */
export class SharedCacheBudget {
  readonly budgetBytes: number;
  readonly #members = new Set<BudgetMember>();
  #used = 0;
  #tick = 0;
  #lock: Promise<void> = Promise.resolve();

  constructor(budgetBytes: number) {
    this.budgetBytes = budgetBytes;
  }

  /** Current counters. */
  get stats(): SharedBudgetStats {
    return { budgetBytes: this.budgetBytes, bytesResident: this.#used, arrays: this.#members.size };
  }

  /** A new, larger recency tick (for a chunk just used). */
  tick(): number {
    return ++this.#tick;
  }

  join(member: BudgetMember): void {
    this.#members.add(member);
  }

  /** A member leaves, giving back the bytes it held. */
  leave(member: BudgetMember, heldBytes: number): void {
    if (this.#members.delete(member)) this.give(heldBytes);
  }

  /** Take `bytes` for a new chunk if they fit; returns whether they did. */
  take(bytes: number): boolean {
    if (this.#used + bytes > this.budgetBytes) return false;
    this.#used += bytes;
    return true;
  }

  /** Give back the bytes of an evicted chunk; members waiting for room are woken. */
  give(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
    this.wakeAll();
  }

  /** Evict the least recently used chunk no read holds, in whichever member; returns whether one went. */
  evictOldest(): boolean {
    let best: BudgetMember | undefined;
    let bestTick = Infinity;
    for (const m of this.#members) {
      const t = m.oldestFree();
      if (t !== undefined && t < bestTick) {
        bestTick = t;
        best = m;
      }
    }
    return best !== undefined && best.evictOldest();
  }

  /**
   * Run `fn` under the budget's lock: members place a request's chunks under it, all of them at
   * once, so two requests of two members can never each hold half the room and wait for the
   * other (as one cache's own lock does for its requests).
   */
  withLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn);
    this.#lock = run.then(() => {}, () => {});
    return run;
  }

  /** Wake every member's waiting reads (pins were released somewhere, or room was made). */
  wakeAll(): void {
    for (const m of this.#members) m.wake();
  }
}

let cpuBudget: Promise<SharedCacheBudget> | undefined;

/** The CPU's shared budget of this thread: 1/8 of system memory, at least 256 MiB. */
export function cpuCacheBudget(): Promise<SharedCacheBudget> {
  cpuBudget ??= systemMemoryBytes().then((total) =>
    new SharedCacheBudget(total === undefined || !(total > 0) ? MIN_SHARED_CPU_BYTES : Math.max(MIN_SHARED_CPU_BYTES, Math.floor(total * SHARED_CPU_SHARE)))
  );
  return cpuBudget;
}
