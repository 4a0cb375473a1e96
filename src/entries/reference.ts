/**
 * `cellmap-data/reference`: the CPU twins of the shaders (the same values, computed in plain
 * TypeScript) and the seeded planning they share with the GPU path: coordinate transforms and
 * level choice, augmentation draws, deformation fields and noise keys. For checking a GPU result,
 * or reproducing a batch's augmentation exactly.
 *
 * @example
 * ```ts
 * import { drawSpatialMatrix, parseSpatialTransforms, rngFor } from "cellmap-data/reference";
 * const steps = parseSpatialTransforms({ mirror: { axes: { x: 0.5 } } });
 * const matrix = drawSpatialMatrix(steps, rngFor(1, 0, 7)); // seed, epoch, index
 * ```
 * @module
 */
export { resampleReference } from "../kernels/resample/twin.ts";
export { applyValueOpsReference } from "../kernels/value-transforms/twin.ts";
export type { ValueOpsOptions } from "../kernels/value-transforms/contract.ts";
export { applyClassRelationshipsReference } from "../kernels/labels/twin.ts";
export type { ClassRelationshipsLayout } from "../kernels/labels/contract.ts";
export { distanceTransformReference } from "../kernels/distance/twin.ts";
export type { DistanceTransformOptions } from "../kernels/distance/contract.ts";
export { cellposeFlowsReference, type CellposeReferenceOptions } from "../kernels/cellpose/twin.ts";
export {
  MAX_CELLPOSE_ITERATIONS,
  planCellpose,
  type CellposeFlowOptions,
  type CellposeLayout,
  type CellposeMode,
} from "../kernels/cellpose/contract.ts";
export { chooseLevel } from "../geometry/level.ts";
export { CoordinateTransformer, type SampleTransform } from "../geometry/transformer.ts";
export { rngFor, type Rng, type RngKey } from "../augment/rng.ts";
export { drawSpatialMatrix, parseSpatialTransforms, type Axis, type SpatialStep, type SpatialTransforms } from "../augment/spatial.ts";
export { drawValueOps } from "../augment/value-draw.ts";
export { parseValueTransforms } from "../augment/value-schema.ts";
export type { ValueOp } from "../kernels/value-transforms/contract.ts";
export { bsplineWeights } from "../kernels/resample/contract.ts";
export {
  deformGrid,
  displacementAt,
  drawDeformField,
  maxDisplacement,
  MAX_DEFORM_POINTS,
  parseDeform,
  type DeformField,
  type DeformGrid,
  type DeformSpec,
} from "../augment/deform.ts";
