/**
 * 2D slices of 3D volumes: the helpers behind datasets whose arrays have 2D shapes (`[h, w]`),
 * as the Python library's `is_array_2D`, `array_has_singleton_dim`, `get_sliced_shape` and
 * `permute_singleton_dimension`.
 *
 * A 2D array sliced along an axis is read as a 3D array with one voxel on that axis: along z
 * `[1, h, w]`, along y `[h, 1, w]`, along x `[h, w, 1]` (z, y, x). In C order each of these is
 * already the `[h, w]` image, so a slice needs no data movement:
 *
 * | slicing axis | 3D read | image rows | image columns |
 * |---|---|---|---|
 * | z | `[1, h, w]` | y | x |
 * | y | `[h, 1, w]` | z | x |
 * | x | `[h, w, 1]` | z | y |
 *
 * Spatial transforms of a 2D dataset are written in the slice's own frame: `z` is the slice
 * normal, `y` the image rows and `x` the image columns, whatever the slicing axis; the drawn
 * matrix is then carried into world axes with {@link planeToWorld}.
 * @module
 */

import type { Axis } from "../augment/spatial.ts";
import type { DeformSpec } from "../augment/deform.ts";
import { ArgumentError } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";
import type { ArraySpec } from "./types.ts";

export type { Axis };

/** The slicing axes, in the order the Python library builds its three datasets. */
export const SLICING_AXES: readonly Axis[] = Object.freeze(["z", "y", "x"]);

