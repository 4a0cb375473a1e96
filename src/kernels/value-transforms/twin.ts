/**
 * CPU twin of `value-transforms.wgsl`: applies per-sample {@link ValueOp}s in place on a
 * `[batch, z, y, x]` float32 array, op by op, rounding to float32 after every op as the GPU
 * stores it. The noise comes from the same counter-based hash as the shader
 * ({@link noiseKey}, {@link standardNormalAt}), so GPU and CPU agree to float tolerance whatever
 * the dispatch order.
 *
 * @example
 * ```ts
 * const data = new Float32Array(2 * 8 * 8 * 8).fill(128);
 * applyValueOpsReference(data, {
 *   batch: 2, shape: [8, 8, 8], seed: 7,
 *   ops: [[{ kind: "normalize", scale: 1 / 255, offset: 0 }], []],
 * });
 * ```
 * @module
 */

import { ArgumentError } from "../../errors.ts";
import { distanceTransformReference } from "../distance/twin.ts";
import { gaussianKernel, type ValueOp, type ValueOpsOptions } from "./contract.ts";

const f32 = Math.fround;

/** The 32-bit integer hash "lowbias32" (C. Wellons); the WGSL `hash` is the same function. */
export function hashU32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** The noise stream of one (seed, batch item, op key): `hash(hash(hash(seed) ^ sample) ^ key)`. */
export function noiseKey(seed: number, sample: number, key: number): number {
  return hashU32((hashU32((hashU32(seed >>> 0) ^ sample) >>> 0) ^ key) >>> 0);
}

/** A scratch float32 word and its bits, for {@link lnF32}. */
const WORD = new ArrayBuffer(4);
const F32_WORD = new Float32Array(WORD);
const U32_WORD = new Uint32Array(WORD);

/**
 * `ln(u)` for `u > 0` in float32 steps, from the exponent and the series
 * `2 (s + s^3/3 + s^5/5 + s^7/7 + s^9/9)`, `s = (m - 1) / (m + 1)`, `m` in [0.707, 1.414): the
 * shader's `lnPoly`, which avoids the driver's `log` (accurate to only 2^-21 absolute).
 */
export function lnF32(u: number): number {
  // One float32 seen as its bits and back, through a scratch word of this thread (no allocation).
  F32_WORD[0] = u;
  const bits = U32_WORD[0]!;
  let e = ((bits >>> 23) & 0xff) - 127;
  U32_WORD[0] = (bits & 0x7fffff) | 0x3f800000;
  let m = F32_WORD[0]!;
  if (m > f32(Math.SQRT2)) {
    m *= 0.5;
    e += 1;
  }
  const s = f32(f32(m - 1) / f32(m + 1));
  const s2 = f32(s * s);
  const p = f32(s2 * f32(f32(1 / 3) + s2 * f32(0.2 + s2 * f32(f32(1 / 7) + s2 * f32(1 / 9)))));
  return f32(f32(e * f32(Math.LN2)) + f32(2 * s + f32(2 * s * p)));
}

/**
 * The standard normal value of voxel `v` (index within the sample) of a noise stream, by
 * Marsaglia's polar method: attempt `k` hashes `h = hash(key ^ (hash(v) + k * 0x9e3779b9))`, takes
 * the point `((h >> 16) - 32768, (h & 0xffff) - 32768) / 32768`, and accepts it when it lies in
 * the unit disk (an exact integer test, so GPU and CPU always accept the same attempt); then
 * `z = v1 * sqrt(-2 ln s / s)`. After 16 rejections (probability 2e-11) `z = 0`.
 */
export function standardNormalAt(key: number, v: number): number {
  const c = hashU32(v >>> 0);
  for (let k = 0; k < 16; k++) {
    const h = hashU32((key ^ ((c + Math.imul(k, 0x9e3779b9)) >>> 0)) >>> 0);
    const i1 = (h >>> 16) - 32768;
    const i2 = (h & 0xffff) - 32768;
    const r2 = i1 * i1 + i2 * i2;
    if (r2 > 0 && r2 < 0x40000000) {
      const s = f32(r2) / 1073741824;
      return f32(f32(i1 / 32768) * f32(Math.sqrt(f32(f32(-2 * lnF32(s)) / s))));
    }
  }
  return 0;
}

/** scipy's "reflect" (half-sample symmetric, `d c b a | a b c d`), repeated for any `i`. */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n;
  const m = ((i % period) + period) % period;
  return m < n ? m : period - 1 - m;
}

/** True for +-Inf and NaN. */
const nonFinite = (x: number): boolean => !Number.isFinite(x);

/**
 * Apply the ops of every sample in place, on the CPU.
 *
 * @param data `[batch, z, y, x]` C-order float32 values
 * @param options batch, per-sample shape, per-sample ops and the noise seed
 * @returns `data`
 * @throws {ArgumentError} when `data`, `batch`, `shape` and `ops` disagree
 */
