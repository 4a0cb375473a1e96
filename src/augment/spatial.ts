/**
 * Spatial augmentation: the Python library's `spatial_transforms` config (mirror, transpose,
 * rotate), parsed once and turned into ONE 3x3 matrix `A` per sample. `A` acts on an output
 * voxel's world offset from the sample center (DESIGN section 2: output voxel `j` sits at world
 * `c + A·((j - (n-1)/2) * s)`), so every array of a sample (raw and labels, any voxel size) is
 * read through the same `A` and stays aligned.
 *
 * Composition: the transforms apply in the order the config lists them, each to the result of the
 * previous one: `A = T_last · ... · T_first`. All matrices are row-major in z, y, x order.
 *
 * - `mirror: { axes: { x: 0.5, z: 0.1 } }`: flip each listed axis with its probability.
 * - `transpose: { axes: ["x", "y"] }`: a uniformly random permutation of the listed axes; output
 *   axis `a` then runs along world axis `perm(a)`.
 * - `rotate: { axes: { z: [-180, 180] } }`: a rotation by an angle (degrees) drawn uniformly from
 *   each listed range, about that axis, right-handed in (x, y, z): about z it turns +x toward +y,
 *   about y it turns +z toward +x, about x it turns +y toward +z. Several axes compose as
 *   `Rz · Ry · Rx`. (The Python library builds its z rotation on an `xy`-indexed meshgrid, which
 *   swaps the first two axes, z and y, of the sampled grid; this module uses plain rotation matrices.)
 * - `deform: { spacing: 400, magnitude: 30, p: 0.5 }`: elastic deformation, a smooth random
 *   displacement field in the output frame (`src/augment/deform.ts`). It is not part of `A`: a
 *   voxel at offset `o` is read at `c + A·(o + d(o))`, wherever `deform` is listed.
 *
 * Draws happen in a fixed order (transform order, then z, y, x within a transform), so a seed gives
 * the same matrix in every runtime.
 *
 * @example
 * ```ts
 * const t = parseSpatialTransforms({ mirror: { axes: { x: 0.5 } }, rotate: { axes: { z: [-180, 180] } } });
 * const A = drawSpatialMatrix(t, rngFor(seed, epoch, index));
 * ```
 * @module
 */

import { ArgumentError } from "../errors.ts";
import { parseDeform, type DeformConfig, type DeformSpec } from "./deform.ts";
import type { Rng } from "./rng.ts";

/** A spatial axis name. */
export type Axis = "z" | "y" | "x";

/** The config, as in the Python library (`spatial_transforms`). */
export interface SpatialTransformsConfig {
  /** Per-axis flip probabilities in [0, 1]. */
  mirror?: { axes: Partial<Record<Axis, number>> };
  /** Axes to permute among themselves (two or three of them). */
  transpose?: { axes: Axis[] };
  /** Per-axis angle ranges `[min, max]` in degrees. */
  rotate?: { axes: Partial<Record<Axis, readonly [number, number]>> };
  /** Elastic deformation: control-point spacing and magnitude (world units), probability. */
  deform?: DeformConfig;
}

/** One parsed step. Axis indices are 0 = z, 1 = y, 2 = x. */
export type SpatialStep =
  | { kind: "mirror"; probability: readonly [number, number, number] }
  | { kind: "transpose"; axes: readonly number[] }
  | { kind: "rotate"; ranges: readonly (readonly [number, number] | undefined)[] };

/** A parsed, validated config: the steps in the order they apply. */
export interface SpatialTransforms {
  readonly steps: readonly SpatialStep[];
  /** The elastic deformation, when configured (applied in the output frame, before `A`). */
  readonly deform?: DeformSpec;
}

const AXES: readonly Axis[] = ["z", "y", "x"];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function axisIndex(field: string, name: unknown): number {
  const i = AXES.indexOf(name as Axis);
  if (i < 0) throw new ArgumentError(field, 'must name an axis "z", "y" or "x"', name);
  return i;
}

/**
 * Validate a `spatialTransforms` config (from `unknown`, e.g. parsed JSON or YAML).
 *
 * @param config The config object; `undefined` or `null` gives no transforms.
 * @returns The steps, in the order they apply.
 * @throws {ArgumentError} naming the bad field, e.g. `spatialTransforms.rotate.axes.z`.
 * @example
 * ```ts
 * parseSpatialTransforms({ transpose: { axes: ["x", "y"] } }).steps; // [{ kind: "transpose", axes: [2, 1] }]
 * ```
 */
