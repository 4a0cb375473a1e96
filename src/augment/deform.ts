/**
 * Elastic deformation, the `deform` entry of `spatialTransforms`: a smooth random displacement
 * field `d` in a sample's output frame, the same for every array of the sample (inputs and every
 * class), so inputs and targets stay aligned. An output voxel at world offset `o` from the sample
 * center (DESIGN section 2: `o = (j - (n-1)/2) * s`) is read at
 *
 *     c + A · (o + d(o))
 *
 * `d` is a uniform cubic B-spline over a coarse grid of control points, `spacing` apart (world
 * units), anchored on the sample center: control point `k` (per axis) sits at offset
 * `(k - (dims - 1) / 2) * spacing`, so the control-grid coordinate of offset `o` is
 * `u = o / spacing + (dims - 1) / 2`, and `d(o) = sum_k B(u - k) · value_k` over the 4 x 4 x 4
 * points around `u` (`B` the cubic B-spline basis; indices past the grid are clamped to its edge).
 * The grid covers the largest output extent of the dataset's arrays with a point to spare on each
 * side. Each component of each control value is drawn uniformly in `[-magnitude, magnitude]`;
 * the basis weights are positive and sum to 1, so no voxel moves more than `magnitude` per axis.
 *
 * Draws: one uniform for `p`, then three per control point, always, whatever `p` decides; so the
 * field of a sample is a pure function of its generator's key, and the same whether `p` is 0.5
 * or 1 when it applies.
 *
 * @example
 * ```ts
 * const spec = parseDeform({ spacing: 400, magnitude: 30, p: 0.5 });
 * const grid = deformGrid(spec, [{ shape: [64, 64, 64], scale: [8, 8, 8] }]);
 * const field = drawDeformField(grid, rngFor(seed, epoch, index).split("deform")); // or undefined
 * ```
 * @module
 */

import { ArgumentError } from "../errors.ts";
import type { OutputSpec, Vec3 } from "../geometry/types.ts";
import { bsplineWeights } from "../kernels/resample/contract.ts";
import type { Rng } from "./rng.ts";

/** The `deform` config: world units, a number for every axis or `[z, y, x]`. */
export interface DeformConfig {
  /** Distance between control points (world units, > 0): larger is smoother. */
  spacing: number | readonly [number, number, number];
  /** Largest displacement of a control point per axis (world units, >= 0). */
  magnitude: number | readonly [number, number, number];
  /** Chance that a sample is deformed (default 1). */
  p?: number;
}

/** A parsed `deform` config. */
export interface DeformSpec {
  readonly spacing: Readonly<Vec3>;
  readonly magnitude: Readonly<Vec3>;
  readonly p: number;
}

/** The control grid of one dataset: a parsed config plus the grid extent its outputs need. */
export interface DeformGrid extends DeformSpec {
  /** Control points per axis (z, y, x). */
  readonly dims: Readonly<Vec3>;
}

/** One sample's displacement field. */
export interface DeformField {
  /** Control points per axis (z, y, x). */
  readonly dims: Readonly<Vec3>;
  /** Distance between control points per axis, world units. */
  readonly spacing: Readonly<Vec3>;
  /**
   * Control-point displacements in world units, `(dz, dy, dx)` per point, points in C order over
   * `dims`: `3 * dims[0] * dims[1] * dims[2]` numbers.
   */
  readonly values: Float64Array;
}

/** Most control points a grid may have (each sample's field goes to the GPU with the sample). */
export const MAX_DEFORM_POINTS = 32768;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function perAxis(field: string, v: unknown, ok: (x: number) => boolean, what: string): Vec3 {
  const list = typeof v === "number" ? [v, v, v] : Array.isArray(v) && v.length === 3 ? v : undefined;
  if (list === undefined || !list.every((x) => typeof x === "number" && ok(x))) {
    throw new ArgumentError(field, `must be ${what}, one number or [z, y, x]`, v);
  }
  return [list[0], list[1], list[2]] as Vec3;
}

/**
 * Validate a `deform` config (from `unknown`).
 *
 * @param config `{ spacing, magnitude, p? }`.
 * @param field The name errors use (default `spatialTransforms.deform`).
 * @throws {ArgumentError} naming the bad field, e.g. `spatialTransforms.deform.spacing`.
 * @example
 * ```ts
 * parseDeform({ spacing: [400, 200, 200], magnitude: 30 }); // { spacing: [400, 200, 200], magnitude: [30, 30, 30], p: 1 }
 * ```
 */
