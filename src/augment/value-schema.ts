/**
 * Value (intensity) transforms, the user-facing spec: its entries and their validation from
 * configuration. `value-draw.ts` turns a spec into each sample's concrete ops (`ValueOp`, in
 * `src/kernels/value-transforms/contract.ts`), which the GPU host
 * (`src/kernels/value-transforms/gpu.ts`) or the CPU twin (`twin.ts` beside it) applies.
 *
 * What each transform does (NaN passes through every one of them except `nanToNum`):
 *
 * | spec | per voxel |
 * |---|---|
 * | `normalize: { range: [lo, hi] }` | `(x - lo) / (hi - lo)`; `range` defaults to `[0, 255]`, like Python's `Normalize(shift=0, scale=1/255)` |
 * | `normalize: { mean, std }` | `(x - mean) / std` |
 * | `gaussianNoise: { std, mean = 0, p = 1 }` | `x + mean + std * n`, `n` standard normal from a counter-based hash of (seed, sample, op key, voxel) |
 * | `randomContrast: { range, p = 1 }` | `m + f * (x - m)`, `f` drawn in `range`, `m` the mean of the sample's finite voxels at that point |
 * | `randomGamma: { range, p = 1 }` | `sign(x) * abs(x) ** g`, `g` drawn in `range` |
 * | `gaussianBlur: { sigma, p = 1 }` | separable 3D Gaussian, `sigma` in voxels (one or z, y, x), mode "reflect", truncate 4 (scipy's `gaussian_filter` defaults) |
 * | `binarize: { threshold }` | `x > threshold ? 1 : 0` |
 * | `nanToNum: { nan = 0, posinf, neginf }` | NaN, +Inf, -Inf replaced (defaults: 0 and ±the largest float32) |
 * | `distance: { clip, tanhScale }` | Euclidean distance (world units) from a foreground voxel (`x != 0`) to the nearest background voxel (`x == 0`); 0 on background; then clipped, then `tanh(d / tanhScale)` |
 * | `signedDistance: { clip, tanhScale }` | the same distance, positive inside, minus the distance to the nearest foreground voxel outside; then clipped, then `tanh` |
 * | `custom: { name, wgsl, params, p = 1, cpu }` | a user's WGSL function `name(v, p)` (see `src/kernels/custom-op/contract.ts`) |
 *
 * Distances are exact (a separable Euclidean distance transform over the whole sample) and
 * measured between voxel centers with the array's voxel size (`scale`) as spacing, like
 * `scipy.ndimage.distance_transform_edt(mask, sampling=scale)`. NaN voxels stay NaN and are
 * neither foreground nor background: no distance is measured to them. A sample with no
 * background (for `distance`) or no foreground (for `signedDistance` outside) has infinite
 * distances there: ±Inf, unless `clip` bounds them (`tanh` takes ±Inf to ±1).
 *
 * @example
 * ```ts
 * const spec = parseValueTransforms(
 *   [{ normalize: { range: [0, 255] } }, { randomContrast: { range: [0.8, 1.2], p: 0.5 } }],
 *   "valueTransforms.raw",
 * );
 * // [{ normalize: { range: [0, 255] } }, { randomContrast: { range: [0.8, 1.2], p: 0.5 } }]
 * ```
 * @module
 */

import { ArgumentError } from "../errors.ts";
import { type CustomOpOptions, parseCustomOp } from "../kernels/custom-op/contract.ts";

/** One value transform of a {@link ValueTransformSpec}. */
export type ValueTransformEntry =
  | { normalize: { range?: [number, number] } | { mean: number; std: number } }
  | { gaussianNoise: { std: number; mean?: number; p?: number } }
  | { randomContrast: { range: [number, number]; p?: number } }
  | { randomGamma: { range: [number, number]; p?: number } }
  | { gaussianBlur: { sigma: number | [number, number, number]; p?: number } }
  | { binarize: { threshold: number } }
  | { nanToNum: { nan?: number; posinf?: number; neginf?: number } }
  | { distance: DistanceOptions }
  | { signedDistance: DistanceOptions }
  | { custom: CustomOpOptions };

