import { onAbort } from "../abort.ts";
import { abortable, AbortedError, ArgumentError, throwIfAborted } from "../errors.ts";
import type { BudgetMember, SharedCacheBudget } from "./shared-budget.ts";

/** Table entry of a chunk that reads as the fill value (never uploaded). */
export const FILL_SLOT = 0xffffffff;

/** What loading one chunk yields: its packed words, or null for all-fill. */
export interface LoadedChunk {
  words: Uint32Array | null;
  bytes: number;
}

/** Counters of a {@link SlotCache}. */
export interface CacheStats {
  /** Chunk requests served without a fetch (resident, or joined a fetch in flight). */
  hits: number;
  /** Chunk requests that started a fetch. */
  misses: number;
  /** Bytes received from the store. */
  bytesFetched: number;
  /** Bytes of occupied slots. */
  bytesResident: number;
  /**
   * The cache's allocation: slot count times slot size (for a cache that grows and shrinks with
   * its share of a device budget, the slots it has now).
   */
  budgetBytes: number;
  /** Slots taken back from least-recently-used chunks. */
  evictions: number;
  /** Chunk fetches running now. */
  requestsInFlight: number;
}

/** Options of {@link SlotCache}, whose chunks are named by keys of type `K`. */
export interface SlotCacheOptions<K = string> {
  slotCount: number;
  slotBytes: number;
  /** Fetch and decode one chunk. */
  load(key: K, signal: AbortSignal | undefined): Promise<LoadedChunk>;
  /** A chunk as errors name it (default: its key as text). */
  describe?(key: K): string;
  /** Put a chunk's words into a slot (GPU buffer write, or a CPU copy). */
  upload(slot: number, words: Uint32Array): void;
  /**
   * A budget this cache shares with other arrays' (`shared-budget.ts`): its chunks then take
   * room from it, and a chunk that needs room evicts the least recently used free chunk of any
   * member first. Without one, the cache's own slots are its budget.
   */
  budget?: SharedCacheBudget;
  /**
   * With a `budget`: the cache's storage is allocated by its share of the budget (a GPU buffer)
   * rather than reserved whole. The budget then counts the slots allocated, not the chunks held;
   * the cache starts with what the budget has room for (at most `slotCount` slots), grows when
   * it needs a slot and the budget has room, and gives slots back when chunks evicted for other
   * members leave a quarter of its slots free. `resize(slots, moves)` makes the storage `slots`
   * slots long: slot `from` of each move goes to slot `to`, every other slot below `slots` stays
   * where it is. Slots pinned by a read never move.
   */
  resize?(slots: number, moves: ReadonlyArray<readonly [from: number, to: number]>): void;
  /**
   * Submit the work recorded but not yet submitted that holds this cache's slots (a GPU batch
   * being recorded). A read of any cache sharing the budget that waits for room calls it first,
   * so no wait is on work that only a later submit would end.
   */
  flush?(): void;
}

/** A pinned set of chunks: their slots, to be released once the work that reads them is submitted. */
export interface Acquired<K = string> {
  slots: Map<K, number>;
  release(): void;
}

interface Entry {
  slot: number;
  pins: number;
  /** When it was last used (a shared budget's tick). */
  tick: number;
}

/**
 * A fixed number of equal slots holding chunks, with a chunk-key -> slot table,
 * least-recently-used eviction of unpinned slots and promise de-duplication:
 * however many callers want a chunk at once, it is fetched once.
 *
 * Slots are assigned under a lock, all of a request's chunks at once, so two
 * requests can never each hold half the slots and wait for the other.
 */
