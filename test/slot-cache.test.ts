import { describe, expect, test } from "vitest";
import { FILL_SLOT, SlotCache } from "../src/array/slot-cache.ts";
import { SharedCacheBudget } from "../src/array/shared-budget.ts";

// Ownership and ordering of the cache, with an in-memory loader; the real
// fetch path is covered by streaming.test.ts.
function makeCache(slotCount: number, delay = 0) {
  const loads: string[] = [];
  const slotsContent = new Map<number, number>();
  const cache = new SlotCache({
    slotCount,
    slotBytes: 4,
    load: async (key) => {
      loads.push(key);
      if (delay) await new Promise((r) => setTimeout(r, delay));
      if (key.startsWith("empty")) return { words: null, bytes: 10 };
      return { words: Uint32Array.of(Number(key.replace(/\D/g, ""))), bytes: 100 };
    },
    upload: (slot, words) => slotsContent.set(slot, words[0]!),
  });
  return { cache, loads, slotsContent };
}

describe("SlotCache", () => {
  test("fetches each chunk once however many callers want it at once", async () => {
    const { cache, loads } = makeCache(8, 5);
    const results = await Promise.all([cache.acquire(["c1", "c2"]), cache.acquire(["c2", "c3"]), cache.acquire(["c1", "c3"])]);
    expect(loads.sort()).toEqual(["c1", "c2", "c3"]);
    expect(cache.stats.misses).toBe(3);
    expect(cache.stats.hits).toBe(3);
    expect(results[0]!.slots.get("c2")).toBe(results[1]!.slots.get("c2"));
    results.forEach((r) => r.release());
  });

  test("evicts the least recently used unpinned chunk and keeps pinned ones", async () => {
    const { cache, loads, slotsContent } = makeCache(2);
    const a = await cache.acquire(["c1"]);
    const b = await cache.acquire(["c2"]);
    b.release();
    const c = await cache.acquire(["c3"]); // c1 pinned, so c2 goes
    expect(cache.has("c1")).toBe(true);
    expect(cache.has("c2")).toBe(false);
    expect(slotsContent.get(c.slots.get("c3")!)).toBe(3);
    expect(cache.stats.evictions).toBe(1);
    a.release();
    c.release();
    await cache.acquire(["c2"]).then((r) => r.release());
    expect(loads).toEqual(["c1", "c2", "c3", "c2"]);
    expect(cache.stats.bytesResident).toBe(8);
    expect(cache.stats.budgetBytes).toBe(8);
  });

  test("a request waits for pinned slots instead of deadlocking", async () => {
    const { cache } = makeCache(2);
    const first = await cache.acquire(["c1", "c2"]);
    let done = false;
    const second = cache.acquire(["c3", "c4"]).then((r) => {
      done = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    first.release();
    const r = await second;
    expect(new Set(r.slots.values()).size).toBe(2);
    r.release();
  });

  test("all-fill chunks take no slot", async () => {
    const { cache } = makeCache(3);
    const r = await cache.acquire(["empty1", "empty2", "c5"]);
    expect(r.slots.get("empty1")).toBe(FILL_SLOT);
    expect(r.slots.get("c5")).toBe(0);
    expect(cache.stats.bytesResident).toBe(4);
    r.release();
  });

  test("refuses a request larger than the whole cache, and drops failed loads", async () => {
    const { cache } = makeCache(2);
    await expect(cache.acquire(["c1", "c2", "c3"])).rejects.toThrow(/3 slots at once but the cache has 2/);
    let fail = true;
    const flaky = new SlotCache({
      slotCount: 2,
      slotBytes: 4,
      load: async () => {
        if (fail) throw new Error("boom");
        return { words: Uint32Array.of(1), bytes: 4 };
      },
      upload: () => {},
    });
    await expect(flaky.acquire(["k"])).rejects.toThrow("boom");
    fail = false;
    const r = await flaky.acquire(["k"]);
    expect(r.slots.get("k")).toBeTypeOf("number");
    expect(flaky.stats.misses).toBe(2);
  });
});

describe("SlotCache aborts", () => {
  test("one caller aborting does not fail another caller sharing the fetch", async () => {
    const signals: AbortSignal[] = [];
    const cache = new SlotCache({
      slotCount: 4,
      slotBytes: 4,
      load: async (_key, signal) => {
        signals.push(signal!);
        await new Promise((r) => setTimeout(r, 30));
        return { words: Uint32Array.of(9), bytes: 4 };
      },
      upload: () => {},
    });
    const ac = new AbortController();
    const a = cache.acquire(["k"], ac.signal);
    const b = cache.acquire(["k"]);
    ac.abort();
    await expect(a).rejects.toMatchObject({ tag: "aborted" });
    const r = await b;
    expect(r.slots.get("k")).toBe(0);
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(false);
    r.release();
  });

  test("the fetch is cancelled once every caller has aborted", async () => {
    let seen: AbortSignal | undefined;
    const cache = new SlotCache({
      slotCount: 4,
      slotBytes: 4,
      load: (_key, signal) => {
        seen = signal;
        return new Promise((_, reject) => signal!.addEventListener("abort", () => reject(new Error("cancelled"))));
      },
      upload: () => {},
    });
    const ac1 = new AbortController(), ac2 = new AbortController();
    const a = cache.acquire(["k"], ac1.signal), b = cache.acquire(["k"], ac2.signal);
    ac1.abort();
    await expect(a).rejects.toMatchObject({ tag: "aborted" });
    expect(seen!.aborted).toBe(false);
    ac2.abort();
    await expect(b).rejects.toMatchObject({ tag: "aborted" });
    expect(seen!.aborted).toBe(true);
    expect(cache.stats.requestsInFlight).toBe(0);
  });

  test("an abort at any moment leaves no rejection unhandled", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      const cache = new SlotCache({
        slotCount: 4,
        slotBytes: 4,
        load: (_key, signal) =>
          new Promise((resolve, reject) => {
            const t = setTimeout(() => resolve({ words: Uint32Array.of(1), bytes: 4 }), 5);
            signal!.addEventListener("abort", () => {
              clearTimeout(t);
              reject(new Error("cancelled"));
            });
          }),
        upload: () => {},
      });
      // Already aborted, aborted in the same turn, and aborted while loading, over shared keys.
      for (const delay of [-1, 0, 1, 3]) {
        const ac = new AbortController();
        if (delay < 0) ac.abort();
        const p = cache.acquire(["a", "b", `c${delay}`], ac.signal);
        if (delay === 0) ac.abort();
        else if (delay > 0) setTimeout(() => ac.abort(), delay);
        await p.then((r) => r.release(), (e: unknown) => expect(e).toMatchObject({ tag: "aborted" }));
      }
      await new Promise((r) => setTimeout(r, 30));
      expect(unhandled).toEqual([]);
      expect(cache.stats.requestsInFlight).toBe(0);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  describe("sharing a budget", () => {
    // Caches of 3 slots of 4 bytes each, sharing room for `slots` chunks.
    function shared(slots: number) {
      const budget = new SharedCacheBudget(slots * 4);
      const make = () => {
        const loads: string[] = [];
        const cache = new SlotCache({
          slotCount: 3,
          slotBytes: 4,
          budget,
          load: (key: string) => {
            loads.push(key);
            return Promise.resolve({ words: Uint32Array.of(1), bytes: 4 });
          },
          upload: () => {},
        });
        return { cache, loads };
      };
      return { budget, a: make(), b: make() };
    }
    const use = async (c: SlotCache, keys: string[]) => (await c.acquire(keys)).release();

    test("together they hold at most the budget, evicting the least recently used free chunk of either", async () => {
      const { budget, a, b } = shared(3);
      await use(a.cache, ["a1", "a2"]);
      await use(b.cache, ["b1"]);
      expect(budget.stats).toEqual({ budgetBytes: 12, bytesResident: 12, arrays: 2 });
      await use(a.cache, ["a1"]); // a2 is now the least recently used
      await use(b.cache, ["b2"]);
      expect([a.cache.has("a1"), a.cache.has("a2"), b.cache.has("b1"), b.cache.has("b2")]).toEqual([true, false, true, true]);
      expect(a.cache.stats.bytesResident + b.cache.stats.bytesResident).toBe(12);
      expect(budget.stats.bytesResident).toBe(12);
      // b's own chunks are the oldest now: b1 goes, in b itself.
      await use(a.cache, ["a1"]);
      await use(b.cache, ["b2"]);
      await use(b.cache, ["b3"]);
      expect([a.cache.has("a1"), b.cache.has("b1"), b.cache.has("b2"), b.cache.has("b3")]).toEqual([true, false, true, true]);
      expect(a.cache.stats.evictions + b.cache.stats.evictions).toBe(2);
    });

    test("a chunk another cache holds is not evicted: the read waits until that cache lets go", async () => {
      const { budget, a, b } = shared(2);
      const held = await a.cache.acquire(["a1", "a2"]);
      let done = false;
      const waiting = b.cache.acquire(["b1"]).then((r) => {
        done = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 20));
      expect(done).toBe(false);
      held.release();
      (await waiting).release();
      expect([a.cache.has("a1"), a.cache.has("a2"), b.cache.has("b1")]).toEqual([false, true, true]);
      expect(budget.stats.bytesResident).toBe(8);
    });

    test("two caches placing at once neither evict a chunk the other is placing nor wait for each other", async () => {
      // Room for 2 chunks; each read wants 2, and lets go as soon as it has them.
      const { budget, a, b } = shared(2);
      const ask = (c: SlotCache, keys: string[]) =>
        c.acquire(keys).then((r) => {
          // Every chunk a read holds is resident while it holds it (no member evicted it meanwhile).
          const resident = keys.filter((k) => c.has(k)).length;
          r.release();
          return resident;
        });
      const guard = new Promise<string>((r) => setTimeout(() => r("deadlock"), 5000));
      expect(await Promise.race([Promise.all([ask(a.cache, ["a1", "a2"]), ask(b.cache, ["b1", "b2"])]), guard])).toEqual([2, 2]);
      expect(budget.stats.bytesResident).toBe(8);
    });

    test("a cache that leaves gives its room back", async () => {
      const { budget, a, b } = shared(2);
      await use(a.cache, ["a1", "a2"]);
      a.cache.detach();
      expect(budget.stats).toEqual({ budgetBytes: 8, bytesResident: 0, arrays: 1 });
      await use(b.cache, ["b1", "b2"]);
      expect(b.cache.stats.evictions).toBe(0);
      expect(budget.stats.bytesResident).toBe(8);
    });
  });
  describe("allocated by its share of a budget (GPU caches)", () => {
    // Storage as a GPU cache buffer has it: `resize` makes a new array of slots, copying the kept
    // slots and each move, as GpuBackend.resize does on the GPU.
    function allocating(budget: SharedCacheBudget, name: string, slotCount: number, slotBytes = 4) {
      let storage: number[] = [];
      const resizes: Array<{ slots: number; moves: Array<readonly [number, number]> }> = [];
      const cache = new SlotCache({
        slotCount,
        slotBytes,
        budget,
        load: (key: string) => Promise.resolve({ words: Uint32Array.of(Number(key.replace(/\D/g, ""))), bytes: slotBytes }),
        upload: (slot, words) => {
          if (slot >= storage.length) throw new Error(`${name}: upload to slot ${slot} of ${storage.length}`);
          storage[slot] = words[0]!;
        },
        resize: (slots, moves) => {
          const next = storage.slice(0, slots);
          while (next.length < slots) next.push(-1);
          for (const [from, to] of moves) next[to] = storage[from]!;
          storage = next;
          resizes.push({ slots, moves: [...moves] });
        },
      });
      /** The value each held chunk's slot has: the chunk's number, wherever it was moved. */
      const read = async (keys: string[]) => {
        const r = await cache.acquire(keys);
        const values = keys.map((k) => storage[r.slots.get(k)!]);
        return { values, release: r.release };
      };
      return { cache, resizes, read, get allocated() {
        return storage.length * slotBytes;
      } };
    }

    test("the first cache takes what the budget has room for, up to its chunks; a later one grows as the first gives back", async () => {
      const budget = new SharedCacheBudget(10 * 4);
      const a = allocating(budget, "a", 8);
      expect(a.allocated).toBe(32); // at most its 8 chunks
      expect(a.cache.stats.budgetBytes).toBe(32);
      const b = allocating(budget, "b", 8);
      expect(b.allocated).toBe(8); // what was left
      for (let i = 1; i <= 8; i++) {
        const r = await a.read([`a${i}`]);
        expect(r.values).toEqual([i]);
        r.release();
      }
      // a's chunks were all used before b's: reading 6 more in b evicts a's oldest, and a gives its top slots back.
      for (let i = 1; i <= 6; i++) {
        const r = await b.read([`b${i}`]);
        expect(r.values).toEqual([i]);
        r.release();
        expect(a.allocated + b.allocated).toBeLessThanOrEqual(40);
        expect(budget.stats.bytesResident).toBe(a.allocated + b.allocated);
      }
      expect(b.allocated).toBeGreaterThan(8);
      expect(a.allocated).toBeLessThan(32);
      // Every chunk a still holds reads its own value, wherever it moved to.
      const kept = Array.from({ length: 8 }, (_, i) => `a${i + 1}`).filter((k) => a.cache.has(k));
      expect(kept.length).toBeGreaterThan(0);
      expect(a.resizes.some((r) => r.moves.length > 0)).toBe(true);
      const again = await a.read(kept);
      expect(again.values).toEqual(kept.map((k) => Number(k.slice(1))));
      again.release();
      expect(a.cache.stats.misses).toBe(8); // the kept ones were hits
    });

    test("a slot a read holds never moves: the buffer keeps it, and another cache waits for room until it is let go", async () => {
      const budget = new SharedCacheBudget(8 * 4);
      const a = allocating(budget, "a", 8);
      const b = allocating(budget, "b", 8);
      expect([a.allocated, b.allocated]).toEqual([32, 0]);
      for (let i = 1; i <= 8; i++) (await a.read([`a${i}`])).release();
      const held = await a.cache.acquire(["a8"]); // the top slot
      expect(held.slots.get("a8")).toBe(7);
      let got = false;
      const waiting = b.read(["b1"]).then((r) => ((got = true), r));
      await new Promise((r) => setTimeout(r, 20));
      // a gave up its other chunks, but cannot shorten its buffer below the held top slot.
      expect(got).toBe(false);
      expect(a.resizes).toEqual([{ slots: 8, moves: [] }]);
      expect(a.cache.has("a8")).toBe(true);
      held.release();
      const r = await waiting;
      expect(r.values).toEqual([1]);
      r.release();
      // Let go, a8 moved down to slot 0 and a shrank to it.
      expect(a.resizes.at(-1)).toEqual({ slots: 1, moves: [[7, 0]] });
      expect(a.allocated + b.allocated).toBeLessThanOrEqual(32);
      const again = await a.read(["a8"]);
      expect(again.values).toEqual([8]);
      again.release();
    });

    test("free slots another cache no longer needs are given back to a cache that waits for room", async () => {
      const budget = new SharedCacheBudget(4 * 4);
      const a = allocating(budget, "a", 4);
      const b = allocating(budget, "b", 4);
      const held = await a.cache.acquire(["a1", "a2", "a3", "a4"]);
      let got = false;
      const waiting = b.read(["b1", "b2"]).then((r) => ((got = true), r));
      await new Promise((r) => setTimeout(r, 20));
      expect(got).toBe(false); // all of a's chunks are held
      held.release();
      const r = await waiting;
      expect(r.values).toEqual([1, 2]);
      expect(a.allocated + b.allocated).toBeLessThanOrEqual(16);
      r.release();
    });

    test("caches of different slot sizes share the budget in bytes; one that leaves gives its buffer back", async () => {
      const budget = new SharedCacheBudget(64);
      const big = allocating(budget, "big", 4, 16); // 4 slots of 16 bytes: the whole budget
      const small = allocating(budget, "small", 8, 4);
      expect([big.allocated, small.allocated]).toEqual([64, 0]);
      for (let i = 1; i <= 4; i++) (await big.read([`g${i}`])).release();
      for (let i = 1; i <= 8; i++) {
        const r = await small.read([`s${i}`]);
        expect(r.values).toEqual([i]);
        r.release();
        expect(big.allocated + small.allocated).toBeLessThanOrEqual(64);
      }
      big.cache.detach();
      expect(budget.stats.bytesResident).toBe(small.allocated);
      expect(budget.stats.arrays).toBe(1);
    });
  });
});
