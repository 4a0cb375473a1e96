// Sampler and loader-option test bodies shared by the Node (vitest), Chromium (vitest browser
// mode) and Deno suites: keyed permutations, random, weighted and class-balanced index streams on
// a fake source, and option errors. Plain functions that throw on failure; no GPU, file system
// or network (the fake source never reads a sample).

import { rngFor } from "../../src/augment/rng.ts";
import type { ClassCounts } from "../../src/dataset/class-counts.ts";
import { CellMapDataLoader } from "../../src/dataset/dataloader.ts";
import { createIndexStream, Permutation } from "../../src/dataset/samplers.ts";
import type { SampleSource } from "../../src/dataset/types.ts";
import { isCellMapError } from "../../src/errors.ts";
import { check, equal, same } from "./assert.ts";
import type { Cases } from "./cases.ts";

/** A fake source of runs, one per entry of `counts`; only lengths and class counts are used. */
function fake(counts: ClassCounts[], lengths: number[]): SampleSource {
  const datasets = counts.map((c, i) => ({ length: lengths[i]!, classCounts: Promise.resolve(c) }));
  let s = 0;
  const groups = datasets.map((d) => ({ start: (s += d.length) - d.length, length: d.length, dataset: d }));
  const total: ClassCounts = { mito: { foreground: 0, background: 0 }, er: { foreground: 0, background: 0 } };
  for (const c of counts) for (const k of ["mito", "er"]) {
    total[k]!.foreground += c[k]?.foreground ?? 0;
    total[k]!.background += c[k]?.background ?? 0;
  }
  const weights = Object.fromEntries(["mito", "er"].map((k) => [k, total[k]!.foreground > 0 ? total[k]!.background / total[k]!.foreground : 1]));
  return {
    length: s,
    classes: ["mito", "er"],
    datasets: datasets as never,
    groups: () => groups as never,
    locate: () => {
      throw new Error("unused");
    },
    get: () => {
      throw new Error("unused");
    },
    classCounts: Promise.resolve(total),
    classWeights: Promise.resolve(weights),
  };
}

// Two runs: 900 samples with only mito, 100 with only er.
const COUNTS: ClassCounts[] = [{ mito: { foreground: 50, background: 50 } }, { er: { foreground: 10, background: 90 } }];
const twoRuns = () => fake(COUNTS, [900, 100]);

