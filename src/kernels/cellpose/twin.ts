/**
 * CPU twin of `cellpose.wgsl`: cellpose flow targets. Every object of a label volume gets
 * a heat source at its center voxel; heat diffuses inside the object only, and the normalized
 * gradient of the heat is the flow `(z, y, x)` at each of the object's voxels, pointing towards
 * the center. This is cellpose's `masks_to_flows_gpu_3d`, which the Python cellmap-data's
 * `CellposeFlow` calls:
 *
 * 1. objects: `mode: "binary"` (default) takes the voxels `> 0` and makes each face-connected
 *    component one object; `mode: "instances"` reads object ids (`> 0`), and face-connected voxels
 *    of the same id form one object;
 * 2. center: the object's voxel nearest to the mean of its voxel positions (the mean rounded down
 *    to `2^-bits` voxel, exact integer arithmetic; ties go to the lowest C-order index);
 * 3. heat: `iterations` Jacobi steps, each adding 1 at every center, then replacing every object
 *    voxel by the sum of itself and its face neighbors in the same object, divided by 7
 *    (neighbors elsewhere count 0). Default `iterations`: `6 * sum over axes of (the foreground's
 *    bounding-box extent + 1)`, per volume;
 * 4. flow: the central differences of the heat, neighbors outside the object counting 0,
 *    normalized to unit length (0 where the gradient is 0). Background voxels get 0; NaN voxels
 *    (unknown) get NaN in all three channels.
 *
 * A 2D shape `[h, w]` gives cellpose's 2D variant (`masks_to_flows_gpu`, Python's
 * `CellposeFlow(ndim=2)`): objects are edge-connected pixels (4-neighborhood), each Jacobi step
 * replaces a pixel by the mean of its 3x3 neighborhood (itself, its 4 edge neighbors and its 4
 * diagonal neighbors, those outside the object counting 0, divided by 9), the default
 * `iterations` is `2 * sum over axes of (the foreground's bounding-box extent + 1)`, and the flows
 * are `[2, h, w]`: the row (y) and column (x) components.
 *
 * Heat is float32 with subnormals flushed to 0, summed in a fixed order, so the GPU and this twin
 * compute identical heat; the flows agree to float32 rounding.
 *
 * @example
 * ```ts
 * const labels = new Float32Array(8 * 8 * 8);                 // [z, y, x]
 * labels.fill(1, 2 * 64, 6 * 64);                             // a slab of foreground
 * const flows = cellposeFlowsReference(labels, { batch: 1, shape: [8, 8, 8] });
 * // flows: [1, 3, 8, 8, 8]; channel 0 is the z component
 * const disk = new Float32Array(16 * 16);                     // [y, x]
 * const flows2d = cellposeFlowsReference(disk, { batch: 1, shape: [16, 16] });
 * // flows2d: [1, 2, 16, 16]; channel 0 is the y component
 * ```
 * @module
 */

import { ArgumentError } from "../../errors.ts";
import { type CellposeFlowOptions, type CellposeLayout, type CellposePlan, planCellpose } from "./contract.ts";

/** float32 1/7, the diffusion's averaging weight. */
export const INV7 = Math.fround(1 / 7);
/** float32 1/9, the 2D diffusion's averaging weight. */
export const INV9 = Math.fround(1 / 9);
/** The smallest normal float32, 2^-126: smaller heat is flushed to 0. */
export const MIN_NORMAL = 2 ** -126;


/** `floor(sum * 2^bits / n)` for integers `sum < 2^53`, `n >= 1`, exactly. */
export function fixedPointMean(sum: number, n: number, bits: number): number {
  const q = Math.floor(sum / n);
  const r = sum - q * n;
  return q * 2 ** bits + Math.floor((r * 2 ** bits) / n);
}

/** Options of {@link cellposeFlowsReference}: the flow options, and where the flows go. */
export interface CellposeReferenceOptions extends CellposeFlowOptions {
  /** Write the flows into this array (from `outOffset`) instead of a new one; every value of the flows' span is written. */
  readonly out?: Float32Array;
  /** Where the flows start in `out` (elements). Default 0. */
  readonly outOffset?: number;
}

