// Opening an array asks only for the metadata of its group's zarr version: a v3 group makes no
// v2 request (.zattrs, .zgroup, .zarray), and a v2 group makes one v3 request (its own zarr.json,
// which says the version) and none for its levels. Requests counted by a real loopback server.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { CellMapArray } from "../src/array/cellmap-array.ts";
import { CellMapDataset } from "../src/dataset/dataset.ts";
import { serveStatic, type StaticServer } from "../src/serve/static-server.ts";
import { WorkerPool } from "../src/worker/pool.ts";
import { writeArrayFixture } from "./setup/array-fixture.ts";
import { DATASET_DIR, writeDatasetFixture } from "./setup/dataset-http-fixture.ts";
import { CROP_PATH, RAW_PATH, SCALE } from "./setup/dataset-fixture.ts";

let dir: string;
let server: StaticServer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cellmap-probing-"));
  await writeArrayFixture(dir);
  await writeDatasetFixture(dir);
  server = await serveStatic({ root: dir });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The paths requested while `work` runs, sorted. */
async function requestsDuring(work: () => Promise<void>): Promise<string[]> {
  server.requests.clear();
  await work();
  return [...server.requests.entries()].flatMap(([p, n]) => Array<string>(n).fill(p)).sort();
}

const V2_FILES = /\/\.z(attrs|group|array)$/;

test("opening a v3 array asks for its group's zarr.json and each level's, and nothing of zarr v2", async () => {
  const seen = await requestsDuring(async () => {
    (await CellMapArray.open(`${server.url}/raw_v3`, { device: "cpu", workers: 0 })).destroy();
  });
  expect(seen).toEqual(["/raw_v3/s0/zarr.json", "/raw_v3/zarr.json"]);
});

test("opening a v2 array asks for zarr.json once (the group's version), then only v2 files", async () => {
  const seen = await requestsDuring(async () => {
    (await CellMapArray.open(`${server.url}/labels_v2`, { device: "cpu", workers: 0 })).destroy();
  });
  expect(seen).toEqual(["/labels_v2/.zattrs", "/labels_v2/.zgroup", "/labels_v2/s0/.zarray", "/labels_v2/zarr.json"]);
});

test("opening a v3 dataset (raw and two label classes, several levels) makes no v2 request", async () => {
  const zarr = `${server.url}/${DATASET_DIR}/sample.zarr`;
  const pool = await WorkerPool.create({ size: 0 });
  try {
    const seen = await requestsDuring(async () => {
      const ds = await CellMapDataset.open({
        inputPath: `${zarr}/${RAW_PATH}`,
        targetPath: `${zarr}/${CROP_PATH}/[mito,er]`,
        inputArrays: { raw: { shape: [2, 4, 4], scale: [SCALE, SCALE, SCALE] } },
        targetArrays: { gt: { shape: [2, 2, 2], scale: [SCALE, SCALE, SCALE] } },
        device: "cpu",
        pool,
      });
      ds.destroy();
    });
    expect(seen.filter((p) => V2_FILES.test(p))).toEqual([]);
    expect(seen.length).toBeGreaterThan(3);
    // Each metadata file once.
    expect(new Set(seen).size).toBe(seen.length);
  } finally {
    pool.terminate();
  }
});
