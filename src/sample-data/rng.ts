/**
 * Deterministic randomness for the sample dataset: a seeded generator for placing objects and
 * position hashes for texture and noise. Only integer ops and IEEE +, -, *, /, sqrt are used (no
 * `Math.sin`/`Math.exp`, whose last bits differ between engines), so a seed gives the same bytes
 * in every runtime.
 * @module
 */

/** A seeded uniform generator on [0, 1) (mulberry32). */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Hash of an integer lattice point and a seed, uniform on [0, 1). */
export function hash3(x: number, y: number, z: number, seed: number): number {
  let h = seed ^ Math.imul(x | 0, 0x27d4eb2d) ^ Math.imul(y | 0, 0x165667b1) ^ Math.imul(z | 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** Smooth value noise on [0, 1] with unit lattice spacing (scale the inputs to set its size). */
export function valueNoise(x: number, y: number, z: number, seed: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const z0 = Math.floor(z);
  const fx = x - x0;
  const fy = y - y0;
  const fz = z - z0;
  const u = fx * fx * (3 - 2 * fx);
  const v = fy * fy * (3 - 2 * fy);
  const w = fz * fz * (3 - 2 * fz);
  const c000 = hash3(x0, y0, z0, seed);
  const c100 = hash3(x0 + 1, y0, z0, seed);
  const c010 = hash3(x0, y0 + 1, z0, seed);
  const c110 = hash3(x0 + 1, y0 + 1, z0, seed);
  const c001 = hash3(x0, y0, z0 + 1, seed);
  const c101 = hash3(x0 + 1, y0, z0 + 1, seed);
  const c011 = hash3(x0, y0 + 1, z0 + 1, seed);
  const c111 = hash3(x0 + 1, y0 + 1, z0 + 1, seed);
  const a = c000 + (c100 - c000) * u;
  const b = c010 + (c110 - c010) * u;
  const c = c001 + (c101 - c001) * u;
  const d = c011 + (c111 - c011) * u;
  const e = a + (b - a) * v;
  const f = c + (d - c) * v;
  return e + (f - e) * w;
}

/** Approximately standard-normal noise for an integer lattice point (sum of four uniforms). */
export function gaussianNoise(x: number, y: number, z: number, seed: number): number {
  const s = hash3(x, y, z, seed) + hash3(x, y, z, seed ^ 0x5bd1e995) + hash3(x, y, z, seed ^ 0x1b873593) +
    hash3(x, y, z, seed ^ 0x68e31da4);
  return (s - 2) * 1.7320508075688772;
}

const TWO_PI = 6.283185307179586;
const HALF_PI = 1.5707963267948966;

/** sin(x) from a polynomial (error < 1e-7), bit-identical across JavaScript engines. */
export function sinDet(x: number): number {
  let r = x - Math.round(x / TWO_PI) * TWO_PI;
  if (r > HALF_PI) r = Math.PI - r;
  else if (r < -HALF_PI) r = -Math.PI - r;
  const r2 = r * r;
  return r * (1 + r2 * (-1 / 6 + r2 * (1 / 120 + r2 * (-1 / 5040 + r2 * (1 / 362880 + r2 * (-1 / 39916800))))));
}

/** cos(x) through {@link sinDet}. */
export function cosDet(x: number): number {
  return sinDet(x + HALF_PI);
}

/**
 * Value noise precomputed on a lattice of spacing `cell` over a box: the same smooth field as
 * {@link valueNoise} at `p / cell`, but sampled from a table (several times faster per voxel).
 */
export interface NoiseField {
  readonly data: Float32Array;
  readonly dims: readonly [number, number, number];
  readonly origin: readonly [number, number, number];
  readonly inv: number;
}

/** Build a {@link NoiseField} covering world box [min, max] (points outside are clamped). */
export function createNoiseField(seed: number, cell: number, min: readonly number[], max: readonly number[]): NoiseField {
  const inv = 1 / cell;
  const origin: [number, number, number] = [0, 0, 0];
  const dims: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    origin[i] = Math.floor(min[i]! * inv) - 1;
    dims[i] = Math.floor(max[i]! * inv) + 2 - origin[i]! + 1;
  }
  const data = new Float32Array(dims[0] * dims[1] * dims[2]);
  let n = 0;
  for (let a = 0; a < dims[0]; a++) {
    for (let b = 0; b < dims[1]; b++) {
      for (let c = 0; c < dims[2]; c++) data[n++] = hash3(origin[2] + c, origin[1] + b, origin[0] + a, seed);
    }
  }
  return { data, dims, origin, inv };
}

/** Sample a {@link NoiseField} at world point (z, y, x); smooth, on [0, 1]. */
export function sampleNoise(f: NoiseField, z: number, y: number, x: number): number {
  const [nz, ny, nx] = f.dims;
  let gz = z * f.inv - f.origin[0];
  let gy = y * f.inv - f.origin[1];
  let gx = x * f.inv - f.origin[2];
  gz = gz < 0 ? 0 : gz > nz - 1.000001 ? nz - 1.000001 : gz;
  gy = gy < 0 ? 0 : gy > ny - 1.000001 ? ny - 1.000001 : gy;
  gx = gx < 0 ? 0 : gx > nx - 1.000001 ? nx - 1.000001 : gx;
  const iz = Math.floor(gz);
  const iy = Math.floor(gy);
  const ix = Math.floor(gx);
  const fz = gz - iz;
  const fy = gy - iy;
  const fx = gx - ix;
  const w = fz * fz * (3 - 2 * fz);
  const v = fy * fy * (3 - 2 * fy);
  const u = fx * fx * (3 - 2 * fx);
  const d = f.data;
  const i000 = (iz * ny + iy) * nx + ix;
  const i010 = i000 + nx;
  const i100 = i000 + ny * nx;
  const i110 = i100 + nx;
  const a = d[i000]! + (d[i000 + 1]! - d[i000]!) * u;
  const b = d[i010]! + (d[i010 + 1]! - d[i010]!) * u;
  const c = d[i100]! + (d[i100 + 1]! - d[i100]!) * u;
  const e = d[i110]! + (d[i110 + 1]! - d[i110]!) * u;
  const p = a + (b - a) * v;
  const q = c + (e - c) * v;
  return p + (q - p) * w;
}
