// `cellmap-data batch` with several datasets, a split and store options: case bodies shared by
// the Node suite (the command run as a process, as a user runs it) and the Deno suite (main() run
// in-process, as `deno task cellmap-data` runs it). Each body gets a {@link CliEnv}: the two
// datasets of cli-datasets-fixture.ts in a temporary folder and a way to run the command.
//
// Values are checked against the fixture's formulas for the dataset batch.json names (the two
// datasets differ in raw scaling, annotated classes and augmentation, so a mix-up shows), and
// against CellMapDataLoader over a CellMapMultiDataset opened in-process.

import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseBatchConfig } from "../../src/cli/batch-config.ts";
import { ArrayRegistry } from "../../src/dataset/array-registry.ts";
import { CellMapDataLoader } from "../../src/dataset/dataloader.ts";
import { CellMapDataset } from "../../src/dataset/dataset.ts";
import { CellMapMultiDataset } from "../../src/dataset/multidataset.ts";
import { decodeNpy } from "../../src/io/npy.ts";
import { serveStatic } from "../../src/serve/static-server.ts";
import { caughtSync, check, close, isTagged, same, sameValues } from "./assert.ts";
import { countClasses, inProcessOptions } from "./cli-batch-fixture.ts";
import { datasetEntries, labelOracleOf, rawOracleOf, sharedConfig, TRAITS, writeDatasetsFixture, type DatasetTraits } from "./cli-datasets-fixture.ts";
import { CROP_PATH, RAW_PATH } from "./dataset-fixture.ts";

/** What the command printed, and its exit code. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A temporary folder with the fixture, and the command. */
export interface CliEnv {
  dir: string;
  /** The two-dataset config (`datasets.json`). */
  config: string;
  cli(...args: string[]): Promise<CliResult>;
}

/** Make the folder and the fixture; `cleanup` removes them. */
export async function cliDatasetsEnv(cli: CliEnv["cli"]): Promise<CliEnv & { cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "cellmap-cli-datasets-"));
  const config = await writeDatasetsFixture(dir);
  return { dir, config, cli, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The shared part of a split config: the split sets isTrain itself (true for train, false for validate). */
function splitShared(): Record<string, unknown> {
  const { isTrain: _, ...shared } = sharedConfig();
  return shared;
}

const RAW_N = 4 * 8 * 8;
const GT_N = 3 * 4 * 6 * 6;
const IDENTITY = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];

interface SampleRecord {
  index: number;
  dataset: { index: number; entry?: string; usage?: string; inputPath: string; sample: number };
  center: number[];
  matrix: number[][];
  augmented: boolean;
}

async function npy(path: string) {
  const a = decodeNpy(new Uint8Array(await readFile(path)));
  check(a.dtype === "<f4", `${path}: dtype ${a.dtype}`);
  return { data: a.data as Float32Array, shape: a.shape };
}

