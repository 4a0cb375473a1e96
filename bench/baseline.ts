/**
 * The baselines the figures compare against, written the straightforward way:
 *
 * - {@link perVoxelCoordinates}: what the Python cellmap-data does per item and array: build the
 *   world coordinate of every output voxel (linspace per axis, meshgrid, rotate about the center),
 *   then convert to source voxels, and take the box the sample reads.
 * - {@link zarritaSample}: zarrita only: `zarr.get` of the source bounding box, then a per-voxel
 *   trilinear (or nearest) loop in JavaScript. Same conventions and pad rules as the library
 *   (docs/architecture.md), so its output can be checked against ours.
 * @module
 */
import * as zarr from "zarrita";
import type { Vec3 } from "../src/geometry/types.ts";

/** Where one level's voxels sit: voxel `i` has its center at `translation + i * scale`. */
export interface LevelGeom {
  scale: Readonly<Vec3>;
  translation: Readonly<Vec3>;
  shape: Readonly<Vec3>;
}

/** Per-voxel source coordinates of one sample of one array (z, y, x planes of `prod(shape)`). */
export interface VoxelCoordinates {
  z: Float64Array;
  y: Float64Array;
  x: Float64Array;
  lo: Vec3;
  hi: Vec3;
}

/**
 * Per-item coordinates the way the Python library builds them: world coordinates of every
 * output voxel (axis linspaces, meshgrid, augmentation about the center), then source voxel
 * coordinates of the level, and the bounding box.
 */
export function perVoxelCoordinates(level: LevelGeom, shape: Readonly<Vec3>, scale: Readonly<Vec3>, center: Readonly<Vec3>, augment: ArrayLike<number>): VoxelCoordinates {
  const [nz, ny, nx] = shape;
  const n = nz * ny * nx;
  // linspace per axis: world positions of output voxels before augmentation
  const axes = [0, 1, 2].map((k) => {
    const a = new Float64Array(shape[k]!);
    for (let i = 0; i < a.length; i++) a[i] = center[k]! + (i - (shape[k]! - 1) / 2) * scale[k]!;
    return a;
  });
  // meshgrid
  const gz = new Float64Array(n), gy = new Float64Array(n), gx = new Float64Array(n);
  let o = 0;
  for (let i = 0; i < nz; i++) for (let j = 0; j < ny; j++) for (let k = 0; k < nx; k++, o++) {
    gz[o] = axes[0]![i]!;
    gy[o] = axes[1]![j]!;
    gx[o] = axes[2]![k]!;
  }
  // rotate about the center, then world -> source voxel
  const z = new Float64Array(n), y = new Float64Array(n), x = new Float64Array(n);
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  const A = augment;
  for (let i = 0; i < n; i++) {
    const dz = gz[i]! - center[0], dy = gy[i]! - center[1], dx = gx[i]! - center[2];
    const pz = center[0] + A[0]! * dz + A[1]! * dy + A[2]! * dx;
    const py = center[1] + A[3]! * dz + A[4]! * dy + A[5]! * dx;
    const px = center[2] + A[6]! * dz + A[7]! * dy + A[8]! * dx;
    const vz = (pz - level.translation[0]) / level.scale[0];
    const vy = (py - level.translation[1]) / level.scale[1];
    const vx = (px - level.translation[2]) / level.scale[2];
    z[i] = vz;
    y[i] = vy;
    x[i] = vx;
    if (vz < lo[0]) lo[0] = vz;
    if (vz > hi[0]) hi[0] = vz;
    if (vy < lo[1]) lo[1] = vy;
    if (vy > hi[1]) hi[1] = vy;
    if (vx < lo[2]) lo[2] = vx;
    if (vx > hi[2]) hi[2] = vx;
  }
  return { z, y, x, lo, hi };
}

/** A zarrita array of one level, with its geometry. */
export interface ZarritaLevel {
  array: zarr.Array<zarr.DataType, zarr.Readable>;
  geom: LevelGeom;
}