/** Anything with a shape (an array request of the options). */
export interface Shaped {
  readonly shape: readonly number[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `{ name: spec }`, or a single spec (it has a `shape`), or nothing. */
type ArrayInfo = Shaped | Readonly<Record<string, Shaped>> | undefined | null;

function perArray(info: ArrayInfo, test: (s: Shaped) => boolean): boolean | Record<string, boolean> {
  if (info === undefined || info === null || Object.keys(info).length === 0) return false;
  if ("shape" in info && Array.isArray((info as Shaped).shape)) return test(info as Shaped);
  const out: Record<string, boolean> = {};
  for (const [name, spec] of Object.entries(info as Record<string, Shaped>)) out[name] = isObject(spec) && Array.isArray(spec.shape) && test(spec);
  return out;
}

function summarize(r: boolean | Record<string, boolean>, summary: "any" | "all"): boolean {
  if (typeof r === "boolean") return r;
  const values = Object.values(r);
  return summary === "any" ? values.some(Boolean) : values.length > 0 && values.every(Boolean);
}

/**
 * Whether an array request has a 2D shape (`[h, w]`). Given `{ name: spec }`, answers per array,
 * or for all of them with `summary` (`"any"` or `"all"`). Nothing (`undefined`, `{}`) is not 2D.
 *
 * @example
 * ```ts
 * isArray2D({ shape: [64, 64], scale: [8, 8, 8] });                        // true
 * isArray2D({ raw: { shape: [64, 64] }, big: { shape: [8, 64, 64] } });    // { raw: true, big: false }
 * isArray2D({ raw: { shape: [64, 64] }, big: { shape: [8, 64, 64] } }, "any"); // true
 * ```
 */
export function isArray2D(info: Shaped): boolean;
export function isArray2D(info: Readonly<Record<string, Shaped>> | undefined | null, summary: "any" | "all"): boolean;
export function isArray2D(info: Readonly<Record<string, Shaped>> | undefined | null): Record<string, boolean> | false;
export function isArray2D(info: ArrayInfo, summary?: "any" | "all"): boolean | Record<string, boolean> {
  const r = perArray(info, (s) => s.shape.length === 2);
  return summary ? summarize(r, summary) : r;
}

/**
 * Whether an array request has an axis of one voxel. Given `{ name: spec }`, answers for any of
 * them (the default, as Python's `summary=True`) or per array (`summary: false`).
 *
 * @example
 * ```ts
 * arrayHasSingletonDim({ shape: [1, 64, 64] });                                        // true
 * arrayHasSingletonDim({ raw: { shape: [1, 64, 64] }, gt: { shape: [8, 8, 8] } }, false); // { raw: true, gt: false }
 * ```
 */
export function arrayHasSingletonDim(info: Shaped): boolean;
export function arrayHasSingletonDim(info: Readonly<Record<string, Shaped>> | undefined | null, summary?: true): boolean;
export function arrayHasSingletonDim(info: Readonly<Record<string, Shaped>> | undefined | null, summary: false): Record<string, boolean> | false;
export function arrayHasSingletonDim(info: ArrayInfo, summary = true): boolean | Record<string, boolean> {
  const r = perArray(info, (s) => s.shape.includes(1));
  return summary ? summarize(r, "any") : r;
}

/**
 * The index (0 = z, 1 = y, 2 = x) of an axis given by name or index.
 *
 * @throws {ArgumentError} naming `field` when it is neither.
 */
export function axisIndex(axis: Axis | number, field = "axis"): 0 | 1 | 2 {
  const i = typeof axis === "number" ? axis : SLICING_AXES.indexOf(axis);
  if (!(i === 0 || i === 1 || i === 2)) throw new ArgumentError(field, 'must be "z", "y" or "x" (or 0, 1, 2)', axis);
  return i;
}

/**
 * The 3D shape that reads a 2D shape as a slice along `axis`: one voxel inserted on that axis.
 * A 3D shape with a singleton axis has (its first) singleton moved there, as Python's
 * `get_sliced_shape`.
 *
 * @param shape `[h, w]`, or a 3D shape holding a 1.
 * @param axis `"z"`, `"y"`, `"x"` or 0, 1, 2.
 * @throws {ArgumentError} on `shape` when it is neither 2D nor 3D with a singleton axis.
 * @example
 * ```ts
 * slicedShape([64, 32], "y");   // [64, 1, 32]
 * slicedShape([1, 64, 32], 2);  // [64, 32, 1]
 * ```
 */
export function slicedShape(shape: readonly number[], axis: Axis | number): Vec3 {
  const k = axisIndex(axis);
  const ok = shape.every((n) => Number.isInteger(n) && n > 0);
  if (ok && shape.length === 2) {
    const out = [...shape];
    out.splice(k, 0, 1);
    return out as Vec3;
  }
  if (ok && shape.length === 3 && shape.includes(1)) {
    const out = [...shape];
    out.splice(out.indexOf(1), 1);
    out.splice(k, 0, 1);
    return out as Vec3;
  }
  throw new ArgumentError("shape", "must be 2D [h, w], or 3D with an axis of 1, in positive integers", shape);
}

/**
 * Every array request of `{ name: { shape, scale } }` sliced along `axis` (see
 * {@link slicedShape}); scales and other fields are copied unchanged. Pure: returns new objects
 * (Python's `permute_singleton_dimension` edits its argument in place).
 *
 * @example
 * ```ts
 * permuteSingletonDimension({ raw: { shape: [64, 64], scale: [8, 4, 4] } }, "x");
 * // { raw: { shape: [64, 64, 1], scale: [8, 4, 4] } }
 * ```
 */
export function permuteSingletonDimension<S extends Shaped>(arrays: Readonly<Record<string, S>>, axis: Axis | number): Record<string, Omit<S, "shape"> & { shape: Vec3 }> {
  const out: Record<string, Omit<S, "shape"> & { shape: Vec3 }> = {};
  for (const [name, spec] of Object.entries(arrays)) {
    let shape: Vec3;
    try {
      shape = slicedShape(spec.shape, axis);
    } catch {
      throw new ArgumentError(`${name}.shape`, "must be 2D [h, w], or 3D with an axis of 1", spec.shape);
    }
    out[name] = { ...spec, shape };
  }
  return out;
}

/**
 * The output shape of an array: the 3D shape without the sliced axis for a 2D dataset
 * (`[h, w]`), the 3D shape otherwise.
 */
export function outputShape(spec: ArraySpec, slicingAxis: Axis | undefined): number[] {
  if (slicingAxis === undefined) return [...spec.shape];
  const k = axisIndex(slicingAxis);
  return spec.shape.filter((_, i) => i !== k);
}

/**
 * The `[z, y, x]` layout the value passes see: `[1, h, w]` for a 2D dataset (whatever the
 * slicing axis, so a blur's sigma `[z, y, x]` acts on the image's rows as y and columns as x),
 * the 3D shape otherwise.
 */
export function valueShape(spec: ArraySpec, slicingAxis: Axis | undefined): Vec3 {
  if (slicingAxis === undefined) return [...spec.shape];
  const [h, w] = outputShape(spec, slicingAxis) as [number, number];
  return [1, h, w];
}

/**
 * Which world axis each axis of the slice frame is: `[normal, rows, columns]` (0 = z, 1 = y,
 * 2 = x).
 */
export function sliceFrame(slicingAxis: Axis): Vec3 {
  const k = axisIndex(slicingAxis);
  return k === 0 ? [0, 1, 2] : k === 1 ? [1, 0, 2] : [2, 0, 1];
}

/**
 * Carry a 3x3 augmentation matrix (row-major) drawn in the slice frame (z = normal, y = rows,
 * x = columns) into world axes: `P · A · Pᵀ`, with `P` the permutation of {@link sliceFrame}.
 * `undefined` (the identity) stays undefined; along z the matrix is unchanged.
 *
 * @example
 * ```ts
 * planeToWorld(mirrorColumns, "x"); // flips world y, the columns of an x slice
 * ```
 */
export function planeToWorld(a: Float64Array | undefined, slicingAxis: Axis | undefined): Float64Array | undefined {
  if (a === undefined || slicingAxis === undefined) return a;
  const w = sliceFrame(slicingAxis);
  const out = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out[w[i]! * 3 + w[j]!] = a[i * 3 + j]!;
  return out;
}

/**
 * Carry a deformation config written in the slice frame (z = normal, y = rows, x = columns) into
 * world axes, with no displacement along the slice normal, so a deformed 2D sample stays in its
 * slice plane (a displacement across a one-voxel-thick read would blend neighbouring slices).
 * A 3D dataset's config is returned unchanged.
 */
export function deformInPlane(spec: DeformSpec, slicingAxis: Axis | undefined): DeformSpec {
  if (slicingAxis === undefined) return spec;
  const w = sliceFrame(slicingAxis);
  const spacing: Vec3 = [0, 0, 0];
  const magnitude: Vec3 = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    spacing[w[i]!] = spec.spacing[i]!;
    magnitude[w[i]!] = i === 0 ? 0 : spec.magnitude[i]!;
  }
  return { spacing, magnitude, p: spec.p };
}

/**
 * Per-axis padding of a 2D dataset's sampling grid: the sliced axis is never padded (its box is
 * shrunk by half a slice on each side), so with a slice as thick as the voxels the centers fall
 * on the slices, one center per slice.
 */
export function slicePad(pad: boolean, slicingAxis: Axis | undefined): boolean | [boolean, boolean, boolean] {
  if (slicingAxis === undefined) return pad;
  const k = axisIndex(slicingAxis);
  return [0, 1, 2].map((i) => pad && i !== k) as [boolean, boolean, boolean];
}

/**
 * Check a spatial-transform config for a 2D dataset: in the slice frame it may mirror and
 * transpose only y (rows) and x (columns), and rotate only about z (the slice normal), so every
 * sample stays in its slice plane. Call after the config parsed as 3D.
 *
 * @throws {ArgumentError} naming the field, e.g. `spatialTransforms.rotate.axes.x`.
 */
export function checkPlaneTransforms(config: unknown): void {
  if (!isObject(config)) return;
  const root = "spatialTransforms";
  const mirror = config["mirror"];
  if (isObject(mirror) && isObject(mirror["axes"]) && "z" in mirror["axes"]) {
    throw new ArgumentError(`${root}.mirror.axes.z`, "names the slice normal: a 2D dataset mirrors only y (rows) and x (columns)", mirror["axes"]["z"]);
  }
  const transpose = config["transpose"];
  if (isObject(transpose) && Array.isArray(transpose["axes"]) && transpose["axes"].includes("z")) {
    throw new ArgumentError(`${root}.transpose.axes`, 'must not name z, the slice normal: a 2D dataset transposes only ["y", "x"]', transpose["axes"]);
  }
  const rotate = config["rotate"];
  if (isObject(rotate) && isObject(rotate["axes"])) {
    for (const axis of ["y", "x"]) {
      if (axis in rotate["axes"]) {
        throw new ArgumentError(`${root}.rotate.axes.${axis}`, "would tilt the slice out of its plane: a 2D dataset rotates only about z, the slice normal", rotate["axes"][axis]);
      }
    }
  }
}