async function output(env: CliEnv, name: string, args: string[]) {
  const out = join(env.dir, name);
  const r = await env.cli("batch", ...args, `--out-dir=${out}`);
  check(r.code === 0, `exit ${r.code}: ${r.stderr}`);
  const info = JSON.parse(await readFile(join(out, "batch.json"), "utf8"));
  return { r, out, info, raw: await npy(join(out, "raw.npy")), gt: await npy(join(out, "gt.npy")) };
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** Every sample's values equal the formula of the dataset batch.json names (given its traits by entry). */
function checkSamples(got: Awaited<ReturnType<typeof output>>, traitsOf: (s: SampleRecord) => DatasetTraits): void {
  got.info.samples.forEach((s: SampleRecord, b: number) => {
    const t = traitsOf(s);
    const raw = rawOracleOf(t, s.center, s.matrix);
    got.raw.data.subarray(b * RAW_N, (b + 1) * RAW_N).forEach((v, i) => close(v, raw[i]!, 1e-4, `sample ${b} (${s.dataset.entry}) raw voxel ${i}`));
    sameValues(got.gt.data.subarray(b * GT_N, (b + 1) * GT_N), labelOracleOf(t, s.center, s.matrix), `sample ${b} (${s.dataset.entry}) labels`);
  });
}

/** The two datasets opened in-process as the config describes them, as one multi-dataset. */
async function inProcessMulti(dir: string, seed: number): Promise<CellMapMultiDataset<"raw" | "gt">> {
  const arrays = new ArrayRegistry();
  const base = { ...inProcessOptions(dir), seed, arrays };
  const a = await CellMapDataset.open(base);
  const b = await CellMapDataset.open({
    ...base,
    inputPath: join(dir, "v2", "sample.zarr", RAW_PATH),
    targetPath: { mito: join(dir, "v2", "sample.zarr", CROP_PATH, "mito") },
    isTrain: false,
    valueTransforms: { raw: [{ normalize: { range: [0, 510] } }] },
  });
  return new CellMapMultiDataset([a, b]);
}

/** The summary's foreground, background and unknown fractions per class agree with the labels written. */
function checkFractions(stdout: string, gt: { data: Float32Array; shape: number[] }): void {
  const counts = countClasses(gt.data, gt.shape);
  ["mito", "er", "nucleus"].forEach((c, k) => {
    const m = new RegExp(`^\\s+${c}\\s+([\\d.]+)\\s+([\\d.]+)\\s+([\\d.]+)$`, "m").exec(stdout);
    check(m !== null, `no ${c} line in:\n${stdout}`);
    const n = counts[k]!;
    close(Number(m[1]), n.foreground / n.total, 5e-5, `${c} foreground`);
    close(Number(m[2]), n.background / n.total, 5e-5, `${c} background`);
    close(Number(m[3]), n.unknown / n.total, 5e-5, `${c} unknown`);
  });
}

export const cliDatasetsCases: Record<string, (env: CliEnv) => Promise<void> | void> = {
  async "datasets: two datasets read as one; each sample's values follow the dataset batch.json names, and the batch equals CellMapDataLoader over a CellMapMultiDataset (cpu)"(env) {
    const got = await output(env, "two", [`--config=${env.config}`, "--device=cpu", "--seed=4", "--batch-size=8"]);
    const multi = await inProcessMulti(env.dir, 4);
    try {
      const [l0, l1] = multi.datasets.map((d) => d.length) as [number, number];
      same(got.info.length, l0 + l1, "batch.json length");
      same(got.info.datasets.map((d: { index: number; entry: string; inputPath: string; offset: number; length: number }) => [d.index, d.entry, d.inputPath, d.offset, d.length]), [
        [0, "datasets[0]", join(env.dir, "sample.zarr", RAW_PATH), 0, l0],
        [1, "datasets[1]", join(env.dir, "v2", "sample.zarr", RAW_PATH), l0, l1],
      ], "batch.json datasets");
      const samples = got.info.samples as SampleRecord[];
      same([...new Set(samples.map((s) => s.dataset.index))].sort(), [0, 1], "datasets drawn from");
      for (const s of samples) {
        const offset = s.dataset.index === 0 ? 0 : l0;
        same([s.dataset.entry, s.dataset.sample], [`datasets[${s.dataset.index}]`, s.index - offset], `sample ${s.index}'s dataset`);
        if (s.dataset.index === 1) same([s.augmented, s.matrix], [false, IDENTITY], `sample ${s.index} of the dataset that is not training`);
      }
      check(samples.some((s) => s.dataset.index === 0 && Math.abs(s.matrix[1]![1]! - 1) > 1e-6), "a training sample is rotated");
      checkSamples(got, (s) => TRAITS[s.dataset.index]!);
      for await (const batch of new CellMapDataLoader(multi, { batchSize: 8, seed: 4, iterationsPerEpoch: 1 })) {
        same(got.info.indices, batch.idx, "indices against the loader");
        same(got.info.centers, batch.center, "centers against the loader");
        sameValues(got.raw.data, batch.raw.data, "raw.npy against the loader");
        sameValues(got.gt.data, batch.gt.data, "gt.npy against the loader");
      }
      check(got.r.stdout.includes(`datasets: 2, ${l0 + l1} samples`), `summary:\n${got.r.stdout}`);
      check(got.r.stdout.includes(`from ${samples.map((s) => `datasets[${s.dataset.index}]`).join(", ")}`), `summary names each sample's dataset:\n${got.r.stdout}`);
      checkFractions(got.r.stdout, got.gt);
    } finally {
      multi.destroy();
    }
  },

  async "--index reads samples of both datasets as the multi-dataset's get does; the printed class fractions match the written labels"(env) {
    const multi = await inProcessMulti(env.dir, 0);
    try {
      const l0 = multi.datasets[0]!.length;
      const indices = [l0 + 7, 3, l0 + 1000, l0 - 1];
      const got = await output(env, "two-index", [`--config=${env.config}`, "--device=cpu", `--index=${indices.join(",")}`, "--epoch=1"]);
      same(got.info.indices, indices, "batch.json indices");
      same(got.info.samples.map((s: SampleRecord) => [s.dataset.index, s.dataset.sample]), [[1, 7], [0, 3], [1, 1000], [0, l0 - 1]], "each sample's dataset and index in it");
      const items = await Promise.all(indices.map((i) => multi.get(i, { epoch: 1 })));
      items.forEach((it, b) => {
        sameValues(got.raw.data.subarray(b * RAW_N, (b + 1) * RAW_N), it.raw.data, `sample ${b} raw against get()`);
        sameValues(got.gt.data.subarray(b * GT_N, (b + 1) * GT_N), it.gt.data, `sample ${b} labels against get()`);
      });
      checkSamples(got, (s) => TRAITS[s.dataset.index]!);
      // er is known in datasets[0] and mostly unknown in datasets[1]: the fractions mix both.
      const er = countClasses(got.gt.data, got.gt.shape)[1]!;
      check(er.unknown > 0 && er.background > 0, `er has known and unknown voxels: ${JSON.stringify(er)}`);
      checkFractions(got.r.stdout, got.gt);
    } finally {
      multi.destroy();
    }
  },

  async "on the GPU the two-dataset batch equals the CPU's within float32 rounding"(env) {
    const cpu = await output(env, "two-cpu", [`--config=${env.config}`, "--device=cpu", "--seed=9", "--batch-size=6"]);
    const gpu = await output(env, "two-gpu", [`--config=${env.config}`, "--seed=9", "--batch-size=6"]);
    same(gpu.info.device, "gpu", "batch.json device");
    same(gpu.info.samples.map((s: SampleRecord) => s.dataset.index), cpu.info.samples.map((s: SampleRecord) => s.dataset.index), "datasets of the samples");
    same([...new Set(cpu.info.samples.map((s: SampleRecord) => s.dataset.index))].length, 2, "both datasets drawn");
    gpu.raw.data.forEach((v, i) => close(v, cpu.raw.data[i]!, 1e-5, `raw voxel ${i}`));
    sameValues(gpu.gt.data, cpu.gt.data, "labels");
  },

  async "split: --split=validate draws only from split.validate, unaugmented; the default side is split.train; a datasplit CSV gives the same datasets"(env) {
    const [train, validate] = datasetEntries();
    const { isTrain: _, ...validateEntry } = validate!;
    const file = join(env.dir, "split.json");
    await writeFile(file, JSON.stringify({ ...splitShared(), split: { train: [train], validate: [validateEntry] } }));
    const v = await output(env, "split-validate", [`--config=${file}`, "--device=cpu", "--split=validate", "--seed=2", "--batch-size=4"]);
    same(v.info.split, "validate", "batch.json split");
    same(v.info.datasets.map((d: { entry: string; usage: string }) => [d.entry, d.usage]), [["split.validate[0]", "validate"]], "batch.json datasets");
    for (const s of v.info.samples as SampleRecord[]) same([s.dataset.entry, s.augmented, s.matrix], ["split.validate[0]", false, IDENTITY], `validate sample ${s.index}`);
    checkSamples(v, () => TRAITS[1]!);
    const t = await output(env, "split-train", [`--config=${file}`, "--device=cpu", "--seed=2", "--batch-size=4"]);
    same(t.info.split, "train", "batch.json split (default)");
    for (const s of t.info.samples as SampleRecord[]) same(s.dataset.entry, "split.train[0]", `train sample ${s.index}`);
    check((t.info.samples as SampleRecord[]).some((s) => s.augmented), "training samples are augmented");
    checkSamples(t, () => TRAITS[0]!);

    // The Python library's 3-column CSV, in a folder of its own: its paths are relative to it.
    await mkdir(join(env.dir, "splits"), { recursive: true });
    await writeFile(join(env.dir, "splits", "datasplit.csv"), [
      `"train","../sample.zarr/${RAW_PATH}","../sample.zarr/${CROP_PATH}/[mito,er]"`,
      `"validate","../v2/sample.zarr/${RAW_PATH}","../v2/sample.zarr/${CROP_PATH}/[mito]"`,
    ].join("\n") + "\n");
    const csvConfig = join(env.dir, "split-csv.json");
    await writeFile(csvConfig, JSON.stringify({ ...splitShared(), split: "splits/datasplit.csv" }));
    const c = await output(env, "split-csv", [`--config=${csvConfig}`, "--device=cpu", "--split=validate", "--seed=2", "--batch-size=4"]);
    same(c.info.datasets.map((d: { entry: string; inputPath: string }) => [d.entry, d.inputPath]), [["split.validate[0]", join(env.dir, "v2", "sample.zarr", RAW_PATH)]], "the CSV's validate dataset");
    // The CSV gives no per-dataset options: the config's raw / 255 applies.
    checkSamples(c, () => ({ rawRange: 255, er: false }));
  },

  async "storeOptions headers reach the HTTP server on every request, an entry's adding to the config's; without them the server's 401 exits 1"(env) {
    const seen: Array<{ path: string; auth: string | undefined; crop: string | undefined }> = [];
    const server = await serveStatic({
      root: env.dir,
      onRequest: (path, req) => {
        const h = (k: string) => (req.headers[k] as string | undefined);
        seen.push({ path, auth: h("authorization"), crop: h("x-crop") });
        return h("authorization") === "Bearer s3cret" ? undefined : { status: 401 };
      },
    });
    try {
      const entries = datasetEntries(`${server.url}/`);
      entries[1]!["storeOptions"] = { headers: { "X-Crop": "v2" } };
      const config = { ...sharedConfig(), storeOptions: { headers: { Authorization: "Bearer s3cret" }, maxTries: 1 }, datasets: entries };
      const file = join(env.dir, "http.json");
      await writeFile(file, JSON.stringify(config));
      const got = await output(env, "http", [`--config=${file}`, "--device=cpu", "--seed=4", "--batch-size=8"]);
      checkSamples(got, (s) => TRAITS[s.dataset.index]!);
      const v2 = seen.filter((s) => s.path.startsWith("/v2/"));
      const v3 = seen.filter((s) => !s.path.startsWith("/v2/"));
      check(v2.length > 0 && v3.length > 0, `requests of both datasets: ${seen.length}`);
      check(seen.every((s) => s.auth === "Bearer s3cret"), `every request carries the config's Authorization: ${JSON.stringify(seen.find((s) => s.auth !== "Bearer s3cret"))}`);
      check(v2.every((s) => s.crop === "v2") && v3.every((s) => s.crop === undefined), "X-Crop only on datasets[1]'s requests");
      const chunk = (p: string) => !/(zarr\.json|\.zattrs|\.zarray|\.zgroup)$/.test(p);
      check(v2.some((s) => chunk(s.path)) && v3.some((s) => chunk(s.path)), `chunk requests of both datasets, not only metadata: ${seen.map((s) => s.path).join(" ")}`);

      const { storeOptions: _, ...bare } = config;
      await writeFile(file, JSON.stringify(bare));
      const denied = await env.cli("batch", `--config=${file}`, "--device=cpu", `--out-dir=${join(env.dir, "http-denied")}`);
      same(denied.code, 1, `exit code without headers (${denied.stderr})`);
      check(/401/.test(denied.stderr), `the message gives the status: ${denied.stderr}`);
    } finally {
      await server.close();
    }
  },

  async "a bad entry exits 2 naming its place and field before any request, and writes nothing"(env) {
    const server = await serveStatic({ root: env.dir });
    try {
      const good = () => datasetEntries(`${server.url}/`);
      const withEntry = (i: number, entry: Record<string, unknown>) => {
        const list: Array<Record<string, unknown>> = [...good(), good()[0]!];
        list[i] = { ...list[i], ...entry };
        return { ...sharedConfig(), datasets: list };
      };
      const { classes: _, ...noClasses } = sharedConfig();
      const cases: Array<[string, Record<string, unknown>, RegExp, string[]?]> = [
        ["inputPath as a number", withEntry(2, { inputPath: 7 }), /datasets\[2\]\.inputPath must be a URL or a path/],
        ["no inputPath", { ...sharedConfig(), datasets: [...good(), { targetPath: "x.zarr/[mito]" }] }, /datasets\[2\]\.inputPath is required/],
        ["classes in an entry", withEntry(1, { classes: ["mito"] }), /datasets\[1\]\.classes is shared by every dataset of a batch/],
        ["value transforms of no array", withEntry(1, { valueTransforms: { rwa: [] } }), /datasets\[1\]\.valueTransforms\.rwa names no input array/],
        ["a mirror probability of 2", withEntry(2, { spatialTransforms: { mirror: { axes: { x: 2 } } } }), /datasets\[2\]\.spatialTransforms\.mirror\.axes\.x must be a probability/],
        ["a header that is no string", withEntry(1, { storeOptions: { headers: { Authorization: 5 } } }), /datasets\[1\]\.storeOptions\.headers\.Authorization must be a string/],
        ["maxTries 0", { ...withEntry(0, {}), storeOptions: { maxTries: 0 } }, /storeOptions\.maxTries must be an integer >= 1/],
        ["an unknown store option", { ...withEntry(0, {}), storeOptions: { retries: 3 } }, /storeOptions\.retries is not a store option/],
        ["other store options on a shared raw array", withEntry(2, { storeOptions: { maxConcurrency: 2 } }), /datasets\[2\]\.storeOptions must be the same as datasets\[0\]'s/],
        ["another cache size on a shared raw array", withEntry(2, { cacheBytes: 1e6 }), /datasets\[2\]\.cacheBytes must be the same as datasets\[0\]'s/],
        ["raw and inputPath in one entry", withEntry(0, { raw: "a.zarr/em" }), /datasets\[0\]\.raw is inputPath under Python's name/],
        ["an inputPath beside datasets", { ...withEntry(0, {}), inputPath: "a.zarr/em" }, /inputPath belongs in each entry of datasets/],
        ["entries naming other classes and no classes", { ...noClasses, datasets: good() }, /datasets\[1\]\.targetPath names the classes \[mito\] but datasets\[0\] names \[mito, er\]/],
        ["an empty list", { ...sharedConfig(), datasets: [] }, /datasets must be a non-empty list/],
        ["a misspelt field of a split entry", { ...splitShared(), split: { train: good().slice(0, 1), validate: [{ ...good()[1], isTrian: false }] } }, /split\.validate\[0\]\.isTrian is not an option of a dataset entry/],
        ["isTrain beside a split", { ...sharedConfig(), split: { train: good().slice(0, 1) } }, /isTrain is set by the split/],
        ["--split with a list of datasets", withEntry(0, {}), /--split applies only to a config with a split/, ["--split=validate"]],
        ["--split=validate with no validate list", { ...splitShared(), split: { train: good().slice(0, 1) } }, /--split is validate but the config's split has no validate datasets/, ["--split=validate"]],
      ];
      for (const [name, config, message, extra] of cases) {
        const file = join(env.dir, "bad.json");
        await writeFile(file, JSON.stringify(config));
        const out = join(env.dir, "never");
        const r = await env.cli("batch", `--config=${file}`, "--device=cpu", `--out-dir=${out}`, ...(extra ?? []));
        same(r.code, 2, `${name}: exit code (${r.stderr})`);
        check(message.test(r.stderr), `${name}: ${r.stderr}`);
        same(r.stderr.trim().split("\n").length, 1, `${name}: lines of the message`);
        same([...server.requests.keys()], [], `${name}: requests made`);
        check(!(await exists(out)), `${name}: ${out} was created`);
      }
    } finally {
      await server.close();
    }
  },

  "parseBatchConfig gives ArgumentErrors naming the entry, merges store options, and applies the split's defaults"(env) {
    const resolve = (p: string) => join(env.dir, p);
    const bad = { ...sharedConfig(), datasets: [...datasetEntries(), { inputPath: "x.zarr/em", targetArrays: {} }] };
    isTagged(caughtSync(() => parseBatchConfig(bad, resolve), "an entry with targetArrays"), "argument", "datasets[2].targetArrays", "an entry with targetArrays");
    const deep = { ...sharedConfig(), datasets: [datasetEntries()[0], { ...datasetEntries()[1], valueTransforms: { raw: [{ normalize: { range: "x" } }] } }] };
    const e = isTagged(caughtSync(() => parseBatchConfig(deep, resolve), "a bad normalize range"), "argument", undefined, "a bad normalize range");
    check(e.field!.startsWith("datasets[1].valueTransforms.raw"), `the field is inside datasets[1]'s value transforms: ${e.field}`);

    const entries = datasetEntries();
    entries[1]!["storeOptions"] = { headers: { authorization: "mine", "X-Crop": "v2" }, maxTries: 2 };
    const parsed = parseBatchConfig({ ...sharedConfig(), storeOptions: { headers: { Authorization: "shared", Accept: "*/*" }, maxConcurrency: 4 }, datasets: entries }, resolve);
    same(parsed.form, "datasets", "form");
    same(parsed.entries.map((x) => [x.field, x.options.inputPath, x.options.isTrain]), [
      ["datasets[0]", join(env.dir, "sample.zarr", RAW_PATH), true],
      ["datasets[1]", join(env.dir, "v2", "sample.zarr", RAW_PATH), false],
    ], "entries");
    same(parsed.entries[0]!.options.storeOptions, { headers: { Authorization: "shared", Accept: "*/*" }, maxConcurrency: 4 }, "datasets[0] store options");
    same(parsed.entries[1]!.options.storeOptions, { headers: { Accept: "*/*", authorization: "mine", "X-Crop": "v2" }, maxConcurrency: 4, maxTries: 2 }, "datasets[1] store options");
    same(parsed.entries[1]!.options.targetPath, { mito: join(env.dir, "v2", "sample.zarr", CROP_PATH, "mito") }, "gt resolved as targetPath");

    const split = parseBatchConfig({ ...splitShared(), split: { train: [datasetEntries()[0]], validate: [{ raw: "v.zarr/em", gt: "v.zarr/gt/[mito]" }] } }, resolve);
    same(split.entries.map((x) => [x.field, x.usage, x.options.isTrain, x.options.spatialTransforms !== undefined]), [
      ["split.train[0]", "train", true, true],
      ["split.validate[0]", "validate", false, false],
    ], "split entries: training only is augmented");
    const one = parseBatchConfig({ ...sharedConfig(), inputPath: "a.zarr/em", targetPath: "a.zarr/gt/[mito]" }, resolve);
    same([one.form, one.entries.length, one.entries[0]!.field, one.entries[0]!.options.inputPath], ["dataset", 1, "", join(env.dir, "a.zarr/em")], "the one-dataset form");
  },
};
