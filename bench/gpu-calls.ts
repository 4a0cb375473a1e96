/**
 * GPU calls per loader batch: `queue.submit`, `createBuffer`, `writeBuffer` (calls and bytes) and
 * `mapAsync`, counted by `GpuContext.countCalls()` for every batch of two epochs of a loader over
 * a generated dataset (raw plus the four classes, value passes on raw and on a class, a class
 * relationship, read back to the CPU). The first batch of an epoch makes the epoch's buffers;
 * the rows after it are the steady state. Run: `node bench/gpu-calls.mjs [--batches=<n>]`.
 * @module
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { CellMapDataLoader, CellMapDataset } from "../src/dataset/index.ts";
import { diffCounts } from "../src/gpu/call-counts.ts";
import { GpuContext } from "../src/gpu/context.ts";
import { CLASSES, ensureDataset, LABEL_PREFIX, RAW_PATH } from "./dataset.ts";

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const batches = arg("batches", 4);
const batchSize = arg("batch", 4);
const cacheDir = join(process.cwd(), "bench", "dist", "data");
mkdirSync(cacheDir, { recursive: true });
const data = await ensureDataset(cacheDir, { size: 128, chunk: 32, voxel: 8, codec: { name: "blosc", cname: "zstd", clevel: 5, shuffle: "shuffle" }, seed: 1 });
const base = join(data.dir, data.zarr);
const gpu = await GpuContext.create({ label: "gpu-calls" });
const counter = gpu.countCalls();
const ds = await CellMapDataset.open({
  inputPath: `${base}/${RAW_PATH}`,
  targetPath: `${base}/${LABEL_PREFIX}/[${CLASSES.join(",")}]`,
  classes: [...CLASSES],
  inputArrays: { raw: { shape: [32, 32, 32], scale: [8, 8, 8] } },
  targetArrays: { gt: { shape: [16, 16, 16], scale: [16, 16, 16] } },
  isTrain: true,
  spatialTransforms: { mirror: { axes: { z: 0.5, y: 0.5, x: 0.5 } }, rotate: { axes: { z: [-180, 180] } } },
  valueTransforms: { raw: [{ normalize: {} }, { gaussianNoise: { std: 0.05 } }] },
  targetValueTransforms: { er: [{ binarize: { threshold: 0.5 } }] },
  classRelationships: { nucleus: ["mito", "er"] },
  gpu,
  workers: 0,
});
console.log(`device: ${gpu.adapterInfo.description || gpu.adapterInfo.architecture}${gpu.isSoftware ? " (software)" : ""}`);
console.log(`batch ${batchSize}: raw 32³ at 8 nm, ${CLASSES.join(", ")} 16³ at 16 nm; rotate z, mirror; value passes on raw and er; nucleus exclusive with mito, er; CPU output; prefetch 1`);
console.log("| epoch | batch | submits | createBuffer | writeBuffer | writeBuffer bytes | mapAsync |");
console.log("|---|---|---|---|---|---|---|");
try {
  for (let epoch = 0; epoch < 2; epoch++) {
    const loader = new CellMapDataLoader(ds, { batchSize, iterationsPerEpoch: batches, seed: 3, epoch, prefetch: 1 });
    let before = counter.snapshot();
    let k = 0;
    // With prefetch 1 the loader starts batch k + 1 only once batch k is read, so the calls between
    // two batches are the later batch's (its first synchronous steps run just before the earlier
    // one is handed out, so they count with it).
    for await (const _ of loader) {
      const now = counter.snapshot();
      const d = diffCounts(now, before);
      before = now;
      console.log(`| ${epoch} | ${k++} | ${d.submits} | ${d.createBuffers} | ${d.writeBuffers} | ${d.writeBufferBytes} | ${d.maps} |`);
    }
  }
} finally {
  ds.destroy();
  gpu.destroy();
}
