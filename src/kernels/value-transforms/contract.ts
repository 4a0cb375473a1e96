/**
 * The contract of `value-transforms.wgsl`, shared by the GPU host (`gpu.ts` and its `gpu-*.ts`
 * parts) and the CPU twin (`twin.ts`): the concrete per-sample ops both apply ({@link ValueOp},
 * drawn from a spec by `src/augment/value-draw.ts`), the options of a call, the op codes of the
 * shader's op table, and the Gaussian kernels of a blur.
 *
 * @example
 * ```ts
 * const ops: ValueOp[] = [{ kind: "normalize", scale: 1 / 255, offset: 0 }, { kind: "gaussianBlur", sigma: [0, 1, 1] }];
 * const weights = gaussianKernel(1); // 9 taps, radius 4, summing to 1
 * ```
 * @module
 */

/** The largest finite float32, the default replacement of ±Inf in `nanToNum` (as numpy's). */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * One concrete per-sample operation, after the draw: every random choice is made. Plain data,
 * so it can cross a worker boundary or be logged.
 */
export type ValueOp =
  /** `x * scale + offset`. */
  | { readonly kind: "normalize"; readonly scale: number; readonly offset: number }
  /** `x + mean + std * n(key, voxel)`; `key` (a u32) selects the noise stream. */
  | { readonly kind: "gaussianNoise"; readonly mean: number; readonly std: number; readonly key: number }
  /** `m + factor * (x - m)`, `m` the mean of the sample's finite voxels when the op runs. */
  | { readonly kind: "contrast"; readonly factor: number }
  /** `sign(x) * abs(x) ** gamma`. */
  | { readonly kind: "gamma"; readonly gamma: number }
  /** Separable Gaussian blur, sigma in voxels (z, y, x), reflect boundary, truncate 4. */
  | { readonly kind: "gaussianBlur"; readonly sigma: readonly [number, number, number] }
  /** `x > threshold ? 1 : 0`, NaN kept. */
  | { readonly kind: "binarize"; readonly threshold: number }
  /** NaN -> `nan`, +Inf -> `posinf`, -Inf -> `neginf`. */
  | { readonly kind: "nanToNum"; readonly nan: number; readonly posinf: number; readonly neginf: number }
  /**
   * Exact Euclidean distance transform of the sample (world units, the array's voxel size as
   * spacing), then `clip` (`[low, high]`, ±Infinity allowed) and `tanh(d / tanhScale)`.
   */
  | {
    readonly kind: "distance";
    readonly signed: boolean;
    readonly clip?: readonly [number, number];
    readonly tanhScale?: number;
  }
  /**
   * A user's WGSL function: `source` defines `fn name(v: f32, p: vec4<f32>) -> f32`, `params`
   * are `p` (drawn), `cpu` the twin (required on the CPU; a `CustomCpuFunction` of
   * `src/kernels/custom-op/contract.ts`).
   */
  | {
    readonly kind: "custom";
    readonly name: string;
    readonly source: string;
    readonly params: readonly [number, number, number, number];
    readonly cpu?: (v: number, params: readonly number[]) => number;
  };

/** A distance-transform op. */
export type DistanceOp = Extract<ValueOp, { kind: "distance" }>;
/** A custom (user WGSL) op. */
export type CustomOp = Extract<ValueOp, { kind: "custom" }>;

/** The inputs of a value-transform call but the GPU buffer (the twin's `applyValueOpsReference`). */
export interface ValueOpsOptions {
  readonly batch: number;
  /** Per-sample extent (z, y, x). */
  readonly shape: readonly [number, number, number];
  /** Per sample, the ops to apply in order (`ops.length === batch`). */
  readonly ops: readonly (readonly ValueOp[])[];
  /** Noise seed (u32; other numbers are reduced with `>>> 0`). */
  readonly seed: number;
  /** Voxel size (z, y, x) in world units, the spacing of distance transforms (default 1, 1, 1). */
  readonly scale?: readonly [number, number, number];
}

/** The pointwise ops' codes in the shader's op table (`Op.head.x`, the cases of `applyOp`). */
export const OP_KIND = { normalize: 0, gaussianNoise: 1, contrast: 2, gamma: 3, binarize: 4, nanToNum: 5 } as const;

/** The blur entry point's `Params.stage` that copies instead of blurring (`axis > 2u` in the WGSL). */
export const COPY_AXIS = 3;

/** Gaussian kernels are cut at this many sigmas (scipy's `truncate` default). */
export const BLUR_TRUNCATE = 4;

/**
 * The normalised 1D Gaussian of `sigma` voxels, radius `floor(4 sigma + 0.5)` as scipy's
 * `gaussian_filter1d`; `[1]` for sigma 0.
 */
export function gaussianKernel(sigma: number): Float64Array {
  if (!(sigma > 0)) return Float64Array.of(1);
  const r = Math.floor(BLUR_TRUNCATE * sigma + 0.5);
  const w = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let t = -r; t <= r; t++) {
    const v = Math.exp((-0.5 * t * t) / (sigma * sigma));
    w[t + r] = v;
    sum += v;
  }
  for (let i = 0; i < w.length; i++) w[i]! /= sum;
  return w;
}
