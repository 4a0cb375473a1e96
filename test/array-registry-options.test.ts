// Sharing an array through the ArrayRegistry on local files (Node): an empty options object
// means what no options object means, so `storeOptions: {}` and no storeOptions share one array,
// while options that differ still refuse to share.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ArrayRegistry } from "../src/dataset/array-registry.ts";
import { CellMapDataset, type CellMapDatasetOptions } from "../src/dataset/dataset.ts";
import { ArgumentError } from "../src/errors.ts";
import { WorkerPool } from "../src/worker/pool.ts";
import { DATASET_DIR, writeDatasetFixture } from "./setup/dataset-http-fixture.ts";
import { CROP_PATH, RAW_PATH, SCALE } from "./setup/dataset-fixture.ts";

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cellmap-registry-"));
  await writeDatasetFixture(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function options(extra: Partial<CellMapDatasetOptions<"raw", "gt">>): CellMapDatasetOptions<"raw", "gt"> {
  const zarr = join(dir, DATASET_DIR, "sample.zarr");
  return {
    inputPath: `${zarr}/${RAW_PATH}`,
    targetPath: `${zarr}/${CROP_PATH}/[mito,er]`,
    classes: ["mito", "er"],
    inputArrays: { raw: { shape: [2, 4, 4], scale: [SCALE, SCALE, SCALE] } },
    targetArrays: { gt: { shape: [2, 2, 2], scale: [SCALE, SCALE, SCALE] } },
    device: "cpu",
    ...extra,
  };
}

test("storeOptions: {} shares an array opened without storeOptions; different options still do not", async () => {
  const arrays = new ArrayRegistry();
  const pool = await WorkerPool.create({ size: 0 });
  try {
    const a = await CellMapDataset.open(options({ arrays, pool }));
    const b = await CellMapDataset.open(options({ arrays, pool, storeOptions: {} }));
    expect(b.input).toBe(a.input);
    expect(arrays.refs(a.input)).toBe(2);
    const err = await CellMapDataset.open(options({ arrays, pool, storeOptions: { maxTries: 2 } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArgumentError);
    expect((err as ArgumentError).field).toBe("storeOptions");
    for (const d of [a, b]) d.destroy();
    expect(arrays.size).toBe(0);
  } finally {
    pool.terminate();
  }
});
