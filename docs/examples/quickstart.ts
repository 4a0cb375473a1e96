import { CellMapArray, GpuContext } from "cellmap-data";

const gpu = await GpuContext.create();                       // owns a WebGPU device
const raw = await CellMapArray.open("http://127.0.0.1:8000/sample_v3.zarr/recon-1/em/fibsem-uint8", { gpu });
const c = Math.cos(0.5), s = Math.sin(0.5);
const batch = await raw.sample(
  [{ center: [384, 384, 384] }, { center: [400, 380, 390], augment: [1, 0, 0, 0, c, -s, 0, s, c] }],
  { shape: [64, 64, 64], scale: [8, 8, 8], interp: "linear" },   // z, y, x in world units (nm)
);                                                           // Float32Array [2, 64, 64, 64]
console.log(raw.stats);                                      // hits, misses, bytes fetched / resident
raw.destroy(); gpu.destroy();
