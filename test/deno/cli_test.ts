// The `cellmap-data batch` command in Deno: main() from src/cli/main.ts runs in-process (as
// `deno task cellmap-data` runs it) over the dataset fixture written to a temporary folder
// (test/setup/cli-batch-fixture.ts). The files it writes must equal the loader's batch drawn
// here, and the fixture's formula under the matrices batch.json records.
import { main } from "../../src/cli/main.ts";
import { CellMapDataLoader } from "../../src/dataset/dataloader.ts";
import { CellMapDataset } from "../../src/dataset/dataset.ts";
import { decodeNpy } from "../../src/io/npy.ts";
import { check, close, same, sameValues } from "../setup/assert.ts";
import { countClasses, inProcessOptions, labelOracle, rawOracle, writeBatchFixture } from "../setup/cli-batch-fixture.ts";

async function runBatch(device: "cpu" | "gpu", extra: string[]) {
  const dir = await Deno.makeTempDir({ prefix: "cellmap-cli-" });
  const config = await writeBatchFixture(dir);
  const out = `${dir}/out`;
  let stdout = "";
  let stderr = "";
  const code = await main(["batch", `--config=${config}`, `--device=${device}`, `--out-dir=${out}`, ...extra], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    writeFile: (p, b) => Deno.writeFile(p, b),
  });
  check(code === 0, `exit ${code}: ${stderr}`);
  const npy = async (name: string) => {
    const a = decodeNpy(await Deno.readFile(`${out}/${name}.npy`));
    return { data: a.data as Float32Array, shape: a.shape };
  };
  return { dir, out, stdout, raw: await npy("raw"), gt: await npy("gt"), info: JSON.parse(await Deno.readTextFile(`${out}/batch.json`)) };
}

async function loaderBatch(dir: string, seed: number, batchSize: number) {
  const ds = await CellMapDataset.open({ ...inProcessOptions(dir), seed });
  try {
    for await (const b of new CellMapDataLoader(ds, { batchSize, seed, iterationsPerEpoch: 1 })) return { idx: b.idx, center: b.center, raw: b.raw, gt: b.gt };
    throw new Error("no batch");
  } finally {
    ds.destroy();
  }
}

Deno.test("cli: batch writes the loader's batch, its record and figure; values follow the recorded matrices (cpu)", async () => {
  const r = await runBatch("cpu", ["--seed=5", "--batch-size=3", "--png"]);
  try {
    same(r.raw.shape, [3, 1, 4, 8, 8], "raw.npy shape");
    same(r.gt.shape, [3, 3, 4, 6, 6], "gt.npy shape");
    const want = await loaderBatch(r.dir, 5, 3);
    sameValues(r.raw.data, want.raw.data, "raw.npy against the loader");
    sameValues(r.gt.data, want.gt.data, "gt.npy against the loader");
    same(r.info.indices, want.idx, "batch.json indices");
    same(r.info.centers, want.center, "batch.json centers");
    r.info.samples.forEach((s: { center: number[]; matrix: number[][] }, b: number) => {
      const raw = rawOracle(s.center, s.matrix);
      r.raw.data.subarray(b * 256, (b + 1) * 256).forEach((v, i) => close(v, raw[i]!, 1e-4, `sample ${b} raw voxel ${i}`));
      sameValues(r.gt.data.subarray(b * 432, (b + 1) * 432), labelOracle(s.center, s.matrix), `sample ${b} labels`);
    });
    const png = await Deno.readFile(`${r.out}/batch.png`);
    same(Array.from(png.subarray(0, 8)), [137, 80, 78, 71, 13, 10, 26, 10], "PNG signature");
    const view = new DataView(png.buffer, png.byteOffset);
    same([view.getUint32(16), view.getUint32(20)], [r.info.png.width, r.info.png.height], "PNG size");
    const mito = countClasses(r.gt.data, r.gt.shape)[0]!;
    check(r.stdout.includes(`mito     ${(mito.foreground / mito.total).toFixed(4)}`), `summary's mito foreground in:\n${r.stdout}`);
  } finally {
    await Deno.remove(r.dir, { recursive: true });
  }
});

Deno.test("cli: batch on the GPU equals the CPU loader's batch within float32 rounding", async () => {
  const r = await runBatch("gpu", ["--seed=11", "--batch-size=2"]);
  try {
    check(r.info.device === "gpu", "batch.json device");
    const want = await loaderBatch(r.dir, 11, 2);
    r.raw.data.forEach((v, i) => close(v, want.raw.data[i]!, 1e-5, `raw voxel ${i}`));
    sameValues(r.gt.data, want.gt.data, "gt.npy against the CPU loader");
  } finally {
    await Deno.remove(r.dir, { recursive: true });
  }
});
