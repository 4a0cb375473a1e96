/**
 * The contract of the resample kernel, shared by its GPU host (`gpu.ts`) and its CPU twin
 * (`twin.ts`): what a dispatch is (params, samples, displacement fields), the codes the shader
 * reads, and the planning both sides do alike: which samples are copies (a signed axis
 * permutation with integer offsets), which pipeline variant a dispatch needs, and the cubic
 * B-spline weights of a displacement field. The WGSL is `resample.wgsl`; the chunk cache it reads
 * is `../chunks/contract.ts`. Contract: docs/architecture.md, "One resample dispatch".
 *
 * @example
 * ```ts
 * const variant = resampleVariant(params, samples); // { interp, kind, deform, copy? }
 * isCopyDispatch(params, samples); // true for unaugmented samples at the level's voxel size
 * ```
 * @module
 */

import { blendAtVoxelIsVoxel, type StorageKind } from "../chunks/contract.ts";
import { type AxisPermutation, axisPermutation } from "../../geometry/axis-permutation.ts";
import type { ReadonlyVec3 } from "../../geometry/types.ts";

export type { AxisPermutation };

/** A z, y, x vector the resample kernel only reads. */
export type Vec3 = ReadonlyVec3;

/** How source voxels are read: trilinear (raw intensities) or nearest (labels). */
export type Interpolation = "linear" | "nearest";

/** Everything of `Params` but `rowWidth`, which the dispatch geometry decides. */
export interface ResampleParams {
  /** Output extent per sample (z, y, x). */
  readonly outShape: Vec3;
  /** Samples in the dispatch; equals `samples.length`. */
  readonly batch: number;
  /** Chunk extent of the level (z, y, x). */
  readonly chunkShape: Vec3;
  /** Storage kind of the cache slots. */
  readonly kind: StorageKind;
  /** Level extent in voxels (z, y, x). */
  readonly volShape: Vec3;
  readonly interp: Interpolation;
  /** Value outside the volume (NaN allowed). */
  readonly pad: number;
  /** Value of chunks the store does not have (table entry 0xFFFFFFFF). */
  readonly fill: number;
  /** u32 words per cache slot (`slotWords(chunkShape, kind)`). */
  readonly slotWords: number;
}

/**
 * A sample's displacement field (elastic deformation), in this dispatch's output voxels: output
 * voxel `j` is read at `j + d(j)` through the sample's affine, where `d` is the cubic B-spline of
 * the control values at control-grid coordinate `u = j * step + start` (per axis; control indices
 * clamped to the grid). See `src/augment/deform.ts` for how a dataset builds one.
 */
export interface ResampleDisplacement {
  /** Control points per axis (z, y, x), each >= 1. */
  readonly dims: Vec3;
  /** Control-grid units per output voxel (z, y, x). */
  readonly step: Vec3;
  /** Control-grid coordinate of output voxel 0 (z, y, x). */
  readonly start: Vec3;
  /** Displacements in output voxels, `(dz, dy, dx)` per control point, C order over `dims`. */
  readonly values: ArrayLike<number>;
}

/** One batch item: its affine and where its slot table lies. */
export interface ResampleSample {
  /**
   * 3x4 row-major affine, rows z, y, x: output index `j` -> source voxel position relative to
   * `origin` (`v = origin + matrix · [jz, jy, jx, 1]`). Composed in float64, written as f32.
   */
  readonly matrix: Float64Array;
  /** Integer source-box origin in voxels (z, y, x). */
  readonly origin: Vec3;
  /** Chunk-grid coordinate of the table's first entry (z, y, x). */
  readonly chunkLo: Vec3;
  /** Table extent in chunks (z, y, x); the table holds their product of slot indices, C-order. */
  readonly chunkDims: Vec3;
  /** Word offset of this sample's table in the concatenated table. */
  readonly tableOffset: number;
  /** Elastic deformation of this sample; none reads every voxel straight through the affine. */
  readonly displacement?: ResampleDisplacement;
}

/** Slot-table entry of a chunk the store does not have: it reads as the fill value. */
export const ABSENT_SLOT = 0xffffffff;
/** Threads per workgroup (`@workgroup_size` of the shader). */
export const RESAMPLE_WORKGROUP_SIZE = 64;

/** The `Params.interp` code of each interpolation (and the `INTERP` override constant). */
export const INTERPOLATION_CODES: Readonly<Record<Interpolation, number>> = { linear: 0, nearest: 1 };