export class SlotCache<K = string> {
  readonly slotCount: number;
  readonly slotBytes: number;
  readonly #opts: SlotCacheOptions<K>;
  /** Insertion order is recency: touched entries are moved to the end. */
  readonly #resident = new Map<K, Entry>();
  readonly #loading = new Map<K, { promise: Promise<LoadedChunk>; controller: AbortController; waiters: number }>();
  readonly #free: number[] = [];
  #lock: Promise<void> = Promise.resolve();
  #released: Array<() => void> = [];
  readonly #stats = { hits: 0, misses: 0, bytesFetched: 0, evictions: 0 };
  #used = 0;
  #fillEntries = 0;
  readonly #budget: SharedCacheBudget | undefined;
  /** Slots allocated now (`slotCount` unless the cache is allocated by its share of a budget). */
  #capacity: number;
  /** Allocated by its share of the budget (`SlotCacheOptions.resize`). */
  readonly #allocates: boolean;
  /** True while this cache looks for a slot: it then never gives slots back itself. */
  #placing = false;
  #ticks = 0;
  /** This cache as a member of its shared budget. */
  readonly #member: BudgetMember = {
    oldestFree: () => {
      for (const e of this.#resident.values()) if (e.pins === 0 && e.slot !== FILL_SLOT) return e.tick;
      return undefined;
    },
    evictOldest: () => {
      const slot = this.#evictOne();
      if (slot === undefined) return false;
      this.#free.push(slot);
      if (this.#allocates) this.#trim();
      else this.#budget!.give(this.slotBytes);
      return true;
    },
    trim: () => this.#allocates && this.#trim(),
    flush: () => this.#opts.flush?.(),
    waiting: () => this.#released.length > 0,
    wake: () => this.#wake(),
  };

  constructor(options: SlotCacheOptions<K>) {
    if (!(options.slotCount >= 1)) throw new ArgumentError("cacheBytes", "leaves room for no chunk at all", options.slotCount);
    this.slotCount = options.slotCount;
    this.slotBytes = options.slotBytes;
    this.#opts = options;
    this.#budget = options.budget;
    this.#allocates = options.budget !== undefined && options.resize !== undefined;
    this.#capacity = this.#allocates ? 0 : options.slotCount;
    for (let i = this.#capacity - 1; i >= 0; i--) this.#free.push(i);
    this.#budget?.join(this.#member);
    // Allocated by its share: as much as the budget has room for now, at most its chunks.
    if (this.#allocates) this.#grow(options.slotCount);
  }

  /** Leave the shared budget (if any), giving back the room this cache took. */
  detach(): void {
    this.#budget?.leave(this.#member, (this.#allocates ? this.#capacity : this.#used) * this.slotBytes);
  }

  /** Current counters. */
  get stats(): CacheStats {
    return {
      ...this.#stats,
      bytesResident: this.#used * this.slotBytes,
      budgetBytes: this.#capacity * this.slotBytes,
      requestsInFlight: this.#loading.size,
    };
  }

  /** Whether a chunk is resident now (for tests and inspection). */
  has(key: K): boolean {
    return this.#resident.has(key);
  }

  /**
   * True while an {@link SlotCache.acquire} waits for a free slot: of this cache, or of any cache
   * sharing its budget (work that holds chunks here may be what it waits for).
   */
  get waiting(): boolean {
    return this.#budget ? this.#budget.waiting : this.#released.length > 0;
  }

  /**
   * Make chunks resident and pin them. Resolves with each key's slot
   * ({@link FILL_SLOT} for all-fill chunks). Call `release()` once the GPU work
   * reading them has been submitted (queue order keeps later uploads after it).
   * `onWait` runs before each wait for a free slot: pins held until a later submit (work
   * recorded into a batch) are to be released then, so no wait is on work that cannot finish.
   */
  async acquire(keys: readonly K[], signal?: AbortSignal, onWait?: () => void): Promise<Acquired<K>> {
    throwIfAborted(signal, "acquiring cache slots");
    const unique = [...new Set(keys)];
    if (unique.length > this.slotCount) {
      throw new ArgumentError("keys", `need ${unique.length} slots at once but the cache has ${this.slotCount}`);
    }
    // Start (or join) every fetch first, outside the lock, so fetches overlap.
    const pending = new Map<K, Promise<LoadedChunk>>();
    for (const k of unique) {
      if (this.#resident.has(k)) continue;
      pending.set(k, this.#load(k, signal));
    }
    const loaded = new Map<K, LoadedChunk>();
    await Promise.all([...pending].map(async ([k, p]) => loaded.set(k, await p)));
    return this.#withLock(async () => {
      const slots = new Map<K, number>();
      const pinned: Entry[] = [];
      try {
        for (const k of unique) {
          let e = this.#resident.get(k);
          if (e) {
            if (!pending.has(k)) this.#stats.hits++;
            this.#touch(k, e);
          } else {
            // Not resident: use what we loaded, or load again if it was evicted meanwhile.
            const data = loaded.get(k) ?? (await this.#load(k, signal));
            e = await this.#place(k, data, signal, onWait);
          }
          e.pins++;
          pinned.push(e);
          slots.set(k, e.slot);
        }
      } catch (err) {
        for (const e of pinned) e.pins--;
        this.#wakeAll();
        throw err;
      }
      let done = false;
      return {
        slots,
        release: () => {
          if (done) return;
          done = true;
          for (const e of pinned) e.pins--;
          this.#wakeAll();
        },
      };
    });
  }

  /**
   * Start or join the fetch of a chunk. A fetch shared by several callers is
   * cancelled only when every one of them has aborted; each caller still gets
   * its own rejection as soon as its own signal aborts.
   */
  #load(key: K, signal: AbortSignal | undefined): Promise<LoadedChunk> {
    let entry = this.#loading.get(key);
    if (entry) {
      this.#stats.hits++;
    } else {
      this.#stats.misses++;
      const controller = new AbortController();
      const promise = this.#opts.load(key, controller.signal).then((r) => {
        this.#stats.bytesFetched += r.bytes;
        return r;
      }).finally(() => {
        if (this.#loading.get(key) === entry) this.#loading.delete(key);
      });
      // Every caller gets a promise of its own below; a fetch cancelled because all of them
      // aborted rejects with nobody left to hear it, which must not end the process.
      promise.catch(() => {});
      entry = { promise, controller, waiters: 0 };
      this.#loading.set(key, entry);
    }
    const e = entry;
    e.waiters++;
    if (!signal) return e.promise;
    return new Promise<LoadedChunk>((resolve, reject) => {
      const off = onAbort(signal, () => {
        if (--e.waiters === 0) e.controller.abort(signal.reason);
        reject(new AbortedError(`loading chunk ${this.#opts.describe ? this.#opts.describe(key) : String(key)}`, { cause: signal.reason }));
      });
      e.promise.then(resolve, reject).finally(off);
    });
  }

  async #place(key: K, data: LoadedChunk, signal: AbortSignal | undefined, onWait: (() => void) | undefined): Promise<Entry> {
    if (data.words === null) {
      const e = { slot: FILL_SLOT, pins: 0, tick: this.#nextTick() };
      this.#resident.set(key, e);
      if (++this.#fillEntries > 65536) this.#dropOldestFill();
      return e;
    }
    let slot = this.#slot();
    while (slot === undefined) {
      if (onWait || this.#budget) {
        onWait?.();
        this.#budget?.flushAll();
        slot = this.#slot();
        if (slot !== undefined) break;
      }
      throwIfAborted(signal, "waiting for a free cache slot");
      await abortable(new Promise<void>((r) => this.#released.push(r)), signal, "waiting for a free cache slot");
      slot = this.#slot();
    }
    this.#opts.upload(slot, data.words);
    const e = { slot, pins: 0, tick: this.#nextTick() };
    this.#resident.set(key, e);
    return e;
  }

  /**
   * A slot for a new chunk, or undefined when every chunk that could make room is held by a
   * read. Alone: a free slot, else the least recently used chunk's. Sharing a budget: a free slot
   * while the budget has room; else room made by evicting the budget's least recently used free
   * chunk (this cache's or another's); else this cache's own least recently used chunk's slot.
   */
  #slot(): number | undefined {
    const budget = this.#budget;
    if (budget && this.#allocates) {
      this.#placing = true;
      try {
        return this.#allocatedSlot(budget);
      } finally {
        this.#placing = false;
      }
    }
    if (!budget) {
      const free = this.#free.pop();
      if (free !== undefined) {
        this.#used++;
        return free;
      }
      return this.#evictOne(true);
    }
    while (this.#free.length > 0) {
      if (budget.take(this.slotBytes)) {
        this.#used++;
        return this.#free.pop();
      }
      if (!budget.evictOldest()) break;
    }
    return this.#evictOne(true);
  }

  /**
   * A slot of a cache allocated by its share of the budget: a free one; else more slots while the
   * budget has room; else room made by evicting the budget's least recently used free chunk (a
   * slot here, or slots another member gives back); else this cache's own least recently used
   * chunk's slot.
   */
  #allocatedSlot(budget: SharedCacheBudget): number | undefined {
    for (;;) {
      const free = this.#free.pop();
      if (free !== undefined) {
        this.#used++;
        return free;
      }
      if (this.#grow(Math.max(this.#capacity, 16))) continue;
      if (budget.trim() || budget.evictOldest()) continue;
      return this.#evictOne(true);
    }
  }

  /** Give back free slots when a quarter of the slots are free (never while looking for one); returns whether any went. */
  #trim(): boolean {
    if (this.#placing || this.#free.length < Math.max(1, this.#capacity / 4)) return false;
    return this.#shrink();
  }

  /** Allocate up to `want` more slots, as many as the budget has room for; returns whether any were. */
  #grow(want: number): boolean {
    const budget = this.#budget!;
    const n = Math.min(want, this.slotCount - this.#capacity, Math.floor(budget.room / this.slotBytes));
    if (!(n >= 1) || !budget.take(n * this.slotBytes)) return false;
    try {
      this.#opts.resize!(this.#capacity + n, []);
    } catch (e) {
      budget.give(n * this.slotBytes);
      throw e;
    }
    for (let s = this.#capacity + n - 1; s >= this.#capacity; s--) this.#free.push(s);
    this.#capacity += n;
    return true;
  }

  /**
   * Give back the free slots above the chunks held: move the chunks no read pins from the top
   * slots into free ones below, and shrink the storage to the occupied count (or just above the
   * highest pinned slot).
   */
  #shrink(): boolean {
    let top = this.#used;
    for (const e of this.#resident.values()) if (e.slot !== FILL_SLOT && e.pins > 0) top = Math.max(top, e.slot + 1);
    if (top >= this.#capacity) return false;
    const below = this.#free.filter((s) => s < top).sort((a, b) => b - a);
    const moves: Array<[number, number]> = [];
    const moved: Array<[Entry, number]> = [];
    for (const e of this.#resident.values()) {
      if (e.slot === FILL_SLOT || e.slot < top) continue;
      const to = below.pop()!;
      moves.push([e.slot, to]);
      moved.push([e, to]);
    }
    this.#opts.resize!(top, moves);
    for (const [e, to] of moved) e.slot = to;
    this.#free.length = 0;
    this.#free.push(...below);
    const freed = (this.#capacity - top) * this.slotBytes;
    this.#capacity = top;
    this.#budget!.give(freed);
    return true;
  }

  #nextTick(): number {
    return this.#budget ? this.#budget.tick() : ++this.#ticks;
  }

  /**
   * Evict the least recently used chunk no read holds; its slot, or undefined when there is none.
   * `reuse`: the slot goes straight to a new chunk, so the count of occupied slots stays.
   */
  #evictOne(reuse = false): number | undefined {
    for (const [k, e] of this.#resident) {
      if (e.pins > 0 || e.slot === FILL_SLOT) continue;
      this.#resident.delete(k);
      if (!reuse) this.#used--;
      this.#stats.evictions++;
      return e.slot;
    }
    return undefined;
  }

  #dropOldestFill(): void {
    for (const [k, e] of this.#resident) {
      if (e.slot === FILL_SLOT && e.pins === 0) {
        this.#resident.delete(k);
        this.#fillEntries--;
        return;
      }
    }
  }

  #touch(key: K, e: Entry): void {
    this.#resident.delete(key);
    this.#resident.set(key, e);
    e.tick = this.#nextTick();
  }

  /** Wake the reads waiting for a slot here, and with a shared budget in every member. */
  #wakeAll(): void {
    if (this.#budget) this.#budget.wakeAll();
    else this.#wake();
  }

  #wake(): void {
    const waiters = this.#released;
    this.#released = [];
    for (const w of waiters) w();
  }

  #withLock<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#budget) return this.#budget.withLock(fn);
    const run = this.#lock.then(fn);
    this.#lock = run.then(() => {}, () => {});
    return run;
  }
}
