/**
 * `cellmap-data/kernels`: the GPU kernels behind the dataset layer, for WebGPU integrators who
 * hold their own buffers: value transforms, class relationships, custom WGSL ops, cellpose flows,
 * and one batched resample of many arrays (`cellposeFlows` of one volume is in the root entry). Each `prepare*` validates and compiles once per
 * device; each `encode*` records its work into a command encoder the caller submits.
 *
 * @example
 * ```ts
 * import { GpuContext } from "cellmap-data";
 * import { encodeValueOps, prepareValueTransforms } from "cellmap-data/kernels";
 * import { drawValueOps, parseValueTransforms, rngFor } from "cellmap-data/reference";
 * const gpu = await GpuContext.create();
 * const spec = parseValueTransforms([{ normalize: { range: [0, 255] } }], "raw");
 * const ops = [drawValueOps(spec, rngFor(1, 0, 0))];      // one sample's ops
 * await prepareValueTransforms(gpu, ops);                  // compile once per device
 * const encoder = gpu.device.createCommandEncoder();
 * // `buffer`: your f32 GPUBuffer (STORAGE) holding one 64³ sample
 * const work = encodeValueOps(gpu, encoder, { buffer, byteOffset: 0, batch: 1, shape: [64, 64, 64], seed: 1, ops });
 * gpu.device.queue.submit([encoder.finish()]);
 * work.release();
 * ```
 * @module
 */
export { encodeValueOps, prepareValueTransforms, type ValueOpsDispatchOptions } from "../kernels/value-transforms/gpu.ts";
export type { EncodedWork } from "../kernels/value-transforms/gpu-record.ts";
export { encodeClassRelationships, prepareClassRelationships, type ClassRelationshipsOptions } from "../kernels/labels/gpu.ts";
export { prepareCustomOp } from "../kernels/custom-op/gpu.ts";
export { encodeCellposeFlows, prepareCellposeFlows, type CellposeFlowsDispatchOptions } from "../kernels/cellpose/gpu.ts";
export { readBatch, type BatchItem, type ReadBatchOptions, type ReadBatchResult } from "../dataset/batch.ts";
