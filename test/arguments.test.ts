// Wrong arguments to every public entry point: a table of (call -> error class, field), each
// raised before anything is allocated (no raw TypeError from Dawn, no RangeError from a typed
// array), with unknown option keys named next to the nearest valid key. Runs on local files, the
// CPU device and Dawn on SwiftShader.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  ArgumentError, BudgetError, CellMapArray, CellMapDataLoader, CellMapDataset, CellMapDatasetWriter, CellMapDataSplit, GpuContext, HttpError,
  isCellMapError, MetadataError, WorkerPool,
} from "../src/index.ts";
import { DATASET_DIR, writeDatasetFixture } from "./setup/dataset-http-fixture.ts";
import { CROP_PATH, RAW_PATH, SCALE } from "./setup/dataset-fixture.ts";
import { validV3 } from "./setup/metadata-cases.ts";
import { writeGroupFiles } from "./setup/metadata-fixture.ts";

let dir: string;
let group: string;
let cpu: CellMapArray;
let gpuArray: CellMapArray;
let gpu: GpuContext;
let ds: CellMapDataset;
let datasetOptions: () => Record<string, unknown>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cellmap-arguments-"));
  group = join(dir, "group");
  await writeGroupFiles(group, validV3());
  await writeDatasetFixture(dir);
  const zarr = join(dir, DATASET_DIR, "sample.zarr");
  datasetOptions = () => ({
    inputPath: `${zarr}/${RAW_PATH}`,
    targetPath: `${zarr}/${CROP_PATH}/[mito,er]`,
    inputArrays: { raw: { shape: [2, 4, 4], scale: [SCALE, SCALE, SCALE] } },
    targetArrays: { gt: { shape: [2, 2, 2], scale: [SCALE, SCALE, SCALE] } },
    device: "cpu",
    workers: 0,
  });
  gpu = await GpuContext.create({ label: "arguments test" });
  cpu = await CellMapArray.open(group, { device: "cpu", workers: 0 });
  gpuArray = await CellMapArray.open(group, { gpu, workers: 0 });
  ds = await CellMapDataset.open(datasetOptions() as never);
});
afterAll(() => {
  ds?.destroy();
  cpu?.destroy();
  gpuArray?.destroy();
  gpu?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const C = [{ center: [14, 14, 14] as const }];
const grid = { shape: [2, 2, 2], scale: [4, 4, 4] } as const;
// deno-lint-ignore no-explicit-any
const any = (v: unknown): any => v;

interface Case {
  name: string;
  call: () => Promise<unknown> | unknown;
  error: typeof ArgumentError | typeof BudgetError | typeof MetadataError;
  field?: string;
  says?: RegExp;
}

const CASES: Case[] = [
  // CellMapArray.open
  { name: "open without a location", call: () => CellMapArray.open(any(undefined)), error: ArgumentError, field: "location" },
  { name: "open with an empty location", call: () => CellMapArray.open(""), error: ArgumentError, field: "location" },
  { name: "open with null options", call: () => CellMapArray.open(group, any(null)), error: ArgumentError, field: "options" },
  { name: "open with an unknown option", call: () => CellMapArray.open(group, any({ device: "cpu", worker: 2 })), error: ArgumentError, field: "worker", says: /did you mean workers\?/ },
  { name: "open with workers: 10000", call: () => CellMapArray.open(group, { device: "cpu", workers: 10000 }), error: ArgumentError, field: "workers", says: /0 to 64/ },
  { name: "open with workers: -1", call: () => CellMapArray.open(group, { device: "cpu", workers: -1 }), error: ArgumentError, field: "workers" },
  { name: "open with workers: 1.5", call: () => CellMapArray.open(group, { device: "cpu", workers: 1.5 }), error: ArgumentError, field: "workers" },
  { name: "open with cacheBytes: 0", call: () => CellMapArray.open(group, { device: "cpu", cacheBytes: 0 }), error: ArgumentError, field: "cacheBytes" },
  { name: "open with cacheBytes: NaN", call: () => CellMapArray.open(group, { device: "cpu", cacheBytes: NaN }), error: ArgumentError, field: "cacheBytes" },
  { name: "open with cacheBytes: '1MB'", call: () => CellMapArray.open(group, any({ device: "cpu", cacheBytes: "1MB" })), error: ArgumentError, field: "cacheBytes" },
  { name: "open with device: 'tpu'", call: () => CellMapArray.open(group, any({ device: "tpu" })), error: ArgumentError, field: "device" },
  { name: "open on the GPU without a GpuContext", call: () => CellMapArray.open(group, { device: "gpu" }), error: ArgumentError, field: "gpu" },
  { name: "open with maxConcurrency: 0", call: () => CellMapArray.open(group, { device: "cpu", storeOptions: { maxConcurrency: 0 } }), error: ArgumentError, field: "storeOptions.maxConcurrency" },
  { name: "open with maxTries: NaN", call: () => CellMapArray.open(group, { device: "cpu", storeOptions: { maxTries: NaN } }), error: ArgumentError, field: "storeOptions.maxTries" },
  { name: "open with a numeric header", call: () => CellMapArray.open(group, any({ device: "cpu", storeOptions: { headers: { "X-Api-Key": 42 } } })), error: ArgumentError, field: "storeOptions.headers.X-Api-Key" },
  { name: "open with a level path", call: () => CellMapArray.open(join(group, "s0"), { device: "cpu" }), error: MetadataError, field: "node_type", says: /is an array .*open the group that holds its levels, e\.g\. \S*\/group \(got "array"\)$/ },
  // sample
  { name: "sample without specs", call: () => cpu.sample(any(undefined), grid), error: ArgumentError, field: "specs" },
  { name: "sample with a spec without center", call: () => cpu.sample(any([{}]), grid), error: ArgumentError, field: "specs[0].center" },
  { name: "sample with a NaN center", call: () => cpu.sample([{ center: [NaN, 0, 0] }], grid), error: ArgumentError, field: "specs[0].center" },
  { name: "sample with a string center", call: () => cpu.sample(any([{ center: "1,2,3" }]), grid), error: ArgumentError, field: "specs[0].center" },
  { name: "sample without options", call: () => cpu.sample(C, any(undefined)), error: ArgumentError, field: "options" },
  { name: "sample with a negative shape", call: () => cpu.sample(C, { shape: [-1, 2, 2], scale: [4, 4, 4] }), error: ArgumentError, field: "shape" },
  { name: "sample with a NaN shape", call: () => cpu.sample(C, { shape: [NaN, 2, 2], scale: [4, 4, 4] }), error: ArgumentError, field: "shape", says: /\(got \[NaN,2,2\]\)$/ },
  { name: "sample with an Infinity shape", call: () => cpu.sample(C, { shape: [Infinity, 2, 2], scale: [4, 4, 4] }), error: ArgumentError, field: "shape" },
  { name: "sample with a string shape", call: () => cpu.sample(C, any({ shape: ["2", "2", "2"], scale: [4, 4, 4] })), error: ArgumentError, field: "shape" },
  { name: "sample with a 2D shape", call: () => cpu.sample(C, { shape: [2, 2], scale: [4, 4, 4] }), error: ArgumentError, field: "shape" },
  { name: "sample without scale", call: () => cpu.sample(C, any({ shape: [2, 2, 2] })), error: ArgumentError, field: "scale" },
  { name: "sample with a zero scale", call: () => cpu.sample(C, { shape: [2, 2, 2], scale: [0, 4, 4] }), error: ArgumentError, field: "scale" },
  { name: "sample with a misspelled option", call: () => cpu.sample(C, any({ ...grid, intrep: "nearest" })), error: ArgumentError, field: "intrep", says: /did you mean interp\?/ },
  { name: "sample with interp 'cubic'", call: () => cpu.sample(C, any({ ...grid, interp: "cubic" })), error: ArgumentError, field: "interp" },
  { name: "sample with a string pad", call: () => cpu.sample(C, any({ ...grid, pad: "0" })), error: ArgumentError, field: "pad" },
  { name: "sample of 2048³ voxels (CPU)", call: () => cpu.sample(C, { shape: [2048, 2048, 2048], scale: [4, 4, 4] }), error: BudgetError },
  // GPU: checked before Dawn sees a buffer size
  { name: "sample with a negative shape on the GPU", call: () => gpuArray.sample(C, { shape: [-1, 2, 2], scale: [4, 4, 4] }), error: ArgumentError, field: "shape" },
  { name: "sample of 2048³ voxels (GPU)", call: () => gpuArray.sample(C, { shape: [2048, 2048, 2048], scale: [4, 4, 4] }), error: BudgetError },
  {
    name: "sampleInto a buffer too small",
    call: () => gpuArray.sampleInto(C, { ...grid, buffer: gpu.device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE }) }),
    error: ArgumentError, field: "buffer",
  },
  {
    name: "sampleInto at an unaligned byteOffset",
    call: () => gpuArray.sampleInto(C, { ...grid, byteOffset: 3, buffer: gpu.device.createBuffer({ size: 64, usage: GPUBufferUsage.STORAGE }) }),
    error: ArgumentError, field: "byteOffset",
  },
  // CellMapDataset.open
  { name: "dataset without options", call: () => CellMapDataset.open(any(undefined)), error: ArgumentError, field: "options" },
  { name: "dataset with inputArray for inputArrays", call: () => { const o = datasetOptions(); o["inputArray"] = o["inputArrays"]; delete o["inputArrays"]; return CellMapDataset.open(any(o)); }, error: ArgumentError, field: "inputArray", says: /did you mean inputArrays\?/ },
  { name: "dataset with a negative shape", call: () => CellMapDataset.open(any({ ...datasetOptions(), inputArrays: { raw: { shape: [-2, 4, 4], scale: [4, 4, 4] } } })), error: ArgumentError, field: "inputArrays.raw.shape" },
  { name: "dataset without a scale", call: () => CellMapDataset.open(any({ ...datasetOptions(), inputArrays: { raw: { shape: [2, 4, 4] } } })), error: ArgumentError, field: "inputArrays.raw.scale" },
  { name: "dataset with a misspelled array key", call: () => CellMapDataset.open(any({ ...datasetOptions(), inputArrays: { raw: { shap: [2, 4, 4], scale: [4, 4, 4] } } })), error: ArgumentError, field: "inputArrays.raw.shap", says: /did you mean inputArrays\.raw\.shape\?/ },
  { name: "dataset with workers: 10000", call: () => CellMapDataset.open(any({ ...datasetOptions(), workers: 10000 })), error: ArgumentError, field: "workers" },
  { name: "dataset of 2048³ voxels per sample", call: () => CellMapDataset.open(any({ ...datasetOptions(), inputArrays: { raw: { shape: [2048, 2048, 2048], scale: [4, 4, 4] } } })), error: BudgetError, says: /inputArrays\.raw/ },
  // CellMapDataSplit.open
  { name: "split with datasetdict", call: () => CellMapDataSplit.open(any({ datasetdict: {}, inputArrays: {} })), error: ArgumentError, field: "datasetdict", says: /did you mean datasetDict\?/ },
  { name: "split with workers: 10000", call: () => CellMapDataSplit.open(any({ csv: "", inputArrays: {}, workers: 10000 })), error: ArgumentError, field: "workers" },
  // chunksForSample
  { name: "chunksForSample with a negative shape", call: () => cpu.chunksForSample({ center: [1, 2, 3] }, any({ shape: [-2, 2, 2], scale: [4, 4, 4] })), error: ArgumentError, field: "shape" },
  { name: "transformer without scale", call: () => cpu.transformer(any({ shape: [2, 2, 2] })), error: ArgumentError, field: "scale" },
  // CellMapDataLoader
  { name: "loader without options", call: () => new CellMapDataLoader(ds, any(undefined)), error: ArgumentError, field: "options" },
  { name: "loader without a source", call: () => new CellMapDataLoader(any(undefined), { batchSize: 2 }), error: ArgumentError, field: "source" },
  { name: "loader with batchSize 0", call: () => new CellMapDataLoader(ds, { batchSize: 0 }), error: ArgumentError, field: "batchSize" },
  { name: "loader with batchsize", call: () => new CellMapDataLoader(ds, any({ batchsize: 2 })), error: ArgumentError, field: "batchsize", says: /did you mean batchSize\?/ },
  { name: "loader whose batch cannot be held", call: () => new CellMapDataLoader(ds, { batchSize: 2 ** 27 }), error: BudgetError, says: /use batchSize \d+ or less/ },
  // WorkerPool.create
  { name: "pool of 10000 workers", call: () => WorkerPool.create({ size: 10000 }), error: ArgumentError, field: "size" },
  { name: "pool of -1 workers", call: () => WorkerPool.create({ size: -1 }), error: ArgumentError, field: "size" },
  { name: "pool with workers for size", call: () => WorkerPool.create(any({ workers: 2 })), error: ArgumentError, field: "workers", says: /valid: size/ },
  // CellMapDatasetWriter.create
  { name: "writer without options", call: () => CellMapDatasetWriter.create(any(undefined)), error: ArgumentError, field: "options" },
  { name: "writer without a path", call: () => CellMapDatasetWriter.create(any({ classes: ["mito"], targetArrays: {}, targetBounds: {} })), error: ArgumentError, field: "path" },
  { name: "writer with outputPath", call: () => CellMapDatasetWriter.create(any({ outputPath: "/tmp/x", classes: ["mito"] })), error: ArgumentError, field: "outputPath", says: /did you mean path\?/ },
  { name: "writer with workers: 10000", call: () => CellMapDatasetWriter.create(any({ path: join(dir, "out"), classes: ["mito"], workers: 10000 })), error: ArgumentError, field: "workers" },
];

