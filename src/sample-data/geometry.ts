/**
 * Signed distance functions and profiles for drawing the sample scene. Points and sizes are in
 * world nanometers, vectors are `[z, y, x]`. Negative distance means inside.
 * @module
 */
import type { ReadonlyVec3 } from "../geometry/types.ts";

/** A point or direction, z, y, x. */
export type Vec3 = ReadonlyVec3;

/** Hermite step from 0 at `a` to 1 at `b`. */
export function smoothstep(a: number, b: number, x: number): number {
  const t = x <= a ? 0 : x >= b ? 1 : (x - a) / (b - a);
  return t * t * (3 - 2 * t);
}

/** A membrane profile: 1 within `core` of 0, falling to 0 at `core + soft`. */
export function band(x: number, core = 3, soft = 3): number {
  return 1 - smoothstep(core, core + soft, x < 0 ? -x : x);
}

/** Linear blend from `a` (t = 0) to `b` (t = 1). */
export function mix(a: number, b: number, t: number): number {
  return a + (b - a) * t;
}

/** Approximate signed distance to an axis-aligned ellipsoid centered at the origin. */
export function ellipsoidSd(z: number, y: number, x: number, r: Vec3): number {
  const az = z / r[0];
  const ay = y / r[1];
  const ax = x / r[2];
  const k0 = Math.sqrt(az * az + ay * ay + ax * ax);
  const bz = az / r[0];
  const by = ay / r[1];
  const bx = ax / r[2];
  const k1 = Math.sqrt(bz * bz + by * by + bx * bx);
  if (k1 === 0) return -Math.min(r[0], r[1], r[2]);
  return (k0 * (k0 - 1)) / k1;
}

/** Unit vector along `v`. */
export function normalize(v: Vec3): Vec3 {
  const n = Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}

/** Cross product. */
export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** Dot product. */
export function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/** Two unit vectors perpendicular to unit `n` and to each other. */
export function frameOf(n: Vec3): [Vec3, Vec3] {
  const helper: Vec3 = Math.abs(n[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const u = normalize(cross(n, helper));
  return [u, cross(n, u)];
}

/** Distance between two points. */
export function distance(a: Vec3, b: Vec3): number {
  const dz = a[0] - b[0];
  const dy = a[1] - b[1];
  const dx = a[2] - b[2];
  return Math.sqrt(dz * dz + dy * dy + dx * dx);
}

/** Closest distance between segments [a0, a1] and [b0, b1] (sampled, good to ~1% of length). */
export function segmentDistance(a0: Vec3, a1: Vec3, b0: Vec3, b1: Vec3): number {
  let best = Infinity;
  for (let i = 0; i <= 16; i++) {
    const t = i / 16;
    const p: Vec3 = [a0[0] + (a1[0] - a0[0]) * t, a0[1] + (a1[1] - a0[1]) * t, a0[2] + (a1[2] - a0[2]) * t];
    best = Math.min(best, pointSegmentDistance(p, b0, b1));
  }
  return best;
}

/** Distance from `p` to segment [a, b]. */
export function pointSegmentDistance(p: Vec3, a: Vec3, b: Vec3): number {
  const abz = b[0] - a[0];
  const aby = b[1] - a[1];
  const abx = b[2] - a[2];
  const len2 = abz * abz + aby * aby + abx * abx;
  let t = len2 === 0 ? 0 : ((p[0] - a[0]) * abz + (p[1] - a[1]) * aby + (p[2] - a[2]) * abx) / len2;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const dz = p[0] - a[0] - abz * t;
  const dy = p[1] - a[1] - aby * t;
  const dx = p[2] - a[2] - abx * t;
  return Math.sqrt(dz * dz + dy * dy + dx * dx);
}
