// CellMapDataLoader in Node: determinism across worker counts (real worker threads reading files;
// run `npm run build` first). The sampler cases (test/setup/sampler-cases.ts) run from the case
// registry (test/setup/cases.ts) in every runtime.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CellMapDataLoader, type Batch } from "../src/dataset/dataloader.ts";
import { CellMapDataset } from "../src/dataset/dataset.ts";
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