describe("wrong arguments raise typed errors naming the field", () => {
  for (const c of CASES) {
    test(`${c.name}: ${c.error.name}${c.field ? ` on ${c.field}` : ""}`, async () => {
      let caught: unknown;
      try {
        await c.call();
      } catch (e) {
        caught = e;
      }
      expect(caught, String(caught)).toBeInstanceOf(c.error);
      if (c.field !== undefined) expect((caught as ArgumentError).field, (caught as Error).message).toBe(c.field);
      if (c.field !== undefined) expect((caught as Error).message.startsWith(c.field) || (caught as Error).message.includes(`: ${c.field} `)).toBe(true);
      if (c.says) expect((caught as Error).message).toMatch(c.says);
    });
  }

  test("as const tuples are accepted for shapes, scales and centers", async () => {
    const out = await cpu.sample([{ center: [14, 14, 14] as const }], { shape: [2, 2, 2] as const, scale: [4, 4, 4] as const });
    expect([...out]).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    const spec = { shape: [2, 4, 4], scale: [SCALE, SCALE, SCALE] } as const;
    const d = await CellMapDataset.open({ ...(datasetOptions() as { inputPath: string }), inputArrays: { raw: spec }, targetArrays: { gt: spec } });
    expect((await d.get(0)).raw.shape).toEqual([1, 2, 4, 4]);
    d.destroy();
  });

  test('isCellMapError(e, "http") narrows to HttpError (e.url and e.status type-check)', () => {
    const e: unknown = new HttpError("https://host/a.zarr/zarr.json", 503, 4);
    if (!isCellMapError(e, "http")) throw new Error("not narrowed");
    const url: string = e.url;
    const status: number | undefined = e.status;
    expect([url, status, e.attempts]).toEqual(["https://host/a.zarr/zarr.json", 503, 4]);
    const m: unknown = new MetadataError("u", "shape", "is bad");
    expect(isCellMapError(m, "metadata") && m.field).toBe("shape");
  });

  test("WorkerPool.destroy() stops the pool (terminate() is its deprecated alias)", async () => {
    const pool = await WorkerPool.create({ size: 0 });
    pool.destroy();
    await expect(pool.read({ url: group, path: "/s0", coords: [0, 0, 0], spatialDims: [0, 1, 2], kind: "u8" })).rejects.toThrow();
  });
});
