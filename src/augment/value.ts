/**
 * Value (intensity) transforms: the user-facing spec, its validation, and the per-sample draw
 * that turns a spec into concrete {@link ValueOp}s (the contrast factor drawn, whether `p` fired,
 * the noise stream key). The ops are applied on the GPU by `src/gpu/value-transforms.ts`, or on
 * the CPU by its twin `src/reference/value-transforms.ts`.
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
 * const ops = drawValueOps(spec, { next: Math.random }); // e.g. [{ kind: "normalize", ... }]
 * ```
 * @module
 */

import { ArgumentError } from "../errors.ts";
import { customOpSource, type CustomCpuFunction, type CustomOpOptions, parseCustomOp } from "../kernels/custom-op/contract.ts";

export type { CustomCpuFunction, CustomOpOptions, CustomParam } from "../kernels/custom-op/contract.ts";

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
   * are `p` (drawn), `cpu` the twin (required on the CPU).
   */
  | {
    readonly kind: "custom";
    readonly name: string;
    readonly source: string;
    readonly params: readonly [number, number, number, number];
    readonly cpu?: CustomCpuFunction;
  };

/** A source of uniform numbers in [0, 1), such as the dataset's seeded generator. */
export interface UniformSource {
  next(): number;
}

// ---------------------------------------------------------------------------------------------
// Validation

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

// ---------------------------------------------------------------------------------------------
// Per-sample draw

/** The name and options of an entry (its single key). */
function entryOf(e: ValueTransformEntry): [ValueTransformName, Record<string, unknown>] {
  const name = Object.keys(e)[0] as ValueTransformName | undefined;
  if (name === undefined) throw new ArgumentError("valueTransforms", "has an empty entry", e);
  return [name, (e as Record<string, Record<string, unknown>>)[name] ?? {}];
}

/**
 * Draw the concrete operations of one sample. Every entry consumes a fixed number of draws from
 * `rng` whether or not it fires (1 for `p`, plus 1 for a drawn factor or noise key; a custom op
 * 1 for `p` and 1 per ranged parameter), so changing one entry's `p` never shifts what later
 * entries draw. Entries whose `p` did not fire are left out of the result.
 *
 * @param spec a spec from {@link parseValueTransforms}
 * @param rng uniform numbers in [0, 1)
 * @returns the ops to apply to this sample, in order
 * @example
 * ```ts
 * const ops = drawValueOps([{ randomGamma: { range: [0.5, 1.5] } }], rng);
 * // [{ kind: "gamma", gamma: 0.93... }]
 * ```
 */
export function drawValueOps(spec: ValueTransformSpec, rng: UniformSource): ValueOp[] {
  const ops: ValueOp[] = [];
  const fires = (p: unknown): boolean => rng.next() < (typeof p === "number" ? p : 1);
  const between = (r: unknown): number => {
    const [lo, hi] = r as [number, number];
    return lo + (hi - lo) * rng.next();
  };
  for (const e of spec) {
    const [name, o] = entryOf(e);
    switch (name) {
      case "normalize": {
        if (typeof o["mean"] === "number" && typeof o["std"] === "number") {
          ops.push({ kind: "normalize", scale: 1 / o["std"], offset: -o["mean"] / o["std"] });
        } else {
          const [lo, hi] = (o["range"] as [number, number] | undefined) ?? [0, 255];
          ops.push({ kind: "normalize", scale: 1 / (hi - lo), offset: -lo / (hi - lo) });
        }
        break;
      }
      case "gaussianNoise": {
        const fired = fires(o["p"]);
        const key = Math.floor(rng.next() * 4294967296) >>> 0;
        const mean = typeof o["mean"] === "number" ? o["mean"] : 0;
        if (fired) ops.push({ kind: "gaussianNoise", mean, std: o["std"] as number, key });
        break;
      }
      case "randomContrast": {
        const fired = fires(o["p"]);
        const factor = between(o["range"]);
        if (fired) ops.push({ kind: "contrast", factor });
        break;
      }
      case "randomGamma": {
        const fired = fires(o["p"]);
        const gamma = between(o["range"]);
        if (fired) ops.push({ kind: "gamma", gamma });
        break;
      }
      case "gaussianBlur": {
        const fired = fires(o["p"]);
        const s = o["sigma"] as number | [number, number, number];
        const sigma: [number, number, number] = typeof s === "number" ? [s, s, s] : [s[0], s[1], s[2]];
        if (fired) ops.push({ kind: "gaussianBlur", sigma });
        break;
      }
      case "binarize":
        ops.push({ kind: "binarize", threshold: o["threshold"] as number });
        break;
      case "nanToNum":
        ops.push({
          kind: "nanToNum",
          nan: typeof o["nan"] === "number" ? o["nan"] : 0,
          posinf: typeof o["posinf"] === "number" ? o["posinf"] : FLOAT32_MAX,
          neginf: typeof o["neginf"] === "number" ? o["neginf"] : -FLOAT32_MAX,
        });
        break;
      case "distance":
      case "signedDistance": {
        const clip = o["clip"] as [number, number] | undefined;
        const tanhScale = o["tanhScale"] as number | undefined;
        ops.push({
          kind: "distance",
          signed: name === "signedDistance",
          ...(clip === undefined ? {} : { clip: [clip[0], clip[1]] as const }),
          ...(tanhScale === undefined ? {} : { tanhScale }),
        });
        break;
      }
      case "custom": {
        const c = o as unknown as CustomOpOptions;
        const fired = fires(c.p);
        const params: [number, number, number, number] = [0, 0, 0, 0];
        (c.params ?? []).forEach((q, i) => {
          params[i] = typeof q === "number" ? q : between(q);
        });
        const source = customOpSource(c.name, c.wgsl, "custom");
        if (fired) ops.push({ kind: "custom", name: c.name, source, params, ...(c.cpu ? { cpu: c.cpu } : {}) });
        break;
      }
      default:
        throw new ArgumentError("valueTransforms", `names an unknown transform "${String(name)}"`);
    }
  }
  return ops;
}
