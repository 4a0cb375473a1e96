// The command line as a user runs it: arguments, messages and exit codes.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CellMapDataLoader } from "../src/dataset/dataloader.ts";
import { CellMapDataset } from "../src/dataset/dataset.ts";
import { GpuContext } from "../src/gpu/context.ts";
import { decodeNpy } from "../src/io/npy.ts";
import { serveStatic, type StaticServer } from "../src/serve/static-server.ts";
import { imageGrid } from "../src/viz/image-grid.ts";
import { batchConfig, countClasses, inProcessOptions, labelOracle, rawOracle, writeBatchFixture } from "./setup/cli-batch-fixture.ts";
import { CROP_PATH, CROP_TRANSLATION, RAW_PATH, RAW_SHAPE, SCALE } from "./setup/dataset-fixture.ts";
import { writeArrayFixture, FIXTURE_SCALE, FIXTURE_TRANSLATION, fixtureVolumes, FIXTURE_SHAPE } from "./setup/array-fixture.ts";

const run = promisify(execFile);
let dir: string;
let dsDir: string;
let config: string;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("node", ["bin/cellmap-data.js", ...args], { encoding: "utf8" });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cellmap-cli-"));
  await writeArrayFixture(dir);
  dsDir = join(dir, "dataset");
  mkdirSync(dsDir);
  config = await writeBatchFixture(dsDir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("cellmap-data", () => {
  test("info --json lists the levels with shape, voxel size, translation, dtype, chunks and codecs", async () => {
    const r = await cli("info", join(dir, "raw_v3"), "--json");
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.version).toBe("0.5");
    expect(info.levels[0]).toMatchObject({
      path: "s0", shape: [...FIXTURE_SHAPE], scale: [...FIXTURE_SCALE], translation: [...FIXTURE_TRANSLATION],
      dtype: "uint16", chunks: [8, 8, 8], shards: [16, 16, 16],
    });
    expect(info.levels[0].codecs.join(" ")).toMatch(/sharding_indexed\(.*zstd/);
    const text = await cli("info", join(dir, "labels_v2"));
    expect(text.stdout).toMatch(/s0\s+30x41x52\s+6,4,4\s+12,-8,20\s+uint8\s+10x16x16\s+blosc\(zstd\)/);
  });

  test("sample accepts --opt value and --opt=value and writes the stored voxels", async () => {
    const out = join(dir, "one.npy");
    const c = [10, 20, 30].map((v, k) => FIXTURE_TRANSLATION[k]! + v * FIXTURE_SCALE[k]!);
    const r = await cli("sample", join(dir, "raw_v3"), "--center", c.join(","), "--shape=1,1,3", "--scale", FIXTURE_SCALE.join(","), "--device=cpu", "--out", out);
    expect(r.code, r.stderr).toBe(0);
    const npy = decodeNpy(new Uint8Array(readFileSync(out)));
    expect(npy.shape).toEqual([1, 1, 3]);
    const { raw } = fixtureVolumes();
    const at = (z: number, y: number, x: number) => raw[(z * FIXTURE_SHAPE[1] + y) * FIXTURE_SHAPE[2] + x];
    expect(Array.from(npy.data as Float32Array)).toEqual([at(10, 20, 29), at(10, 20, 30), at(10, 20, 31)]);
  });

  test("--device=auto samples on the CPU twin on a software adapter (the GPU on a hardware one), with the same voxels", async () => {
    const c = [12, 22, 31].map((v, k) => FIXTURE_TRANSLATION[k]! + v * FIXTURE_SCALE[k]!);
    const run = async (device: string) => {
      const out = join(dir, `auto-${device}.npy`);
      const r = await cli("sample", join(dir, "raw_v3"), `--center=${c.join(",")}`, "--shape=2,3,4", `--scale=${FIXTURE_SCALE.join(",")}`, "--matrix=0,1,0,-1,0,0,0,0,1", `--device=${device}`, `--out=${out}`);
      expect(r.code, r.stderr).toBe(0);
      return { stderr: r.stderr, data: Array.from(decodeNpy(new Uint8Array(readFileSync(out))).data as Float32Array) };
    };
    const gpu = await GpuContext.create();
    const expected = gpu.isSoftware ? "cpu" : "gpu";
    gpu.destroy();
    const auto = await run("auto");
    expect(auto.stderr).toMatch(new RegExp(`bytes fetched, ${expected}\\)`));
    expect(auto.data).toEqual((await run(expected)).data);
    const bad = await cli("sample", join(dir, "raw_v3"), `--center=${c.join(",")}`, "--shape=1,1,1", "--scale=1,1,1", "--device=tpu", "--out=o.npy");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--device must be "gpu", "cpu" or "auto"/);
  });

  const bad: Array<[string, string[], RegExp]> = [
    ["an unknown command", ["frobnicate", "x"], /command must be "info", "sample", "batch" or "link"/],
    ["a missing --center", ["sample", "X", "--shape=1,1,1", "--scale=1,1,1", "--out=o.npy"], /--center is required/],
    ["a short --shape", ["sample", "X", "--center=1,2,3", "--shape=1,1", "--scale=1,1,1", "--out=o.npy"], /--shape must be 3 comma-separated numbers/],
    ["a bad --interp", ["sample", "X", "--center=1,2,3", "--shape=1,1,1", "--scale=1,1,1", "--interp=cubic", "--out=o.npy"], /--interp must be "linear" or "nearest"/],
    ["a bad --pad", ["sample", "X", "--center=1,2,3", "--shape=1,1,1", "--scale=1,1,1", "--pad=abc", "--out=o.npy"], /--pad must be a number or NaN/],
    ["a value that starts with '-' given as a separate word", ["sample", "X", "--center", "-1,2,3", "--shape=1,1,1", "--scale=1,1,1", "--out=o.npy"], /--center needs a value/],
    ["an unknown option", ["sample", "X", "--centre=1,2,3"], /--centre is not an option/],
    ["a --matrix of 8 numbers", ["sample", "X", "--center=1,2,3", "--shape=1,1,1", "--scale=1,1,1", "--matrix=1,0,0,0,1,0,0,0", "--out=o.npy"], /--matrix must be 9/],
  ];
  for (const [name, args, message] of bad) {
    test(`${name} exits 2 with a one-line message`, async () => {
      const r = await cli(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    });
  }

  test("--help lists info, sample, batch and link with their options and exits 0", async () => {
    const r = await cli("--help");
    expect(r.code).toBe(0);
    for (const line of [/cellmap-data info <url-or-path>/, /cellmap-data sample <url-or-path> --center=z,y,x/,
      /cellmap-data batch --config=FILE\.json \[--batch-size=N\] \[--seed=S\] \[--epoch=E\]\s+\[--index=i,j,\.\.\.\] \[--device=gpu\|cpu\|auto\] \[--out-dir=DIR\] \[--png\]\s+\[--sampler=random\|sequential\|weighted\|classBalanced\]/,
      /cellmap-data link <url> \[--center=z,y,x\] \[--labels=url,\.\.\.\] \[--base=URL\]/]) {
      expect(r.stdout).toMatch(line);
    }
  });

  test("a path that is no zarr group exits 1 naming it", async () => {
    const r = await cli("info", join(dir, "nothing"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(join(dir, "nothing"));
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});

// `batch` over the dataset fixture written to a folder (test/setup/cli-batch-fixture.ts).
const npy = (path: string) => {
  const a = decodeNpy(new Uint8Array(readFileSync(path)));
  expect(a.dtype).toBe("<f4");
  return { data: a.data as Float32Array, shape: a.shape };
};
const json = (path: string) => JSON.parse(readFileSync(path, "utf8"));
const sampleOf = (data: Float32Array, b: number, n: number) => data.subarray(b * n, (b + 1) * n);

async function firstLoaderBatch(seed: number, batchSize: number, sampler: "random" | "sequential" | "weighted" | "classBalanced" = "random") {
  const ds = await CellMapDataset.open({ ...inProcessOptions(dsDir), seed });
  const loader = new CellMapDataLoader(ds, { batchSize, seed, sampler, iterationsPerEpoch: 1 });
  for await (const batch of loader) return { ds, batch };
  throw new Error("no batch");
}

describe("cellmap-data batch", () => {
  test("writes the loader's batch: the .npy files equal CellMapDataLoader in-process, batch.json has its indices, centers and the matrices the samples were read through (cpu)", async () => {
    const out = join(dir, "batch-cpu");
    const r = await cli("batch", `--config=${config}`, "--device=cpu", "--seed=5", "--batch-size=6", `--out-dir=${out}`);
    expect(r.code, r.stderr).toBe(0);
    const raw = npy(join(out, "raw.npy"));
    const gt = npy(join(out, "gt.npy"));
    expect(raw.shape).toEqual([6, 1, 4, 8, 8]);
    expect(gt.shape).toEqual([6, 3, 4, 6, 6]);
    const { ds, batch } = await firstLoaderBatch(5, 6);
    try {
      expect(Array.from(raw.data)).toEqual(Array.from(batch.raw.data));
      expect(Array.from(gt.data)).toEqual(Array.from(batch.gt.data));
      const info = json(join(out, "batch.json"));
      expect(info.indices).toEqual(batch.idx);
      expect(info.centers).toEqual(batch.center);
      expect(info.length).toBe(ds.length);
      expect(info.grid.dims).toEqual(ds.grid.dims);
      expect(info.arrays.gt).toMatchObject({ file: "gt.npy", shape: [6, 3, 4, 6, 6], kind: "target", classes: ["mito", "er", "nucleus"] });
      // Samples are rotated (angles in [-40, 40]) and the recorded matrix is the one used: the
      // formula over the fixture's voxels with it gives the written arrays.
      expect(info.samples.filter((s: { matrix: number[][] }) => Math.abs(s.matrix[1]![1]! - 1) > 1e-6).length).toBeGreaterThan(1);
      let worst = 0;
      info.samples.forEach((s: { center: number[]; matrix: number[][]; deformed: boolean; inputOps: { raw: Array<{ kind: string }> } }, b: number) => {
        expect(s.deformed).toBe(false);
        expect(s.inputOps.raw.map((o) => o.kind)).toEqual(["normalize"]);
        const want = rawOracle(s.center, s.matrix);
        sampleOf(raw.data, b, 256).forEach((v, i) => (worst = Math.max(worst, Math.abs(v - want[i]!))));
        expect(Array.from(sampleOf(gt.data, b, 3 * 144))).toEqual(Array.from(labelOracle(s.center, s.matrix)));
      });
      expect(worst).toBeLessThan(1e-4);
      expect(Array.from(gt.data).some((v) => v === 1)).toBe(true);
    } finally {
      ds.destroy();
    }
  });

  test("on the GPU the batch equals the CPU loader's within float32 rounding", async () => {
    const out = join(dir, "batch-gpu");
    const r = await cli("batch", `--config=${config}`, "--seed=11", "--batch-size=4", `--out-dir=${out}`);
    expect(r.code, r.stderr).toBe(0);
    expect(json(join(out, "batch.json")).device).toBe("gpu");
    const { ds, batch } = await firstLoaderBatch(11, 4);
    try {
      const raw = npy(join(out, "raw.npy"));
      expect(raw.shape).toEqual(batch.raw.shape);
      let worst = 0;
      raw.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - batch.raw.data[i]!))));
      expect(worst).toBeLessThan(1e-5);
      expect(Array.from(npy(join(out, "gt.npy")).data)).toEqual(Array.from(batch.gt.data));
    } finally {
      ds.destroy();
    }
  });

  test("--index reads those samples as dataset.get does, --png writes the grid, and the summary's class fractions match the written labels", async () => {
    const out = join(dir, "batch-index");
    const r = await cli("batch", "--config", config, "--device=cpu", "--index=0,1200,4061", "--epoch=2", "--png", `--out-dir=${out}`);
    expect(r.code, r.stderr).toBe(0);
    const ds = await CellMapDataset.open(inProcessOptions(dsDir));
    try {
      const items = await Promise.all([0, 1200, 4061].map((i) => ds.get(i, { epoch: 2 })));
      const raw = npy(join(out, "raw.npy"));
      const gt = npy(join(out, "gt.npy"));
      expect(raw.shape).toEqual([3, 1, 4, 8, 8]);
      items.forEach((it, b) => {
        expect(Array.from(sampleOf(raw.data, b, 256))).toEqual(Array.from(it.raw.data));
        expect(Array.from(sampleOf(gt.data, b, 3 * 144))).toEqual(Array.from(it.gt.data));
      });
      const info = json(join(out, "batch.json"));
      expect(info.indices).toEqual([0, 1200, 4061]);
      expect(info.centers).toEqual([0, 1200, 4061].map((i) => ds.center(i)));
      expect(info.epoch).toBe(2);

      const png = new Uint8Array(readFileSync(join(out, "batch.png")));
      expect(Array.from(png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
      expect(new TextDecoder().decode(png.subarray(12, 16))).toBe("IHDR");
      const view = new DataView(png.buffer, png.byteOffset);
      const grid = imageGrid({ raw: { data: raw.data, shape: raw.shape }, gt: { data: gt.data, shape: gt.shape } }, { dataset: ds, tileSize: 128 });
      expect([view.getUint32(16), view.getUint32(20)]).toEqual([grid.width, grid.height]);
      expect(grid.columns.length).toBe(4); // raw, then mito, er, nucleus

      expect(r.stdout).toContain(`dataset: ${ds.length} samples on a ${ds.grid.dims.join(" x ")} grid`);
      const counts = countClasses(gt.data, gt.shape);
      ["mito", "er", "nucleus"].forEach((c, k) => {
        const m = new RegExp(`^\\s+${c}\\s+([\\d.]+)\\s+([\\d.]+)\\s+([\\d.]+)$`, "m").exec(r.stdout);
        expect(m, r.stdout).not.toBeNull();
        const n = counts[k]!;
        expect(Number(m![1])).toBeCloseTo(n.foreground / n.total, 4);
        expect(Number(m![2])).toBeCloseTo(n.background / n.total, 4);
        expect(Number(m![3])).toBeCloseTo(n.unknown / n.total, 4);
      });
      expect(counts[2]!.unknown).toBe(counts[2]!.total); // nucleus is not annotated
      expect(counts[0]!.foreground + counts[1]!.foreground).toBeGreaterThan(0);
      expect(r.stdout).toContain(`wrote ${out}: raw.npy, gt.npy, batch.json, batch.png`);
    } finally {
      ds.destroy();
    }
  });

  test("--sampler=sequential reads samples 0, 1, 2 and --sampler=weighted the in-process loader's draw: the .npy files equal CellMapDataLoader with the same sampler, batch.json and the summary name it", async () => {
    for (const [sampler, seed] of [["sequential", 7], ["weighted", 3]] as const) {
      const out = join(dir, `batch-${sampler}`);
      const r = await cli("batch", `--config=${config}`, "--device=cpu", `--sampler=${sampler}`, `--seed=${seed}`, "--batch-size=3", `--out-dir=${out}`);
      expect(r.code, r.stderr).toBe(0);
      const info = json(join(out, "batch.json"));
      expect(info.sampler).toBe(sampler);
      expect(r.stdout).toContain(`(${sampler} sampler, seed ${seed}, epoch 0, cpu)`);
      const { ds, batch } = await firstLoaderBatch(seed, 3, sampler);
      try {
        if (sampler === "sequential") expect(info.indices).toEqual([0, 1, 2]);
        expect(info.indices).toEqual(batch.idx);
        expect(info.centers).toEqual(batch.center);
        expect(r.stdout).toContain(`indices ${batch.idx.join(", ")}`);
        const raw = npy(join(out, "raw.npy"));
        const gt = npy(join(out, "gt.npy"));
        expect(raw.shape).toEqual([3, 1, 4, 8, 8]);
        expect(Array.from(raw.data)).toEqual(Array.from(batch.raw.data));
        expect(Array.from(gt.data)).toEqual(Array.from(batch.gt.data));
      } finally {
        ds.destroy();
      }
    }
    // The default stays random, and says so.
    const d = await cli("batch", `--config=${config}`, "--device=cpu", "--batch-size=1", `--out-dir=${join(dir, "batch-default")}`);
    expect(d.code, d.stderr).toBe(0);
    expect(json(join(dir, "batch-default", "batch.json")).sampler).toBe("random");
  });

  test("a bad --sampler, or --sampler with --index, exits 2 naming --sampler", async () => {
    const bad = await cli("batch", `--config=${config}`, "--device=cpu", "--sampler=shuffled", `--out-dir=${join(dir, "never")}`);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--sampler must be "random", "sequential", "weighted" or "classBalanced" \(got "shuffled"\)/);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    const both = await cli("batch", `--config=${config}`, "--device=cpu", "--sampler=sequential", "--index=0,1", `--out-dir=${join(dir, "never")}`);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--sampler cannot be given with --index/);
    expect(() => readFileSync(join(dir, "never", "batch.json"))).toThrow();
  });

  const badConfigs: Array<[string, Record<string, unknown>, RegExp]> = [
    ["isTrain as a word", { isTrain: "yes" }, /isTrain must be true or false/],
    ["emptyValue as a word", { emptyValue: "none" }, /emptyValue must be a number or "NaN"/],
    ["a misspelt field", { clases: ["mito"] }, /clases is not a dataset option/],
    ["classes as one string", { classes: "mito" }, /classes must be a list of names/],
    ["a shape with a zero", { inputArrays: { raw: { shape: [0, 8, 8], scale: [4, 4, 4] } } }, /inputArrays\.raw\.shape must be three positive integers/],
    ["a mirror probability of 2", { spatialTransforms: { mirror: { axes: { x: 2 } } } }, /spatialTransforms\.mirror\.axes\.x must be a probability/],
    ["value transforms of no array", { valueTransforms: { rwa: [{ normalize: {} }] } }, /valueTransforms\.rwa names no input array/],
    ["inputPath as a number", { inputPath: 7 }, /inputPath must be a URL or a path/],
  ];
  for (const [name, change, message] of badConfigs) {
    test(`a config with ${name} exits 2 naming the field`, async () => {
      const file = join(dsDir, `bad-${name.replace(/\W+/g, "-")}.json`);
      writeFileSync(file, JSON.stringify({ ...batchConfig(), ...change }));
      const r = await cli("batch", `--config=${file}`, "--device=cpu", `--out-dir=${join(dir, "never")}`);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    });
  }

  test("a config that is not JSON, an index past the end and a missing --config exit 2; a missing raw array exits 1 naming it", async () => {
    const notJson = join(dsDir, "not-json.json");
    writeFileSync(notJson, "{ inputPath: ");
    const a = await cli("batch", `--config=${notJson}`, "--device=cpu");
    expect([a.code, a.stderr]).toEqual([2, expect.stringMatching(/--config is not valid JSON/)]);
    const b = await cli("batch", `--config=${config}`, "--device=cpu", "--index=0,999999", `--out-dir=${join(dir, "never")}`);
    expect([b.code, b.stderr]).toEqual([2, expect.stringMatching(/--index must be below the dataset's length \d+ \(got 999999\)/)]);
    const c = await cli("batch", "--device=cpu");
    expect([c.code, c.stderr]).toEqual([2, expect.stringMatching(/--config is required/)]);
    const missing = join(dsDir, "missing-raw.json");
    writeFileSync(missing, JSON.stringify({ ...batchConfig(), inputPath: "sample.zarr/recon-1/em/nothing" }));
    const d = await cli("batch", `--config=${missing}`, "--device=cpu", `--out-dir=${join(dir, "never")}`);
    expect(d.code).toBe(1);
    expect(d.stderr).toContain(join(dsDir, "sample.zarr/recon-1/em/nothing"));
    expect(() => readFileSync(join(dir, "never", "batch.json"))).toThrow();
  });
});

describe("cellmap-data link", () => {
  let server: StaticServer;
  beforeAll(async () => {
    server = await serveStatic({ root: dsDir });
  });
  afterAll(() => server.close());
  const decode = (url: string) => JSON.parse(decodeURIComponent(url.slice(url.indexOf("#!") + 2)));

  test("prints a URL whose state has the array's zarr3 source, centered on the array's center in x, y, z voxels", async () => {
    const rawUrl = `${server.url}/sample.zarr/${RAW_PATH}`;
    const r = await cli("link", rawUrl);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    expect(r.stdout.startsWith("https://neuroglancer-demo.appspot.com/#!")).toBe(true);
    const state = decode(r.stdout.trim());
    expect(state.layers).toEqual([{ type: "image", name: "fibsem-uint8", source: `zarr3://${rawUrl}` }]);
    expect(state.dimensions).toEqual({ x: [4e-9, "m"], y: [4e-9, "m"], z: [4e-9, "m"] });
    // World center (z, y, x) = translation 0 + (shape - 1) / 2 * 4 nm; the position is x, y, z in 4 nm voxels.
    const world = RAW_SHAPE.map((n) => ((n - 1) / 2) * SCALE);
    expect(state.position).toEqual([world[2]! / SCALE, world[1]! / SCALE, world[0]! / SCALE]);
  });

  test("--center, --labels and --base: label layers as segmentations, the position at the given world point", async () => {
    const rawUrl = `${server.url}/sample.zarr/${RAW_PATH}`;
    const crop = `${server.url}/sample.zarr/${CROP_PATH}`;
    const center = [CROP_TRANSLATION[0] + 20, CROP_TRANSLATION[1] + 36, 50];
    const r = await cli("link", rawUrl, `--center=${center.join(",")}`, `--labels=${crop}/mito,${crop}/er`, "--base=http://localhost:8080/");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith("http://localhost:8080/#!")).toBe(true);
    const state = decode(r.stdout.trim());
    expect(state.position).toEqual([50 / SCALE, (CROP_TRANSLATION[1] + 36) / SCALE, (CROP_TRANSLATION[0] + 20) / SCALE]);
    expect(state.layers.map((l: { type: string; name: string; source: string }) => [l.type, l.name, l.source])).toEqual([
      ["image", "fibsem-uint8", `zarr3://${rawUrl}`],
      ["segmentation", "mito", `zarr3://${crop}/mito`],
      ["segmentation", "er", `zarr3://${crop}/er`],
    ]);
    expect(state.layers[1].segments).toEqual(["1"]);
  });

  test("a local path exits 2 saying to serve it; a URL with no zarr group exits 1", async () => {
    const local = await cli("link", join(dsDir, "sample.zarr", RAW_PATH));
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/<url> is a local path, which neuroglancer cannot read: serve the folder over HTTP/);
    const missing = await cli("link", `${server.url}/sample.zarr/nothing`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${server.url}/sample.zarr/nothing`);
  });
});