/** Options of the `distance` and `signedDistance` entries. */
export interface DistanceOptions {
  /** `[low, high]` bounds of the (signed) distance, world units; ±Infinity allowed (default: none). */
  clip?: [number, number];
  /** When given (> 0, world units): the output is `tanh(d / tanhScale)`, after `clip`. */
  tanhScale?: number;
}

/** Value transforms of one array or class, applied in order. */
export type ValueTransformSpec = ValueTransformEntry[];

/** The transform names a spec may use. */
export const VALUE_TRANSFORM_NAMES = [
  "normalize",
  "gaussianNoise",
  "randomContrast",
  "randomGamma",
  "gaussianBlur",
  "binarize",
  "nanToNum",
  "distance",
  "signedDistance",
  "custom",
] as const;

/** One transform name. */
export type ValueTransformName = (typeof VALUE_TRANSFORM_NAMES)[number];

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function finite(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ArgumentError(field, "must be a finite number", v);
  return v;
}

function probability(v: unknown, field: string): number | undefined {
  if (v === undefined) return undefined;
  const p = finite(v, field);
  if (p < 0 || p > 1) throw new ArgumentError(field, "must lie in [0, 1]", v);
  return p;
}

function range(v: unknown, field: string, min: number, strictMin: boolean): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) throw new ArgumentError(field, "must be [low, high]", v);
  const lo = finite(v[0], `${field}[0]`);
  const hi = finite(v[1], `${field}[1]`);
  if (lo > hi) throw new ArgumentError(field, "must have low <= high", v);
  if (strictMin ? lo <= min : lo < min) throw new ArgumentError(field, `must lie ${strictMin ? "above" : "at or above"} ${min}`, v);
  return [lo, hi];
}

function allowOnly(o: Record<string, unknown>, keys: readonly string[], field: string): void {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) throw new ArgumentError(`${field}.${k}`, `is not an option (allowed: ${keys.join(", ")})`);
  }
}

function withP<T extends object>(base: T, p: number | undefined): T & { p?: number } {
  return p === undefined ? base : { ...base, p };
}

function parseDistance(v: Record<string, unknown>, field: string): DistanceOptions {
  allowOnly(v, ["clip", "tanhScale"], field);
  const o: DistanceOptions = {};
  const clip = v["clip"];
  if (clip !== undefined) {
    if (!Array.isArray(clip) || clip.length !== 2 || !clip.every((x) => typeof x === "number" && !Number.isNaN(x)) || clip[0] > clip[1]) {
      throw new ArgumentError(`${field}.clip`, "must be [low, high] numbers (±Infinity allowed) with low <= high", clip);
    }
    o.clip = [clip[0] as number, clip[1] as number];
  }
  if (v["tanhScale"] !== undefined) {
    const s = finite(v["tanhScale"], `${field}.tanhScale`);
    if (s <= 0) throw new ArgumentError(`${field}.tanhScale`, "must be positive (world units)", s);
    o.tanhScale = s;
  }
  return o;
}

