/**
 * A deterministic synthetic CellMap-style dataset for tests, demos and benchmarks: an anisotropic
 * FIB-SEM-like raw volume (8 x 4 x 4 nm) with a nucleus, mitochondria, ER, vesicles and
 * extracellular space, and two ground-truth crops that annotate different classes, written as
 * zarr v3 sharded (OME-NGFF 0.5) and zarr v2 blosc (OME-NGFF 0.4). Runs in browsers, Deno and
 * Node: pass any {@link WriteTarget} (memory, or the filesystem target in `zarr-write/fs-target.ts`).
 *
 * @example
 * ```ts
 * import { generateSampleDataset } from "./sample-data/index.ts";
 * import { createMemoryTarget } from "./zarr-write/index.ts";
 * const target = createMemoryTarget();
 * const manifest = await generateSampleDataset(target, { seed: 1, formats: [3] });
 * manifest.crops[0].classes; // ["mito", "er", "nucleus", "ves"]
 * ```
 * @module
 */

export type { WriteTarget } from "../zarr-write/target.ts";
export {
  generateSampleDataset,
  SAMPLE_COPIES,
  type SampleCopy,
  type SampleCropManifest,
  type SampleDatasetOptions,
  type SampleManifest,
  type SampleProgress,
} from "./generate.ts";
export {
  type CropLayout,
  DEFAULT_SIZE,
  GROUNDTRUTH_PATH,
  type Grid,
  type LevelInfo,
  RAW_PATH,
  RAW_SCALE,
  SAMPLE_CLASSES,
  type SampleClass,
  sampleLayout,
  type SampleLayout,
  type WorldBox,
} from "./layout.ts";
export { buildScene } from "./place.ts";
export { CLASS_ID, type Hit, locate, type Scene, type SceneObject } from "./scene.ts";
export { addNoise, createShader, GRAY, NOISE_SIGMA, type Shader } from "./shade.ts";
export {
  downsampleMajority,
  downsampleMean,
  renderClassIds,
  renderRaw,
  type Volume,
} from "./volumes.ts";
