/**
 * One chunk-cache budget per device, shared by every array that device reads, as neuroglancer's
 * chunk manager shares one memory budget between its chunk sources. Arrays opened without their
 * own `cacheBytes` join their device's budget: the thread's for the CPU, the `GpuContext`'s for a
 * GPU. When a chunk needs room, the least recently used chunk of any member that no read holds
 * goes, wherever it is: a dataset's raw array and its label arrays, or several datasets, share
 * the memory by use rather than by a fixed split.
 *
 * - A CPU member's cache may hold as many chunks as the whole budget (it is reserved, not
 *   written, so its pages cost nothing until used); the budget counts the bytes of the chunks the
 *   members hold.
 * - A GPU cache is one buffer, so there the budget counts what is allocated. A GPU member
 *   allocates what the budget has room for when it opens (at most its chunks over all levels);
 *   when a member needs room and the budget has none, chunks are evicted by recency across the
 *   members, and a member that has lost a quarter of its chunks that way moves its remaining
 *   chunks down and gives the top of its buffer back (a smaller buffer, the chunks copied on the
 *   GPU), so the member that needs room can grow. Together they never allocate more than the
 *   budget (`SlotCacheOptions.resize`).
 *
 * @example
 * ```ts
 * const budget = await cpuCacheBudget(); // 1/8 of system memory, at least 256 MiB
 * budget.stats; // { budgetBytes, bytesResident, arrays }
 * const gpuBudget = await gpuCacheBudget(ctx); // ctx.cacheBytes, or the same default
 * ```
 * @module
 */

import { systemMemoryBytes } from "./cache-budget.ts";

/** What a member of a shared budget lets the budget do with its chunks. */
export interface BudgetMember {
  /** The recency tick of its least recently used chunk that no read holds; undefined when none. */
  oldestFree(): number | undefined;
  /**
   * Evict that chunk (freeing its slot); returns whether it did. A GPU member may then give part
   * of its allocation back to the budget.
   */
  evictOldest(): boolean;
  /** Wake its reads waiting for room: room may have been made elsewhere. */
  wake(): void;
  /** A GPU member gives back free slots if a quarter of its slots are free; returns whether it did. */
  trim?(): boolean;
  /** Submit recorded work that holds its chunks (so a member waiting for room is not waiting on it). */
  flush?(): void;
  /** Whether a read of it waits for room now. */
  waiting?(): boolean;
}

/** Counters of a {@link SharedCacheBudget}. */
export interface SharedBudgetStats {
  /** Bytes the members may hold together. */
  budgetBytes: number;
  /** Bytes they hold now: the chunks of CPU members, the allocations of GPU members. */
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

  /** Bytes not yet taken. */
  get room(): number {
    return this.budgetBytes - this.#used;
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

  /** Whether a read of any member waits for room now. */
  get waiting(): boolean {
    for (const m of this.#members) if (m.waiting?.()) return true;
    return false;
  }

  /** Submit every member's recorded work that holds chunks: a read is about to wait for room. */
  flushAll(): void {
    for (const m of this.#members) m.flush?.();
  }

  /** Ask every member to give back its free slots (GPU members); returns whether any did. */
  trim(): boolean {
    let any = false;
    for (const m of this.#members) if (m.trim?.()) any = true;
    return any;
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
const gpuBudgets = new WeakMap<object, Promise<SharedCacheBudget>>();

/** The default size of a device's budget: 1/8 of system memory, at least 256 MiB. */
async function defaultSharedBytes(): Promise<number> {
  const total = await systemMemoryBytes();
  return total === undefined || !(total > 0) ? MIN_SHARED_CPU_BYTES : Math.max(MIN_SHARED_CPU_BYTES, Math.floor(total * SHARED_CPU_SHARE));
}

/** The CPU's shared budget of this thread: 1/8 of system memory, at least 256 MiB. */
export function cpuCacheBudget(): Promise<SharedCacheBudget> {
  cpuBudget ??= defaultSharedBytes().then((bytes) => new SharedCacheBudget(bytes));
  return cpuBudget;
}

/** The shared budget of a GPU device: its context's `cacheBytes`, else the CPU's default size. */
export function gpuCacheBudget(ctx: { readonly cacheBytes: number | undefined }): Promise<SharedCacheBudget> {
  let budget = gpuBudgets.get(ctx);
  if (!budget) {
    budget = ctx.cacheBytes !== undefined ? Promise.resolve(new SharedCacheBudget(ctx.cacheBytes)) : defaultSharedBytes().then((bytes) => new SharedCacheBudget(bytes));
    gpuBudgets.set(ctx, budget);
  }
  return budget;
}
