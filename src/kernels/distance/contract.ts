/**
 * The contract of `distance.wgsl` (the exact Euclidean distance transform inside the
 * value-transform stage), shared by the GPU host (`gpu.ts`) and the CPU twin (`twin.ts`): what a
 * transform is asked for, and the mode codes of the shader's per-sample table (`DistSample`).
 * The definitions (foreground, background, unknown voxels, infinite distances) are in the twin.
 *
 * @example
 * ```ts
 * const options: DistanceTransformOptions = { shape: [1, 1, 5], scale: [1, 1, 2], signed: true };
 * const mode = options.signed ? DISTANCE_MODE.signed : DISTANCE_MODE.distance; // DistSample head.x
 * ```
 * @module
 */

/** Options of one sample's distance transform (the twin's `distanceTransformReference`). */
export interface DistanceTransformOptions {
  /** The sample's extent (z, y, x). */
  readonly shape: readonly [number, number, number];
  /** Voxel size (z, y, x), world units; distances are in these units. */
  readonly scale: readonly [number, number, number];
  /** Signed (inside +, outside -) instead of 0 on background. */
  readonly signed: boolean;
  /** Bounds of the result; ±Infinity allowed. */
  readonly clip?: readonly [number, number];
  /** When given, the result is `tanh(clipped / tanhScale)`. */
  readonly tanhScale?: number;
}

/** What a sample's `DistSample` row holds: signed or not, clip bounds, tanh scale. */
export type DistanceSpec = Pick<DistanceTransformOptions, "signed" | "clip" | "tanhScale">;

/** `DistSample.head.x` of distance.wgsl: leave the sample alone, distance, or signed distance. */
export const DISTANCE_MODE = { none: 0, distance: 1, signed: 2 } as const;