/**
 * Cellpose flows of channel `layout.channel` of `labels` (`[batch, channels, z, y, x]`, or
 * `[batch, channels, y, x]` for a 2D `shape`). Each sample's flows depend on its own labels
 * only: a batch gives the bits of its samples computed one at a time.
 *
 * @param labels f32 labels, `batch * channels * z * y * x` values
 * @param layout batch, channels, the channel to read, and the shape (3D, or 2D `[h, w]`)
 * @param options object mode and iteration count; `out` and `outOffset` to write in place
 * @returns f32 flows `[batch, 3, z, y, x]`, channels (z, y, x); for a 2D shape
 *   `[batch, 2, y, x]`, channels (y, x): a new array, or the span of `out` written
 * @throws {ArgumentError} naming the bad field
 * @example
 * ```ts
 * const flows = cellposeFlowsReference(labels, { batch: 2, channels: 1, channel: 0, shape: [16, 16, 16] });
 * // the second sample alone, written in place:
 * cellposeFlowsReference(labels.subarray(V, 2 * V), { batch: 1, shape: [16, 16, 16] }, { out: flows, outOffset: 3 * V });
 * ```
 */
export function cellposeFlowsReference(
  labels: Float32Array,
  layout: CellposeLayout,
  options: CellposeReferenceOptions = {},
): Float32Array {
  const plan = planCellpose(layout, options);
  const V = plan.voxels;
  const { batch, channels, channel } = plan;
  if (!(labels instanceof Float32Array) || labels.length !== batch * channels * V) {
    throw new ArgumentError("labels", `must be a Float32Array of ${batch * channels * V} values`, labels?.length);
  }
  const C = plan.ndim;
  const n = batch * C * V;
  const at = options.outOffset ?? 0;
  if (options.out !== undefined && !(options.out instanceof Float32Array)) throw new ArgumentError("out", "must be a Float32Array", options.out);
  if (!Number.isInteger(at) || at < 0 || (options.out === undefined ? at !== 0 : at + n > options.out.length)) {
    throw new ArgumentError("outOffset", `must place ${n} flow values inside out (${options.out?.length ?? "none given"} values)`, at);
  }
  const out = options.out === undefined ? new Float32Array(n) : options.out.subarray(at, at + n);
  for (let b = 0; b < batch; b++) {
    const start = (b * channels + channel) * V;
    volumeFlows(labels.subarray(start, start + V), plan, out.subarray(b * C * V, (b + 1) * C * V));
  }
  return out;
}

/** The six face neighbors of voxel `i` in the order +z, -z, +y, -y, +x, -x (-1 outside). */
function neighbors(i: number, shape: readonly [number, number, number], dst: Int32Array): void {
  const [, Y, X] = shape;
  const x = i % X;
  const y = Math.floor(i / X) % Y;
  const z = Math.floor(i / (X * Y));
  dst[0] = z + 1 < shape[0] ? i + X * Y : -1;
  dst[1] = z > 0 ? i - X * Y : -1;
  dst[2] = y + 1 < Y ? i + X : -1;
  dst[3] = y > 0 ? i - X : -1;
  dst[4] = x + 1 < X ? i + 1 : -1;
  dst[5] = x > 0 ? i - 1 : -1;
}

/**
 * The 3x3 neighbors of pixel `i` of a `[1, h, w]` image in cellpose's order (dy, dx): (-1, 0),
 * (+1, 0), (0, -1), (0, +1), (-1, -1), (-1, +1), (+1, -1), (+1, +1) (-1 outside).
 */
function planarNeighbors(i: number, shape: readonly [number, number, number], dst: Int32Array): void {
  const [, Y, X] = shape;
  const x = i % X;
  const y = Math.floor(i / X);
  let k = 0;
  for (const [dy, dx] of PLANAR_STENCIL) {
    const yy = y + dy;
    const xx = x + dx;
    dst[k++] = yy >= 0 && yy < Y && xx >= 0 && xx < X ? yy * X + xx : -1;
  }
}

const PLANAR_STENCIL: readonly (readonly [number, number])[] = [[-1, 0], [1, 0], [0, -1], [0, 1], [-1, -1], [-1, 1], [1, -1], [1, 1]];

/** Objects as the lowest index of each voxel's face-connected object (-1 for background). */
function objects(labels: Float32Array, plan: CellposePlan): Int32Array {
  const V = plan.voxels;
  const comp = new Int32Array(V).fill(-1);
  const nb = new Int32Array(6);
  const stack: number[] = [];
  for (let s = 0; s < V; s++) {
    if (!(labels[s]! > 0) || comp[s]! >= 0) continue;
    comp[s] = s;
    stack.push(s);
    while (stack.length > 0) {
      const i = stack.pop()!;
      neighbors(i, plan.shape, nb);
      for (const j of nb) {
        if (j < 0 || comp[j]! >= 0 || !(labels[j]! > 0)) continue;
        if (plan.mode === 1 && labels[j] !== labels[i]) continue;
        comp[j] = s;
        stack.push(j);
      }
    }
  }
  return comp;
}