function parseEntry(name: string, v: unknown, field: string): ValueTransformEntry {
  if (!isRecord(v)) throw new ArgumentError(field, "must be an object of options", v);
  switch (name) {
    case "normalize": {
      if ("mean" in v || "std" in v) {
        allowOnly(v, ["mean", "std"], field);
        const std = finite(v["std"], `${field}.std`);
        if (std <= 0) throw new ArgumentError(`${field}.std`, "must be positive", std);
        return { normalize: { mean: finite(v["mean"], `${field}.mean`), std } };
      }
      allowOnly(v, ["range"], field);
      if (v["range"] === undefined) return { normalize: {} };
      const r = range(v["range"], `${field}.range`, -Infinity, false);
      if (r[0] === r[1]) throw new ArgumentError(`${field}.range`, "must have low < high", v["range"]);
      return { normalize: { range: r } };
    }
    case "gaussianNoise": {
      allowOnly(v, ["std", "mean", "p"], field);
      const std = finite(v["std"], `${field}.std`);
      if (std < 0) throw new ArgumentError(`${field}.std`, "must be >= 0", std);
      const mean = v["mean"] === undefined ? undefined : finite(v["mean"], `${field}.mean`);
      const o = mean === undefined ? { std } : { std, mean };
      return { gaussianNoise: withP(o, probability(v["p"], `${field}.p`)) };
    }
    case "randomContrast": {
      allowOnly(v, ["range", "p"], field);
      const r = range(v["range"], `${field}.range`, 0, false);
      return { randomContrast: withP({ range: r }, probability(v["p"], `${field}.p`)) };
    }
    case "randomGamma": {
      allowOnly(v, ["range", "p"], field);
      const r = range(v["range"], `${field}.range`, 0, true);
      return { randomGamma: withP({ range: r }, probability(v["p"], `${field}.p`)) };
    }
    case "gaussianBlur": {
      allowOnly(v, ["sigma", "p"], field);
      const s = v["sigma"];
      let sigma: number | [number, number, number];
      if (Array.isArray(s)) {
        if (s.length !== 3) throw new ArgumentError(`${field}.sigma`, "must be a number or [z, y, x]", s);
        sigma = [0, 1, 2].map((i) => finite(s[i], `${field}.sigma[${i}]`)) as [number, number, number];
      } else {
        sigma = finite(s, `${field}.sigma`);
      }
      const all = typeof sigma === "number" ? [sigma] : sigma;
      if (all.some((x) => x < 0 || x > 64)) throw new ArgumentError(`${field}.sigma`, "must lie in [0, 64] voxels", s);
      return { gaussianBlur: withP({ sigma }, probability(v["p"], `${field}.p`)) };
    }
    case "binarize": {
      allowOnly(v, ["threshold"], field);
      return { binarize: { threshold: finite(v["threshold"], `${field}.threshold`) } };
    }
    case "nanToNum": {
      allowOnly(v, ["nan", "posinf", "neginf"], field);
      const o: { nan?: number; posinf?: number; neginf?: number } = {};
      for (const k of ["nan", "posinf", "neginf"] as const) {
        if (v[k] !== undefined) o[k] = finite(v[k], `${field}.${k}`);
      }
      return { nanToNum: o };
    }
    case "distance":
    case "signedDistance":
      return (name === "distance" ? { distance: parseDistance(v, field) } : { signedDistance: parseDistance(v, field) });
    case "custom":
      return { custom: parseCustomOp(v, field) };
    default:
      throw new ArgumentError(field, `is not a value transform (known: ${VALUE_TRANSFORM_NAMES.join(", ")})`, name);
  }
}

/**
 * Validate a value-transform spec from configuration (`unknown` JSON). Accepts an array of
 * one-key objects, applied in array order, or a single object with several keys, applied in the
 * order the keys are written; an array entry with several keys is taken the same way.
 *
 * @param spec the configuration value
 * @param field where the spec came from, used in error messages (`"valueTransforms.raw"`)
 * @returns a fresh array of one-key entries, in application order
 * @throws {ArgumentError} naming the bad field (`valueTransforms.raw[1].randomGamma.range`)
 * @example
 * ```ts
 * parseValueTransforms({ normalize: {}, gaussianNoise: { std: 0.1 } }, "valueTransforms.raw");
 * // [{ normalize: {} }, { gaussianNoise: { std: 0.1 } }]
 * ```
 */
export function parseValueTransforms(spec: unknown, field: string): ValueTransformSpec {
  if (spec === undefined || spec === null) return [];
  const items: Array<[unknown, string]> = Array.isArray(spec)
    ? spec.map((s, i) => [s, `${field}[${i}]`])
    : [[spec, field]];
  const out: ValueTransformSpec = [];
  for (const [item, where] of items) {
    if (!isRecord(item)) throw new ArgumentError(where, "must be an object such as { normalize: {} }", item);
    const keys = Object.keys(item);
    if (keys.length === 0) throw new ArgumentError(where, "names no transform", item);
    for (const k of keys) out.push(parseEntry(k, item[k], `${where}.${k}`));
  }
  return out;
}