/** Open a zarrita store for an http(s) URL or a local path. */
export async function zarritaStore(location: string): Promise<zarr.Readable> {
  if (/^https?:\/\//.test(location)) return new zarr.FetchStore(location);
  const { default: FileSystemStore } = await import("@zarrita/storage/fs");
  return new FileSystemStore(location);
}

/** Open one level's array with zarrita (the baseline reads nothing through the library). */
export async function openZarritaLevel(location: string, levelPath: string, geom: LevelGeom): Promise<ZarritaLevel> {
  const store = await zarritaStore(location);
  const array = await zarr.open(zarr.root(store).resolve(levelPath), { kind: "array" });
  return { array: array as zarr.Array<zarr.DataType, zarr.Readable>, geom };
}

/** Timings of one baseline sample, in ms. */
export interface BaselineTimes {
  get: number;
  interp: number;
}

/**
 * One sample, zarrita only: read the bounding box of the sample's source voxels with `zarr.get`,
 * then interpolate every output voxel in a JavaScript loop.
 *
 * @param out receives `prod(shape)` values
 * @returns time spent in `zarr.get` and in the loop
 */
export async function zarritaSample(
  level: ZarritaLevel,
  shape: Readonly<Vec3>,
  scale: Readonly<Vec3>,
  center: Readonly<Vec3>,
  augment: ArrayLike<number>,
  interp: "linear" | "nearest",
  pad: number,
  out: Float32Array,
): Promise<BaselineTimes> {
  const t0 = performance.now();
  const g = level.geom;
  const N = g.shape;
  const h = [(shape[0] - 1) / 2, (shape[1] - 1) / 2, (shape[2] - 1) / 2];
  // source position of output voxel j: v = (c + A ((j - h) s) - t) / S
  const M = new Float64Array(12);
  for (let r = 0; r < 3; r++) {
    let c = (center[r]! - g.translation[r]!) / g.scale[r]!;
    for (let k = 0; k < 3; k++) {
      M[r * 4 + k] = (augment[r * 3 + k]! * scale[k]!) / g.scale[r]!;
      c -= M[r * 4 + k]! * h[k]!;
    }
    M[r * 4 + 3] = c;
  }
  // bounding box from the 8 corners, clamped, one voxel of margin for the trilinear neighbour
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (const a of [0, shape[0] - 1]) for (const b of [0, shape[1] - 1]) for (const c of [0, shape[2] - 1]) {
    for (let r = 0; r < 3; r++) {
      const v = M[r * 4]! * a + M[r * 4 + 1]! * b + M[r * 4 + 2]! * c + M[r * 4 + 3]!;
      if (v < lo[r]!) lo[r] = v;
      if (v > hi[r]!) hi[r] = v;
    }
  }
  const b0 = [0, 1, 2].map((k) => Math.max(0, Math.floor(lo[k]!) - 1));
  const b1 = [0, 1, 2].map((k) => Math.min(N[k]! - 1, Math.ceil(hi[k]!) + 1));
  if (b0.some((v, k) => v > b1[k]!)) {
    out.fill(pad);
    return { get: performance.now() - t0, interp: 0 };
  }
  const box = await zarr.get(level.array, [zarr.slice(b0[0]!, b1[0]! + 1), zarr.slice(b0[1]!, b1[1]! + 1), zarr.slice(b0[2]!, b1[2]! + 1)]);
  const t1 = performance.now();
  const data = box.data as unknown as ArrayLike<number>;
  const [sz, sy] = [box.stride[0]!, box.stride[1]!];
  const at = (z: number, y: number, x: number) => data[(z - b0[0]!) * sz + (y - b0[1]!) * sy + (x - b0[2]!)]!;
  const [Nz, Ny, Nx] = N;
  let o = 0;
  for (let jz = 0; jz < shape[0]; jz++) for (let jy = 0; jy < shape[1]; jy++) for (let jx = 0; jx < shape[2]; jx++, o++) {
    const vz = M[0]! * jz + M[1]! * jy + M[2]! * jx + M[3]!;
    const vy = M[4]! * jz + M[5]! * jy + M[6]! * jx + M[7]!;
    const vx = M[8]! * jz + M[9]! * jy + M[10]! * jx + M[11]!;
    if (interp === "nearest") {
      if (vz < -0.5 || vz >= Nz - 0.5 || vy < -0.5 || vy >= Ny - 0.5 || vx < -0.5 || vx >= Nx - 0.5) {
        out[o] = pad;
        continue;
      }
      out[o] = at(Math.floor(vz + 0.5), Math.floor(vy + 0.5), Math.floor(vx + 0.5));
      continue;
    }
    if (vz < 0 || vz > Nz - 1 || vy < 0 || vy > Ny - 1 || vx < 0 || vx > Nx - 1) {
      out[o] = pad;
      continue;
    }
    const z0 = Math.floor(vz), y0 = Math.floor(vy), x0 = Math.floor(vx);
    const fz = vz - z0, fy = vy - y0, fx = vx - x0;
    const z1 = Math.min(z0 + 1, Nz - 1), y1 = Math.min(y0 + 1, Ny - 1), x1 = Math.min(x0 + 1, Nx - 1);
    const c00 = at(z0, y0, x0) * (1 - fx) + at(z0, y0, x1) * fx;
    const c01 = at(z0, y1, x0) * (1 - fx) + at(z0, y1, x1) * fx;
    const c10 = at(z1, y0, x0) * (1 - fx) + at(z1, y0, x1) * fx;
    const c11 = at(z1, y1, x0) * (1 - fx) + at(z1, y1, x1) * fx;
    out[o] = (c00 * (1 - fy) + c01 * fy) * (1 - fz) + (c10 * (1 - fy) + c11 * fy) * fz;
  }
  return { get: t1 - t0, interp: performance.now() - t1 };
}
