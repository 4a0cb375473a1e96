/**
 * CPU reference twins of the WGSL shaders: the same inputs give the same outputs, computed plainly
 * in float64. Used by tests and by `--device cpu`.
 *
 * @example
 * ```ts
 * import { resampleReference } from "./reference/index.ts";
 * const out = resampleReference(params, samples, table, cacheWords);
 * ```
 * @module
 */

export { resampleReference } from "./resample.ts";
export { distanceTransformReference } from "../kernels/distance/twin.ts";
export type { DistanceTransformOptions } from "../kernels/distance/contract.ts";
export { cellposeFlowsReference } from "../kernels/cellpose/twin.ts";