function volumeFlows(labels: Float32Array, plan: CellposePlan, out: Float32Array): void {
  const V = plan.voxels;
  const [, Y, X] = plan.shape;
  const comp = objects(labels, plan);
  const coord = (i: number): [number, number, number] => [Math.floor(i / (X * Y)), Math.floor(i / X) % Y, i % X];

  // Centers: the voxel nearest to the fixed-point mean, ties to the lowest index.
  const sums = new Map<number, [number, number, number, number]>();
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < V; i++) {
    const r = comp[i]!;
    if (r < 0) continue;
    const p = coord(i);
    const s = sums.get(r) ?? [0, 0, 0, 0];
    for (let a = 0; a < 3; a++) {
      s[a]! += p[a]!;
      lo[a] = Math.min(lo[a]!, p[a]!);
      hi[a] = Math.max(hi[a]!, p[a]!);
    }
    s[3]++;
    sums.set(r, s);
  }
  const means = new Map<number, number[]>();
  for (const [r, s] of sums) means.set(r, [0, 1, 2].map((a) => fixedPointMean(s[a]!, s[3], plan.bits)));
  const best = new Map<number, { key: number; index: number }>();
  for (let i = 0; i < V; i++) {
    const r = comp[i]!;
    if (r < 0) continue;
    const p = coord(i);
    const m = means.get(r)!;
    const key = [0, 1, 2].reduce((k, a) => k + (p[a]! * 2 ** plan.bits - m[a]!) ** 2, 0);
    const b = best.get(r);
    if (b === undefined || key < b.key) best.set(r, { key, index: i });
  }
  const isCenter = new Uint8Array(V);
  for (const b of best.values()) isCenter[b.index] = 1;

  // Heat: Jacobi steps in float32, a fixed summation order, subnormals flushed.
  const planar = plan.ndim === 2;
  const iterations = plan.iterations > 0
    ? plan.iterations
    : sums.size === 0
    ? 0
    : planar
    ? 2 * (hi[1]! - lo[1]! + hi[2]! - lo[2]! + 4)
    : 6 * (hi[0]! - lo[0]! + hi[1]! - lo[1]! + hi[2]! - lo[2]! + 6);
  const stencil = planar ? new Int32Array(8) : new Int32Array(6);
  const around = planar ? (i: number) => planarNeighbors(i, plan.shape, stencil) : (i: number) => neighbors(i, plan.shape, stencil);
  const weight = planar ? INV9 : INV7;
  let src = new Float32Array(V);
  let dst = new Float32Array(V);
  const nb = new Int32Array(6);
  const heat = (t: Float32Array, j: number) => (isCenter[j] === 1 ? Math.fround(t[j]! + 1) : t[j]!);
  for (let it = 0; it < iterations; it++) {
    for (let i = 0; i < V; i++) {
      const r = comp[i]!;
      if (r < 0) continue;
      let s = heat(src, i);
      around(i);
      for (const j of stencil) if (j >= 0 && comp[j] === r) s = Math.fround(s + heat(src, j));
      const t = Math.fround(s * weight);
      dst[i] = t < MIN_NORMAL ? 0 : t;
    }
    [src, dst] = [dst, src];
  }

  // Flows: central differences inside the object, normalized.
  for (let i = 0; i < V; i++) {
    const r = comp[i]!;
    if (r < 0) {
      const v = Number.isNaN(labels[i]!) ? NaN : 0;
      for (let c = 0; c < plan.ndim; c++) out[c * V + i] = v;
      continue;
    }
    neighbors(i, plan.shape, nb);
    const at = (k: number) => {
      const j = nb[k]!;
      return j >= 0 && comp[j] === r ? src[j]! : 0;
    };
    const d = [Math.fround(at(0) - at(1)), Math.fround(at(2) - at(3)), Math.fround(at(4) - at(5))];
    const f = normalize(d);
    if (planar) {
      out[i] = f[1]!;
      out[V + i] = f[2]!;
    } else {
      out[i] = f[0]!;
      out[V + i] = f[1]!;
      out[2 * V + i] = f[2]!;
    }
  }
}

/** `d / |d|` in float32, scaled by the largest component first so tiny gradients do not underflow. */
function normalize(d: number[]): number[] {
  const m = Math.max(Math.abs(d[0]!), Math.abs(d[1]!), Math.abs(d[2]!));
  if (m === 0) return [0, 0, 0];
  const u = d.map((c) => Math.fround(c / m));
  const len = Math.fround(Math.sqrt(Math.fround(Math.fround(u[0]! * u[0]! + u[1]! * u[1]!) + u[2]! * u[2]!)));
  return u.map((c) => Math.fround(c / len));
}
