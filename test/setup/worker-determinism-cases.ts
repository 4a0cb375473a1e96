// Determinism across fetch-worker counts, shared by the Node, Deno and Chromium suites (Node also
// runs its own on 1 and 4 worker threads reading files, test/dataloader.test.ts). The dataset of
// test/setup/dataset-http-fixture.ts is read over real HTTP by one fetch worker, then by two; a
// seeded loader with spatial transforms must give bit-identical batches either way.
import { CellMapDataLoader, type Batch } from "../../src/dataset/dataloader.ts";
import { CellMapDataset } from "../../src/dataset/dataset.ts";
import { CROP_PATH, RAW_PATH } from "./dataset-fixture.ts";
import { check } from "./assert.ts";
import type { Cases } from "./cases.ts";

type Names = "raw" | "gt";

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  check(a.length === b.length, `${what}: ${a.length} values, expected ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) throw new Error(`${what}: value ${i} is ${a[i]}, expected ${b[i]}`);
  }
}

function openDataset(baseUrl: string, workers: number): Promise<CellMapDataset<Names>> {
  return CellMapDataset.open({
    inputPath: `${baseUrl}/sample.zarr/${RAW_PATH}`,
    targetPath: `${baseUrl}/sample.zarr/${CROP_PATH}/[mito,er]`,
    classes: ["mito", "er", "nucleus"],
    inputArrays: { raw: { shape: [4, 8, 8], scale: [4, 4, 4] } },
    targetArrays: { gt: { shape: [3, 6, 6], scale: [4, 4, 4] } },
    spatialTransforms: { mirror: { axes: { x: 0.5, z: 0.5 } }, rotate: { axes: { z: [-180, 180], y: [-15, 15] } } },
    isTrain: true,
    device: "cpu",
    workers,
    cacheBytes: 64 * 1024,
  });
}

/**
 * Same seed: bit-identical batches with 1 worker and prefetch 1, and with 2 workers and prefetch 3,
 * over two epochs; the second epoch is new data.
 * @param baseUrl where the dataset folder is served (`<server>/dataset`).
 */
export async function sameBatchesWithOneAndTwoWorkers(baseUrl: string): Promise<void> {
  const runs: Batch<Names>[][] = [];
  for (const [workers, prefetch] of [[1, 1], [2, 3]] as const) {
    const ds = await openDataset(baseUrl, workers);
    try {
      const out: Batch<Names>[] = [];
      const loader = new CellMapDataLoader(ds, { batchSize: 4, iterationsPerEpoch: 3, seed: 123, prefetch, sampler: "weighted" });
      for await (const b of loader) out.push(b);
      loader.refresh();
      for await (const b of loader) out.push(b);
      runs.push(out);
    } finally {
      ds.destroy();
    }
  }
  const [one, two] = runs as [Batch<Names>[], Batch<Names>[]];
  check(one.length === 6 && two.length === 6, `${one.length} and ${two.length} batches, expected 6 each`);
  one.forEach((x, k) => {
    const y = two[k]!;
    sameBits(x.idx, y.idx, `idx of batch ${k}`);
    sameBits(x.raw.data, y.raw.data, `raw of batch ${k}`);
    sameBits(x.gt.data, y.gt.data, `gt of batch ${k}`);
  });
  check(one[3]!.idx.join() !== one[0]!.idx.join(), "the second epoch repeats the first one's indices");
  check(one.some((x) => x.gt.data.some((v) => v === 1)), "no batch holds a labelled voxel: the check compares only background");
}

/** Every case, by title, for the case registry (test/setup/cases.ts); the dataset fixture is served by the runner. */
export const workerDeterminismCases = {
  "same seed: bit-identical batches with 1 worker and with 2, prefetch 1 and 3": async (ctx) => sameBatchesWithOneAndTwoWorkers(await ctx.datasetFixtureUrl()),
} satisfies Cases;