export function parseDeform(config: unknown, field = "spatialTransforms.deform"): DeformSpec {
  if (!isObject(config)) throw new ArgumentError(field, "must be an object like { spacing: 400, magnitude: 30, p: 0.5 }", config);
  for (const key of Object.keys(config)) {
    if (key !== "spacing" && key !== "magnitude" && key !== "p") {
      throw new ArgumentError(`${field}.${key}`, 'is not a deform option (expected "spacing", "magnitude" or "p")', config[key]);
    }
  }
  const spacing = perAxis(`${field}.spacing`, config["spacing"], (x) => Number.isFinite(x) && x > 0, "a positive distance (world units)");
  const magnitude = perAxis(`${field}.magnitude`, config["magnitude"], (x) => Number.isFinite(x) && x >= 0, "a distance >= 0 (world units)");
  const p = config["p"] ?? 1;
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw new ArgumentError(`${field}.p`, "must be a probability in [0, 1]", p);
  return { spacing, magnitude, p };
}

/**
 * The control grid for a dataset's outputs: it covers the largest output extent (voxel centers)
 * per axis, `dims = floor(2 * halfExtent / spacing) + 4`, so every output voxel has its 4 x 4 x 4
 * B-spline neighbours inside the grid.
 *
 * @param spec From {@link parseDeform}.
 * @param outputs Every output array of the dataset (shape and voxel size).
 * @throws {ArgumentError} (`spatialTransforms.deform.spacing`) when the grid would exceed {@link MAX_DEFORM_POINTS}.
 * @example
 * ```ts
 * deformGrid(parseDeform({ spacing: 400, magnitude: 30 }), [{ shape: [64, 64, 64], scale: [8, 8, 8] }]).dims; // [5, 5, 5]
 * ```
 */
export function deformGrid(spec: DeformSpec, outputs: readonly OutputSpec[], field = "spatialTransforms.deform"): DeformGrid {
  const dims = [0, 1, 2].map((k) => {
    const half = Math.max(0, ...outputs.map((o) => ((o.shape[k]! - 1) / 2) * o.scale[k]!));
    return Math.floor((2 * half) / spec.spacing[k]!) + 4;
  }) as Vec3;
  const points = dims[0] * dims[1] * dims[2];
  if (points > MAX_DEFORM_POINTS) {
    throw new ArgumentError(
      `${field}.spacing`,
      `gives a control grid of ${dims.join(" x ")} = ${points} points over the outputs, more than ${MAX_DEFORM_POINTS}; use a larger spacing`,
      spec.spacing,
    );
  }
  return { ...spec, dims };
}

/**
 * Draw one sample's field: one uniform for `p`, then every control value (always, so the number
 * of draws never depends on `p`).
 *
 * @param grid From {@link deformGrid}.
 * @param rng The sample's generator (e.g. `rngFor(seed, epoch, index).split("deform")`).
 * @returns The field, or `undefined` when the `p` draw says this sample is not deformed.
 * @example
 * ```ts
 * const field = drawDeformField(grid, rngFor(0, 0, 17).split("deform"));
 * ```
 */
export function drawDeformField(grid: DeformGrid, rng: Rng): DeformField | undefined {
  const apply = rng.next() < grid.p;
  const n = grid.dims[0] * grid.dims[1] * grid.dims[2];
  const values = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      const m = grid.magnitude[k]!;
      values[3 * i + k] = m * (2 * rng.next() - 1);
    }
  }
  return apply ? { dims: [...grid.dims] as Vec3, spacing: [...grid.spacing] as Vec3, values } : undefined;
}

/**
 * The displacement (world units) of the output-frame offset `offset` (world units from the
 * sample center, before the augmentation matrix).
 *
 * @example
 * ```ts
 * const [dz, dy, dx] = displacementAt(field, [0, 0, 0]); // how far the center voxel moves
 * ```
 */
export function displacementAt(field: DeformField, offset: Readonly<Vec3>): Vec3 {
  const [gz, gy, gx] = field.dims;
  const base: number[] = [];
  const w: number[][] = [];
  for (let k = 0; k < 3; k++) {
    const u = offset[k]! / field.spacing[k]! + (field.dims[k]! - 1) / 2;
    const i = Math.floor(u);
    base.push(i - 1);
    w.push(bsplineWeights(u - i));
  }
  const clamp = (i: number, n: number) => Math.min(n - 1, Math.max(0, i));
  const out: Vec3 = [0, 0, 0];
  for (let a = 0; a < 4; a++) {
    const z = clamp(base[0]! + a, gz);
    for (let b = 0; b < 4; b++) {
      const y = clamp(base[1]! + b, gy);
      for (let c = 0; c < 4; c++) {
        const x = clamp(base[2]! + c, gx);
        const weight = w[0]![a]! * w[1]![b]! * w[2]![c]!;
        const p = 3 * ((z * gy + y) * gx + x);
        for (let k = 0; k < 3; k++) out[k] = out[k]! + weight * field.values[p + k]!;
      }
    }
  }
  return out;
}

/** Largest `|displacement|` per axis over the control points: a bound on every voxel's. */
export function maxDisplacement(field: DeformField): Vec3 {
  const m: Vec3 = [0, 0, 0];
  for (let i = 0; i < field.values.length; i++) m[i % 3] = Math.max(m[i % 3]!, Math.abs(field.values[i]!));
  return m;
}