/**
 * What a resample pipeline is specialized for. A field left out keeps the generic path, which
 * reads it from the dispatch's `Params`; a field given is folded in at compile time through the
 * shader's override constants (`INTERP`, `KIND`, `DEFORM`, `COPY`), so the other paths cost nothing. On
 * software adapters, which execute every branch whether taken or not, a nearest pipeline runs
 * about twice as fast as the generic one; on a GPU the kernel gets shorter.
 */
export interface ResampleVariant {
  /** Interpolation of every dispatch on the pipeline. */
  readonly interp?: Interpolation;
  /** Storage kind of the cache it reads. */
  readonly kind?: StorageKind;
  /** `false`: no sample on the pipeline has a displacement field. Default `true` (allowed). */
  readonly deform?: boolean;
  /**
   * `true`: every sample is a copy ({@link isCopyDispatch}): its affine a signed axis permutation
   * with integer offsets, no displacement, and a blend at a voxel that voxel. The pipeline reads
   * one voxel per output voxel. Default `false`.
   */
  readonly copy?: boolean;
}

/** Offsets beyond this would round in the shader's float32 affine. */
const F32_EXACT = 2 ** 24;

/**
 * Whether every output voxel of the dispatch lies exactly on a source voxel whose value it is,
 * bit for bit, so that a `copy` pipeline gives the generic pipeline's output: each sample's affine
 * is a signed axis permutation with integer offsets (`src/geometry/axis-permutation.ts`) that
 * float32 holds exactly, no sample is displaced, and for linear dispatches a blend at a voxel is
 * that voxel (integer storage kinds, a finite fill other than -0).
 *
 * @example
 * ```ts
 * isCopyDispatch(params, samples); // true for unaugmented samples at the level's voxel size
 * ```
 */
export function isCopyDispatch(params: ResampleParams, samples: readonly ResampleSample[]): boolean {
  if (params.interp === "linear" && !blendAtVoxelIsVoxel(params.kind, params.fill)) return false;
  const reach = Math.max(...params.outShape);
  return samples.every((s) => {
    if (sampleAxisPermutation(s) === undefined) return false;
    for (let a = 0; a < 3; a++) if (Math.abs(s.matrix[4 * a + 3]!) + reach >= F32_EXACT) return false;
    return true;
  });
}

/**
 * The fully specialized variant for one dispatch: its interpolation and storage kind, and
 * whether any of its samples is displaced.
 *
 * @example
 * ```ts
 * const pipeline = await getResamplePipeline(ctx, resampleVariant(params, samples));
 * ```
 */
export function resampleVariant(params: ResampleParams, samples: readonly ResampleSample[]): ResampleVariant {
  const variant = { interp: params.interp, kind: params.kind, deform: samples.some((s) => s.displacement !== undefined) };
  return isCopyDispatch(params, samples) ? { ...variant, copy: true } : variant;
}

/**
 * The sample's affine as a signed axis permutation with integer offsets ({@link axisPermutation}
 * in `src/geometry/axis-permutation.ts`), or `undefined` when it is anything else or displaced:
 * then the general path must run. The CPU twin copies such a sample; a dispatch of only such
 * samples gets the `COPY` pipeline ({@link isCopyDispatch}).
 *
 * @example
 * ```ts
 * sampleAxisPermutation({ matrix: new Float64Array([0, 0, -1, 9, 0, 1, 0, 0, 1, 0, 0, 2]), origin: [1, 2, 3], ... });
 * // { from: [2, 1, 0], sign: [-1, 1, 1], offset: [10, 2, 5] }
 * ```
 */
export function sampleAxisPermutation(s: ResampleSample): AxisPermutation | undefined {
  return s.displacement === undefined ? axisPermutation(s.matrix, s.origin) : undefined;
}

/**
 * The 4 cubic B-spline weights of the control points `floor(u) - 1 .. floor(u) + 2` for the
 * fraction `t = u - floor(u)`; they are positive and sum to 1. The shader's `bspline`, the CPU
 * twin and `src/augment/deform.ts` (the displacement at a point) use them.
 *
 * @example
 * ```ts
 * bsplineWeights(0); // [1/6, 4/6, 1/6, 0]
 * ```
 */
export function bsplineWeights(t: number, dst: number[] = [0, 0, 0, 0]): number[] {
  const s = 1 - t;
  const t2 = t * t;
  const t3 = t2 * t;
  dst[0] = (s * s * s) / 6;
  dst[1] = (3 * t3 - 6 * t2 + 4) / 6;
  dst[2] = (-3 * t3 + 3 * t2 + 3 * t + 1) / 6;
  dst[3] = t3 / 6;
  return dst;
}
