// CellMapDataLoader and the samplers in Node: determinism across worker counts (real worker
// threads reading files; run `npm run build` first), keyed permutations, weighted and
// class-balanced sampling, and option errors.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { rngFor } from "../src/augment/rng.ts";
import type { ClassCounts } from "../src/dataset/class-counts.ts";
import { CellMapDataLoader, type Batch } from "../src/dataset/dataloader.ts";
import { CellMapDataset } from "../src/dataset/dataset.ts";
import { createIndexStream, Permutation } from "../src/dataset/samplers.ts";
import type { SampleSource } from "../src/dataset/types.ts";
import { isCellMapError } from "../src/errors.ts";
import { WorkerPool } from "../src/worker/pool.ts";
import { buildFixture, CROP_PATH, RAW_PATH } from "./setup/dataset-fixture.ts";

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cellmap-loader-"));
  const fx = await buildFixture(3);
  for (const [key, bytes] of fx.files) {
    mkdirSync(dirname(join(dir, key)), { recursive: true });
    writeFileSync(join(dir, key), bytes);
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function openWith(pool: WorkerPool) {
  return CellMapDataset.open({
    inputPath: join(dir, "sample.zarr", RAW_PATH),
    targetPath: join(dir, "sample.zarr", CROP_PATH, "[mito,er]"),
    classes: ["mito", "er", "nucleus"],
    inputArrays: { raw: { shape: [4, 8, 8], scale: [4, 4, 4] } },
    targetArrays: { gt: { shape: [3, 6, 6], scale: [4, 4, 4] } },
    spatialTransforms: { mirror: { axes: { x: 0.5, z: 0.5 } }, rotate: { axes: { z: [-180, 180], y: [-15, 15] } } },
    isTrain: true,
    device: "cpu",
    pool,
    cacheBytes: 64 * 1024,
  });
}

describe("determinism", () => {
  test("same seed: bit-identical batches with 1 worker and with 4, prefetch 1 and 4", async () => {
    const pools = [await WorkerPool.create({ size: 1 }), await WorkerPool.create({ size: 4 })];
    try {
      expect(pools.map((p) => p.size)).toEqual([1, 4]);
      const runs: Batch<"raw" | "gt">[][] = [];
      for (const [pool, prefetch] of [[pools[0]!, 1], [pools[1]!, 4]] as const) {
        const ds = await openWith(pool);
        const out: Batch<"raw" | "gt">[] = [];
        const loader = new CellMapDataLoader(ds, { batchSize: 5, iterationsPerEpoch: 4, seed: 123, prefetch, sampler: "weighted" });
        for await (const b of loader) out.push(b);
        loader.refresh();
        for await (const b of loader) out.push(b);
        runs.push(out);
        ds.destroy();
      }
      const [a, b] = runs as [Batch<"raw" | "gt">[], Batch<"raw" | "gt">[]];
      expect(a.length).toBe(8);
      a.forEach((x, k) => {
        expect(x.idx).toEqual(b[k]!.idx);
        expect(Buffer.from(x.raw.data.buffer).equals(Buffer.from(b[k]!.raw.data.buffer)), `raw of batch ${k}`).toBe(true);
        expect(Buffer.from(x.gt.data.buffer).equals(Buffer.from(b[k]!.gt.data.buffer)), `gt of batch ${k}`).toBe(true);
      });
      // The second epoch is new data.
      expect(a[4]!.idx).not.toEqual(a[0]!.idx);
    } finally {
      for (const p of pools) p.terminate();
    }
  });
});

describe("samplers", () => {
  test("a keyed permutation is a bijection of [0, n) for any n", () => {
    for (const n of [1, 2, 3, 5, 17, 64, 1000, 4099]) {
      const p = new Permutation(n, rngFor(5, n));
      const seen = new Set<number>();
      for (let i = 0; i < n; i++) seen.add(p.at(i));
      expect(seen.size).toBe(n);
      expect(Math.min(...seen)).toBe(0);
      expect(Math.max(...seen)).toBe(n - 1);
    }
    // Large n: spot checks stay in range and distinct, nothing is materialised.
    const big = new Permutation(10 ** 12 + 7, rngFor(1));
    const some = Array.from({ length: 1000 }, (_, i) => big.at(i * 999_999_937));
    expect(new Set(some).size).toBe(1000);
    expect(some.every((x) => x >= 0 && x < 10 ** 12 + 7)).toBe(true);
    // Not the identity.
    expect(Array.from({ length: 10 }, (_, i) => new Permutation(1000, rngFor(2)).at(i))).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  // A fake source of two runs: 900 samples with only mito, 100 with only er.
  const fake = (counts: ClassCounts[], lengths: number[]): SampleSource => {
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
      locate: () => { throw new Error("unused"); },
      get: () => { throw new Error("unused"); },
      classCounts: Promise.resolve(total),
      classWeights: Promise.resolve(weights),
    };
  };
  const counts = [{ mito: { foreground: 50, background: 50 } }, { er: { foreground: 10, background: 90 } }];

  test("random: each pass over the data visits every index once", async () => {
    const src = fake(counts, [900, 100]);
    const stream = await createIndexStream(src, "random", { seed: 1, epoch: 0 });
    for (const pass of [0, 1]) {
      const seen = new Set(Array.from({ length: 1000 }, (_, p) => stream(pass * 1000 + p)));
      expect(seen.size).toBe(1000);
    }
    const other = await createIndexStream(src, "random", { seed: 1, epoch: 1 });
    expect(Array.from({ length: 20 }, (_, p) => other(p))).not.toEqual(Array.from({ length: 20 }, (_, p) => stream(p)));
  });

  test("weighted: runs are drawn in proportion to their class-weighted foreground", async () => {
    // Weights: mito 50/50 = 1, er 90/10 = 9; run weights 50 * 1 = 50 and 10 * 9 = 90.
    const stream = await createIndexStream(fake(counts, [900, 100]), "weighted", { seed: 2, epoch: 0 });
    let er = 0;
    const n = 5000;
    for (let p = 0; p < n; p++) er += stream(p) >= 900 ? 1 : 0;
    expect(Math.abs(er / n - 90 / 140)).toBeLessThan(0.03);
  });

  test("classBalanced: the least-seen class is picked next", async () => {
    const stream = await createIndexStream(fake(counts, [900, 100]), "classBalanced", { seed: 3, epoch: 0 });
    const picks = Array.from({ length: 200 }, (_, p) => (stream(p) >= 900 ? "er" : "mito"));
    // Two classes, each run holding one: they alternate exactly.
    for (let p = 0; p + 1 < picks.length; p += 2) expect(new Set([picks[p], picks[p + 1]]).size).toBe(2);
    // Asking again (or out of order) replays the same stream.
    expect(stream(5)).toBe(stream(5));
    const again = await createIndexStream(fake(counts, [900, 100]), "classBalanced", { seed: 3, epoch: 0 });
    expect(Array.from({ length: 50 }, (_, p) => again(p))).toEqual(Array.from({ length: 50 }, (_, p) => stream(p)));
  });

  test("loader options are validated", async () => {
    const src = fake(counts, [900, 100]);
    const field = (o: Record<string, unknown>) => {
      try {
        new CellMapDataLoader(src, { batchSize: 2, ...o });
      } catch (e) {
        expect(isCellMapError(e, "argument")).toBe(true);
        return (e as { field: string }).field;
      }
      return undefined;
    };
    expect(field({ batchSize: 0 })).toBe("batchSize");
    expect(field({ rank: 2, worldSize: 2 })).toBe("rank");
    expect(field({ sampler: "greedy" })).toBe("sampler");
    expect(field({ prefetch: 0 })).toBe("prefetch");
    expect(field({ iterationsPerEpoch: 2.5 })).toBe("iterationsPerEpoch");
    expect(field({})).toBeUndefined();
    const loader = new CellMapDataLoader(src, { batchSize: 8, worldSize: 4 });
    expect(loader.length).toBe(31); // floor(1000 / 32)
    loader.setEpoch(3);
    loader.refresh();
    expect(loader.epoch).toBe(4);
  });
});
