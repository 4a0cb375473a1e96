import { CellMapDatasetWriter, GpuContext, encodePng, imageGrid } from "cellmap-data";
import { writeFile } from "node:fs/promises";

const data = "http://127.0.0.1:8000/sample_v3.zarr/recon-1";
const gpu = await GpuContext.create();
const writer = await CellMapDatasetWriter.create({
  path: "predictions.zarr",                                    // resumed if a run stopped half-way
  classes: ["mito"],
  targetArrays: { pred: { shape: [32, 32, 32], scale: [8, 8, 8] } },
  targetBounds: { pred: { z: [256, 768], y: [256, 768], x: [256, 768] } },
  inputPath: `${data}/em/fibsem-uint8`,
  inputArrays: { raw: { shape: [40, 40, 40], scale: [8, 8, 8] } },  // 4 voxels of context per side
  valueTransforms: { raw: [{ normalize: {} }] },
  gpu,
});
const model = (raw, B) => {                                    // your network: a threshold on the inner 32³
  const pred = new Float32Array(B * 32 ** 3);
  for (let b = 0, i = 0; b < B; b++)
    for (let z = 4; z < 36; z++) for (let y = 4; y < 36; y++) for (let x = 4; x < 36; x++)
      pred[i++] = raw[((b * 40 + z) * 40 + y) * 40 + x] < 0.4 ? 1 : 0;
  return pred;
};
for await (const batch of writer.loader({ batchSize: 4 })) {  // raw: [4, 1, 40, 40, 40]
  const pred = model(batch.raw.data, batch.idx.length);
  await writer.write(batch.idx, { pred });                     // [4, 1, 32, 32, 32]
  const shown = { raw: batch.raw, pred: { data: pred, shape: [batch.idx.length, 1, 32, 32, 32] } };
  const grid = imageGrid(shown, { inputs: ["raw"], targets: ["pred"], classes: ["mito"] }); // middle z slices
  await writeFile(`tiles-${batch.idx[0]}.png`, await encodePng(grid));
  console.log(`tiles ${batch.idx}: ${writer.finishedCount} of ${writer.length} written`);
}
await writer.close();
gpu.destroy();
