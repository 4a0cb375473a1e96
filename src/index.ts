/**
 * cellmap-data: WebGPU-first sampling of training and inspection patches from
 * OME-NGFF zarr EM volumes and organelle labels, in the browser, Deno and Node.
 *
 * @example
 * ```ts
 * import { CellMapArray, GpuContext } from "cellmap-data";
 * const gpu = await GpuContext.create();
 * const raw = await CellMapArray.open("http://localhost:8000/sample_v3.zarr/recon-1/em/fibsem-uint8", { gpu });
 * const batch = await raw.sample([{ center: [384, 384, 384] }], { shape: [64, 64, 64], scale: [8, 8, 8] });
 * ```
 * @module
 */
export * from "./errors.ts";
export * from "./ngff/index.ts";
export * from "./store/index.ts";
export * from "./geometry/index.ts";
export * from "./array/index.ts";
export { GpuContext } from "./gpu/context.ts";
export { WorkerPool, type WorkerPoolOptions, type WorkerPoolStats, type FetchWorkerCounts, ChunkReader, type ChunkRequest, type ChunkResult, runtime } from "./worker/index.ts";
export { resampleReference } from "./reference/resample.ts";
export { decodeNpy, encodeNpy } from "./io/npy.ts";
export * from "./augment/index.ts";
export * from "./dataset/index.ts";
export { encodeValueOps, prepareValueTransforms, type EncodedWork, type ValueOpsDispatchOptions } from "./gpu/value-transforms.ts";
export { encodeClassRelationships, prepareClassRelationships, type ClassRelationshipsOptions } from "./gpu/labels.ts";
export { applyValueOpsReference, gaussianKernel, noiseKey, standardNormalAt, type ValueOpsOptions } from "./reference/value-transforms.ts";
export { applyClassRelationshipsReference, type ClassRelationshipsLayout } from "./reference/labels.ts";
export { CustomOpError, prepareCustomOp } from "./gpu/custom-op.ts";
export { distanceTransformReference, type DistanceTransformOptions } from "./reference/distance.ts";
export { cellposeFlows, encodeCellposeFlows, prepareCellposeFlows, type CellposeFlowsDispatchOptions } from "./gpu/cellpose.ts";
export {
  cellposeFlowsReference,
  MAX_CELLPOSE_ITERATIONS,
  planCellpose,
  type CellposeFlowOptions,
  type CellposeLayout,
  type CellposeMode,
} from "./reference/cellpose.ts";
export * from "./viz/index.ts";
export { planWriterGeometry, type WriterGeometry, type ArrayPlan } from "./dataset/writer-geometry.ts";
