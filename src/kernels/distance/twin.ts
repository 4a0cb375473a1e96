/**
 * CPU twin of `distance.wgsl`: the exact Euclidean distance transform of one sample, in
 * world units, by the separable lower-envelope algorithm of Felzenszwalb and Huttenlocher
 * ("Distance Transforms of Sampled Functions", 2012), in float64.
 *
 * Definitions (shared with the shader):
 *
 * - a voxel is *foreground* when `x != 0`, *background* when `x == 0`, and unknown when NaN;
 *   unknown voxels are neither: no distance is measured to them, and they stay NaN;
 * - distances are between voxel centers, voxel `(i, j, k)` at `(i sz, j sy, k sx)` with
 *   `scale = [sz, sy, sx]`;
 * - `distance`: a foreground voxel gets the distance to the nearest background voxel, a
 *   background voxel 0 (`scipy.ndimage.distance_transform_edt(x != 0, sampling=scale)`);
 * - `signedDistance`: foreground as above (positive), background minus the distance to the
 *   nearest foreground voxel (negative), so the sign says inside (+) or outside (-);
 * - no voxel to measure to in the sample: +Inf (foreground) or -Inf (background);
 * - then `clip` bounds the value, and `tanhScale` maps it through `tanh(d / tanhScale)`.
 *
 * @example
 * ```ts
 * const mask = Float32Array.from([0, 1, 1, 1, 0]);
 * distanceTransformReference(mask, { shape: [1, 1, 5], scale: [1, 1, 2], signed: true });
 * // [-2, 2, 4, 2, -2]
 * ```
 * @module
 */

import { ArgumentError } from "../../errors.ts";
import type { DistanceTransformOptions } from "./contract.ts";

/**
 * One-dimensional squared distance along a line of `n` values `f` (squared distances so far;
 * `Infinity` where there is nothing), with spacing `s`: `d(q) = min_p s^2 (q - p)^2 + f(p)`.
 * Writes `d` into `out`; `v` and `z` are scratch of at least `n` and `n + 1` entries.
 */
export function lowerEnvelope1d(
  f: Float64Array,
  n: number,
  s: number,
  out: Float64Array,
  v: Int32Array,
  z: Float64Array,
): void {
  const w = s * s;
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f[q]!;
    if (fq === Infinity) continue;
    let b = -Infinity;
    while (k >= 0) {
      const p = v[k]!;
      // Where the parabolas from p and q meet.
      b = (fq - f[p]!) / (2 * w * (q - p)) + (q + p) / 2;
      if (k > 0 && b <= z[k]!) k--;
      else break;
    }
    k++;
    v[k] = q;
    z[k] = k === 0 ? -Infinity : b;
  }
  if (k < 0) {
    out.fill(Infinity, 0, n);
    return;
  }
  let j = 0;
  for (let q = 0; q < n; q++) {
    while (j < k && z[j + 1]! < q) j++;
    const p = v[j]!;
    out[q] = w * (q - p) * (q - p) + f[p]!;
  }
}

/**
 * Squared world distance from every voxel to the nearest voxel where `site(x)` holds
 * (`Infinity` when there is none): three 1D passes, z then y then x.
 */
export function squaredDistanceToSites(
  x: Float32Array,
  shape: readonly [number, number, number],
  scale: readonly [number, number, number],
  site: (x: number) => boolean,
): Float64Array {
  const [nz, ny, nx] = shape;
  const d = new Float64Array(nz * ny * nx);
  for (let i = 0; i < d.length; i++) d[i] = site(x[i]!) ? 0 : Infinity;
  const strides = [ny * nx, nx, 1];
  const longest = Math.max(nz, ny, nx);
  const line = new Float64Array(longest);
  const out = new Float64Array(longest);
  const v = new Int32Array(longest);
  const z = new Float64Array(longest + 1);
  for (let axis = 0; axis < 3; axis++) {
    const n = shape[axis]!;
    const stride = strides[axis]!;
    const lines = d.length / n;
    for (let l = 0; l < lines; l++) {
      const start = axis === 0 ? l : axis === 1 ? Math.floor(l / nx) * ny * nx + (l % nx) : l * nx;
      for (let i = 0; i < n; i++) line[i] = d[start + i * stride]!;
      lowerEnvelope1d(line, n, scale[axis]!, out, v, z);
      for (let i = 0; i < n; i++) d[start + i * stride] = out[i]!;
    }
  }
  return d;
}

/** `clip` then `tanh(d / tanhScale)`, on a signed distance (±Inf where nothing was found). */
export function finishDistance(d: number, clip: readonly [number, number] | undefined, tanhScale: number | undefined): number {
  let y = d;
  if (clip) y = Math.min(Math.max(y, clip[0]), clip[1]);
  if (tanhScale !== undefined) y = Math.tanh(y / tanhScale);
  return y;
}

/**
 * The distance transform of one sample, in place (`[z, y, x]` float32).
 *
 * @param x the sample's values: foreground `!= 0`, background `0`, unknown NaN
 * @param options shape, voxel size, signed or not, clip and tanh scale
 * @returns `x`
 * @throws {ArgumentError} when `x` does not hold `shape`'s voxels or `scale` is not positive
 */
export function distanceTransformReference(x: Float32Array, options: DistanceTransformOptions): Float32Array {
  const { shape, scale, signed, clip, tanhScale } = options;
  const voxels = shape[0] * shape[1] * shape[2];
  if (x.length !== voxels) throw new ArgumentError("data", `must hold z * y * x = ${voxels} values`, x.length);
  if (scale.length !== 3 || !scale.every((s) => Number.isFinite(s) && s > 0)) {
    throw new ArgumentError("scale", "must be 3 positive voxel sizes (z, y, x)", scale);
  }
  const toBackground = squaredDistanceToSites(x, shape, scale, (v) => v === 0);
  const toForeground = signed ? squaredDistanceToSites(x, shape, scale, (v) => v !== 0 && !Number.isNaN(v)) : undefined;
  for (let i = 0; i < voxels; i++) {
    const v = x[i]!;
    if (Number.isNaN(v)) continue;
    const d = v !== 0 ? Math.sqrt(toBackground[i]!) : toForeground ? -Math.sqrt(toForeground[i]!) : 0;
    x[i] = finishDistance(d, clip, tanhScale);
  }
  return x;
}
