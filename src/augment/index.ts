/**
 * Seeded augmentation parameters: the counter-based generator, spatial transforms (one matrix
 * per sample) and value transforms (per-sample ops).
 * @module
 */
export { hashKey, mix32, rngFor, type Rng, type RngKey } from "./rng.ts";
export {
  drawSpatialMatrix,
  isIdentity3,
  parseSpatialTransforms,
  rotationMatrix,
  type Axis,
  type SpatialStep,
  type SpatialTransforms,
  type SpatialTransformsConfig,
} from "./spatial.ts";
export type { CustomCpuFunction, CustomOpOptions, CustomParam } from "../kernels/custom-op/contract.ts";
export type { ValueOp } from "../kernels/value-transforms/contract.ts";
export { drawValueOps } from "./value-draw.ts";
export { parseValueTransforms, type DistanceOptions, type ValueTransformEntry, type ValueTransformSpec } from "./value-schema.ts";
export { bsplineWeights } from "../kernels/resample/contract.ts";
export {
  deformGrid,
  displacementAt,
  drawDeformField,
  maxDisplacement,
  MAX_DEFORM_POINTS,
  parseDeform,
  type DeformConfig,
  type DeformField,
  type DeformGrid,
  type DeformSpec,
} from "./deform.ts";
