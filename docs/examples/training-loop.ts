import { CellMapDataLoader, CellMapDataset, GpuContext } from "cellmap-data";

const data = "http://127.0.0.1:8000/sample_v3.zarr/recon-1"; // `npm start` serves the sample dataset here
const gpu = await GpuContext.create();
const dataset = await CellMapDataset.open({
  inputPath: `${data}/em/fibsem-uint8`,
  targetPath: `${data}/labels/groundtruth/crop1/[mito,er,nucleus,ves]`,
  classes: ["mito", "er", "nucleus", "ves"],
  inputArrays: { raw: { shape: [32, 64, 64], scale: [8, 4, 4] } },
  targetArrays: { gt: { shape: [16, 32, 32], scale: [16, 8, 8] } },
  spatialTransforms: { mirror: { axes: { x: 0.5, y: 0.5 } }, rotate: { axes: { z: [-180, 180] } } },
  valueTransforms: { raw: [{ normalize: { range: [0, 255] } }, { gaussianNoise: { std: 0.05 } }] },
  classRelationships: { mito: ["nucleus"], nucleus: ["mito"] },
  isTrain: true, seed: 1, gpu,
});
const loader = new CellMapDataLoader(dataset, { batchSize: 4, iterationsPerEpoch: 3, seed: 1, output: "gpu" });
for (let epoch = 0; epoch < 2; epoch++) {
  for await (const batch of loader) {
    // batch.raw.buffer: GPUBuffer f32 [4, 1, 32, 64, 64]; batch.gt.buffer: [4, 4, 16, 32, 32]
    console.log(`epoch ${epoch}: batch of ${batch.idx.length}, raw ${batch.raw.shape}, gt ${batch.gt.shape}`);
    batch.release();
  }
  loader.refresh();
}
dataset.destroy(); gpu.destroy();