export function applyValueOpsReference(data: Float32Array, options: ValueOpsOptions): Float32Array {
  const { batch, shape, ops } = options;
  const voxels = shape[0] * shape[1] * shape[2];
  if (ops.length !== batch) throw new ArgumentError("ops", `must hold one list per sample (${batch})`, ops.length);
  if (data.length !== batch * voxels) {
    throw new ArgumentError("data", `must hold batch * z * y * x = ${batch * voxels} values`, data.length);
  }
  const seed = options.seed >>> 0;
  const scale = options.scale ?? [1, 1, 1];
  ops.forEach((list, b) =>
    list.forEach((op, i) => {
      if (op.kind === "custom" && typeof op.cpu !== "function") {
        throw new ArgumentError(`ops[${b}][${i}].cpu`, `is required to run custom op "${op.name}" on the CPU`);
      }
    }),
  );
  for (let b = 0; b < batch; b++) applySampleOps(data.subarray(b * voxels, (b + 1) * voxels), ops[b]!, shape, seed, b, scale);
  return data;
}

/**
 * One sample's ops, in place: what {@link applyValueOpsReference} does for sample `b` of its
 * batch (the noise of sample `b` is drawn from `seed` and `b`), so samples done apart, in any
 * order or thread, give the batch's bits.
 */
export function applySampleOps(
  x: Float32Array,
  ops: readonly ValueOp[],
  shape: readonly [number, number, number],
  seed: number,
  b: number,
  scale: readonly [number, number, number] = [1, 1, 1],
): Float32Array {
  for (const op of ops) applyOp(x, op, shape, seed >>> 0, b, scale);
  return x;
}

function applyOp(
  x: Float32Array,
  op: ValueOp,
  shape: readonly [number, number, number],
  seed: number,
  b: number,
  scale: readonly [number, number, number],
): void {
  const n = x.length;
  switch (op.kind) {
    case "distance": {
      distanceTransformReference(x, {
        shape,
        scale,
        signed: op.signed,
        ...(op.clip ? { clip: op.clip } : {}),
        ...(op.tanhScale === undefined ? {} : { tanhScale: op.tanhScale }),
      });
      return;
    }
    case "custom": {
      const cpu = op.cpu!;
      const p = op.params.map(f32);
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        if (!Number.isNaN(v)) x[i] = cpu(v, p);
      }
      return;
    }
    case "normalize": {
      const s = f32(op.scale);
      const o = f32(op.offset);
      for (let i = 0; i < n; i++) x[i] = x[i]! * s + o;
      return;
    }
    case "gaussianNoise": {
      const k = noiseKey(seed, b, op.key >>> 0);
      const m = f32(op.mean);
      const s = f32(op.std);
      for (let i = 0; i < n; i++) x[i] = x[i]! + (m + s * standardNormalAt(k, i));
      return;
    }
    case "contrast": {
      let sum = 0;
      let count = 0;
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        if (!nonFinite(v)) {
          sum += v;
          count++;
        }
      }
      const m = f32(count > 0 ? sum / count : 0);
      const f = f32(op.factor);
      for (let i = 0; i < n; i++) x[i] = m + f * (x[i]! - m);
      return;
    }
    case "gamma": {
      const g = f32(op.gamma);
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        x[i] = Number.isNaN(v) ? v : Math.sign(v) * Math.abs(v) ** g;
      }
      return;
    }
    case "binarize": {
      const t = f32(op.threshold);
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        x[i] = Number.isNaN(v) ? v : v > t ? 1 : 0;
      }
      return;
    }
    case "nanToNum": {
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        if (Number.isNaN(v)) x[i] = op.nan;
        else if (v === Infinity) x[i] = op.posinf;
        else if (v === -Infinity) x[i] = op.neginf;
      }
      return;
    }
    case "gaussianBlur": {
      for (let axis = 0; axis < 3; axis++) {
        const sigma = op.sigma[axis]!;
        if (sigma > 0) blurAxis(x, shape, axis, gaussianKernel(sigma));
      }
      return;
    }
  }
}

/** One separable pass along `axis` (0 z, 1 y, 2 x), accumulated in float64, stored as float32. */
function blurAxis(x: Float32Array, shape: readonly [number, number, number], axis: number, w: Float64Array): void {
  const [nz, ny, nx] = shape;
  const strides = [ny * nx, nx, 1];
  const n = shape[axis]!;
  const stride = strides[axis]!;
  const r = (w.length - 1) / 2;
  const line = new Float64Array(n);
  const lines = (nz * ny * nx) / n;
  for (let l = 0; l < lines; l++) {
    // The start of line l: enumerate the other two axes in C order.
    let start: number;
    if (axis === 0) start = l;
    else if (axis === 1) start = Math.floor(l / nx) * ny * nx + (l % nx);
    else start = l * nx;
    for (let i = 0; i < n; i++) line[i] = x[start + i * stride]!;
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let t = -r; t <= r; t++) acc += w[t + r]! * line[reflectIndex(i + t, n)]!;
      x[start + i * stride] = acc;
    }
  }
}