export function parseSpatialTransforms(config: unknown): SpatialTransforms {
  if (config === undefined || config === null) return { steps: [] };
  const root = "spatialTransforms";
  if (!isObject(config)) throw new ArgumentError(root, "must be an object like { mirror: { axes: { x: 0.5 } } }", config);
  const steps: SpatialStep[] = [];
  let deform: DeformSpec | undefined;
  for (const [name, params] of Object.entries(config)) {
    const field = `${root}.${name}`;
    if (name === "deform") {
      deform = parseDeform(params, field);
      continue;
    }
    if (!isObject(params) || !("axes" in params)) throw new ArgumentError(field, "must be an object with `axes`", params);
    const axes = params["axes"];
    if (name === "mirror") {
      if (!isObject(axes)) throw new ArgumentError(`${field}.axes`, "must map axes to probabilities, e.g. { x: 0.5 }", axes);
      const probability: [number, number, number] = [0, 0, 0];
      for (const [axis, p] of Object.entries(axes)) {
        const k = axisIndex(`${field}.axes`, axis);
        if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw new ArgumentError(`${field}.axes.${axis}`, "must be a probability in [0, 1]", p);
        probability[k] = p;
      }
      steps.push({ kind: "mirror", probability });
    } else if (name === "transpose") {
      if (!Array.isArray(axes)) throw new ArgumentError(`${field}.axes`, 'must be a list of axes, e.g. ["x", "y"]', axes);
      const list = axes.map((a, i) => axisIndex(`${field}.axes[${i}]`, a));
      if (new Set(list).size !== list.length) throw new ArgumentError(`${field}.axes`, "must not repeat an axis", axes);
      steps.push({ kind: "transpose", axes: list });
    } else if (name === "rotate") {
      if (!isObject(axes)) throw new ArgumentError(`${field}.axes`, "must map axes to [min, max] degrees, e.g. { z: [-180, 180] }", axes);
      const ranges: ([number, number] | undefined)[] = [undefined, undefined, undefined];
      for (const [axis, r] of Object.entries(axes)) {
        const k = axisIndex(`${field}.axes`, axis);
        if (!Array.isArray(r) || r.length !== 2 || !r.every((x) => typeof x === "number" && Number.isFinite(x)) || r[0] > r[1]) {
          throw new ArgumentError(`${field}.axes.${axis}`, "must be [min, max] degrees with min <= max", r);
        }
        ranges[k] = [r[0] as number, r[1] as number];
      }
      steps.push({ kind: "rotate", ranges });
    } else {
      throw new ArgumentError(field, 'is not a spatial transform (expected "mirror", "transpose", "rotate" or "deform")', name);
    }
  }
  return deform ? { steps, deform } : { steps };
}

/**
 * The rotation by `degrees` about one axis, right-handed in (x, y, z), as a row-major z, y, x
 * 3x3 matrix.
 *
 * @param axis 0 = z, 1 = y, 2 = x.
 * @example
 * ```ts
 * rotationMatrix(0, 90); // turns +x (0,0,1) into +y (0,1,0)
 * ```
 */
export function rotationMatrix(axis: number, degrees: number): Float64Array {
  const t = (degrees * Math.PI) / 180;
  const c = Math.cos(t);
  const s = Math.sin(t);
  const m = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  // The plane (i, j) that turns, with +i going toward +j for positive angles.
  const [i, j] = axis === 0 ? [2, 1] : axis === 1 ? [0, 2] : [1, 0];
  m[i * 3 + i] = c;
  m[j * 3 + j] = c;
  m[j * 3 + i] = s;
  m[i * 3 + j] = -s;
  return m;
}

function mul(a: Float64Array, b: Float64Array): Float64Array<ArrayBuffer> {
  const r = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) r[i * 3 + j] = a[i * 3]! * b[j]! + a[i * 3 + 1]! * b[3 + j]! + a[i * 3 + 2]! * b[6 + j]!;
  }
  return r;
}

/**
 * Draw one sample's matrix `A` from the parsed transforms.
 *
 * @param transforms From {@link parseSpatialTransforms}.
 * @param rng The sample's generator (e.g. `rngFor(seed, epoch, index).split("spatial")`).
 * @returns 9 numbers, row-major z, y, x; the identity when there are no steps.
 * @example
 * ```ts
 * const A = drawSpatialMatrix(parseSpatialTransforms({ mirror: { axes: { x: 1 } } }), rng); // diag(1, 1, -1)
 * ```
 */
export function drawSpatialMatrix(transforms: SpatialTransforms, rng: Rng): Float64Array {
  let a: Float64Array<ArrayBuffer> = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  for (const step of transforms.steps) {
    let t: Float64Array<ArrayBuffer>;
    if (step.kind === "mirror") {
      t = new Float64Array(9);
      for (let k = 0; k < 3; k++) {
        const p = step.probability[k]!;
        // Always draw, so one axis's probability never shifts the draws of the others.
        const u = rng.next();
        t[k * 4] = p > 0 && u < p ? -1 : 1;
      }
    } else if (step.kind === "transpose") {
      const perm = [...step.axes];
      for (let i = perm.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      }
      t = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
      step.axes.forEach((from) => (t[from * 4] = 0));
      step.axes.forEach((from, i) => (t[perm[i]! * 3 + from] = 1));
    } else {
      t = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
      for (let k = 0; k < 3; k++) {
        const r = step.ranges[k];
        if (r === undefined) continue;
        t = mul(t, rotationMatrix(k, rng.uniform(r[0], r[1])));
      }
    }
    a = mul(t, a);
  }
  return a;
}

/** True when `m` (9 numbers) is exactly the identity. */
export function isIdentity3(m: ArrayLike<number>): boolean {
  for (let i = 0; i < 9; i++) if (m[i] !== (i % 4 === 0 ? 1 : 0)) return false;
  return true;
}