export const samplerCases = {
  /** A keyed permutation is a bijection of [0, n) for any n. */
  "a keyed permutation is a bijection of [0, n) for any n"(): void {
    for (const n of [1, 2, 3, 5, 17, 64, 1000, 4099]) {
      const p = new Permutation(n, rngFor(5, n));
      const seen = new Set<number>();
      for (let i = 0; i < n; i++) seen.add(p.at(i));
      same(seen.size, n, `distinct values of a permutation of ${n}`);
      same([Math.min(...seen), Math.max(...seen)], [0, n - 1], `range of a permutation of ${n}`);
    }
    // Large n: spot checks stay in range and distinct, nothing is materialised.
    const big = new Permutation(10 ** 12 + 7, rngFor(1));
    const some = Array.from({ length: 1000 }, (_, i) => big.at(i * 999_999_937));
    same(new Set(some).size, 1000, "distinct spot checks of a permutation of 10^12 + 7");
    check(some.every((x) => x >= 0 && x < 10 ** 12 + 7), "a spot check left [0, 10^12 + 7)");
    // Not the identity.
    const head = Array.from({ length: 10 }, (_, i) => new Permutation(1000, rngFor(2)).at(i));
    check(!equal(head, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), "the permutation starts like the identity");
  },

  /** Sequential: positions in order, wrapping around (Python's shuffle=False). */
  async "sequential: positions in order, wrapping around"(): Promise<void> {
    const src = twoRuns();
    const stream = await createIndexStream(src, "sequential", { seed: 1, epoch: 3 });
    same(Array.from({ length: 5 }, (_, p) => stream(p)), [0, 1, 2, 3, 4], "first positions");
    same([stream(999), stream(1000), stream(1001)], [999, 0, 1], "positions around the end");
  },

  /** Random: each pass over the data visits every index once. */
  async "random: each pass over the data visits every index once"(): Promise<void> {
    const src = twoRuns();
    const stream = await createIndexStream(src, "random", { seed: 1, epoch: 0 });
    for (const pass of [0, 1]) {
      const seen = new Set(Array.from({ length: 1000 }, (_, p) => stream(pass * 1000 + p)));
      same(seen.size, 1000, `distinct indices in pass ${pass}`);
    }
    const other = await createIndexStream(src, "random", { seed: 1, epoch: 1 });
    const [a, b] = [Array.from({ length: 20 }, (_, p) => other(p)), Array.from({ length: 20 }, (_, p) => stream(p))];
    check(!equal(a, b), "epochs 0 and 1 start with the same indices");
  },

  /** Weighted: runs are drawn in proportion to their class-weighted foreground. */
  async "weighted: runs are drawn in proportion to their class-weighted foreground"(): Promise<void> {
    // Weights: mito 50/50 = 1, er 90/10 = 9; run weights 50 * 1 = 50 and 10 * 9 = 90.
    const stream = await createIndexStream(twoRuns(), "weighted", { seed: 2, epoch: 0 });
    let er = 0;
    const n = 5000;
    for (let p = 0; p < n; p++) er += stream(p) >= 900 ? 1 : 0;
    check(Math.abs(er / n - 90 / 140) < 0.03, `er run drawn ${er} of ${n} times, expected about ${Math.round((n * 90) / 140)}`);
  },

  /** ClassBalanced: the least-seen class is picked next. */
  async "classBalanced: the least-seen class is picked next"(): Promise<void> {
    const stream = await createIndexStream(twoRuns(), "classBalanced", { seed: 3, epoch: 0 });
    const picks = Array.from({ length: 200 }, (_, p) => (stream(p) >= 900 ? "er" : "mito"));
    // Two classes, each run holding one: they alternate exactly.
    for (let p = 0; p + 1 < picks.length; p += 2) check(picks[p] !== picks[p + 1], `picks ${p} and ${p + 1} are both ${picks[p]}`);
    // Asking again (or out of order) replays the same stream.
    same(stream(5), stream(5), "position 5 asked twice");
    const again = await createIndexStream(twoRuns(), "classBalanced", { seed: 3, epoch: 0 });
    same(Array.from({ length: 50 }, (_, p) => again(p)), Array.from({ length: 50 }, (_, p) => stream(p)), "a second stream with the same key");
  },

  /** Loader options are validated. */
  "loader options are validated"(): void {
    const src = twoRuns();
    const field = (o: Record<string, unknown>) => {
      try {
        new CellMapDataLoader(src, { batchSize: 2, ...o });
      } catch (e) {
        check(isCellMapError(e, "argument"), `expected ArgumentError, got ${String(e)}`);
        return (e as unknown as { field: string }).field;
      }
      return undefined;
    };
    same(field({ batchSize: 0 }), "batchSize", "batchSize 0");
    same(field({ rank: 2, worldSize: 2 }), "rank", "rank 2 of 2");
    same(field({ sampler: "greedy" }), "sampler", "sampler greedy");
    same(field({ prefetch: 0 }), "prefetch", "prefetch 0");
    same(field({ iterationsPerEpoch: 2.5 }), "iterationsPerEpoch", "iterationsPerEpoch 2.5");
    check(field({}) === undefined, "default options should be accepted");
    const loader = new CellMapDataLoader(src, { batchSize: 8, worldSize: 4 });
    same(loader.length, 31, "length of 1000 samples in batches of 8 over 4 ranks"); // floor(1000 / 32)
    loader.setEpoch(3);
    loader.refresh();
    same(loader.epoch, 4, "epoch after setEpoch(3) and refresh()");
  },
} satisfies Cases;
