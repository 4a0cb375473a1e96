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

export { resampleReference } from "../kernels/resample/twin.ts";
export { distanceTransformReference, type DistanceTransformOptions } from "./distance.ts";
export { cellposeFlowsReference } from "./cellpose.ts";
