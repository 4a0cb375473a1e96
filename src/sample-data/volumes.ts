/**
 * Rasterise the sample scene onto voxel grids and build the pyramids: the raw volume (uint8,
 * averaged 2x per level) and per-class 0/1 label volumes (2x majority per level, ties present).
 * @module
 */

import type { Grid } from "./layout.ts";
import { type Hit, locate, type Scene } from "./scene.ts";
import { addNoise, createShader } from "./shade.ts";

/** A C-order uint8 volume and its shape. */
export interface Volume {
  readonly data: Uint8Array;
  readonly shape: readonly [number, number, number];
}

function shape3(grid: Grid): [number, number, number] {
  return [grid.shape[0]!, grid.shape[1]!, grid.shape[2]!];
}

/**
 * Render the raw intensities at the voxel centers of `grid`.
 * @param onSlice called after each z slice with (done, total)
 */
export function renderRaw(scene: Scene, grid: Grid, onSlice?: (done: number, total: number) => void): Volume {
  const [nz, ny, nx] = shape3(grid);
  const data = new Uint8Array(nz * ny * nx);
  const [sz, sy, sx] = grid.scale as [number, number, number];
  const [tz, ty, tx] = grid.translation as [number, number, number];
  const shade = createShader(scene);
  const seed = scene.seed;
  let n = 0;
  for (let i = 0; i < nz; i++) {
    const z = tz + i * sz;
    for (let j = 0; j < ny; j++) {
      const y = ty + j * sy;
      for (let k = 0; k < nx; k++) data[n++] = addNoise(shade(z, y, tx + k * sx), i, j, k, seed);
    }
    onSlice?.(i + 1, nz);
  }
  return { data, shape: [nz, ny, nx] };
}

/** Render the label id (see CLASS_ID) at the voxel centers of `grid`. */
export function renderClassIds(scene: Scene, grid: Grid): Volume {
  const [nz, ny, nx] = shape3(grid);
  const data = new Uint8Array(nz * ny * nx);
  const [sz, sy, sx] = grid.scale as [number, number, number];
  const [tz, ty, tx] = grid.translation as [number, number, number];
  const hit: Hit = { obj: null, sd: 0 };
  let n = 0;
  for (let i = 0; i < nz; i++) {
    for (let j = 0; j < ny; j++) {
      for (let k = 0; k < nx; k++) data[n++] = locate(scene, tz + i * sz, ty + j * sy, tx + k * sx, hit);
    }
  }
  return { data, shape: [nz, ny, nx] };
}

/** A 0/1 mask of one label id, with the number of 0 voxels. */
export function maskOf(ids: Volume, id: number): { volume: Volume; absent: number } {
  const data = new Uint8Array(ids.data.length);
  let present = 0;
  for (let i = 0; i < data.length; i++) {
    if (ids.data[i] === id) {
      data[i] = 1;
      present++;
    }
  }
  return { volume: { data, shape: ids.shape }, absent: data.length - present };
}

function reduce2x(v: Volume, combine: (sum: number, count: number) => number): Volume {
  const [nz, ny, nx] = v.shape;
  const mz = Math.ceil(nz / 2);
  const my = Math.ceil(ny / 2);
  const mx = Math.ceil(nx / 2);
  const out = new Uint8Array(mz * my * mx);
  const src = v.data;
  let n = 0;
  for (let i = 0; i < mz; i++) {
    const z1 = Math.min(2 * i + 2, nz);
    for (let j = 0; j < my; j++) {
      const y1 = Math.min(2 * j + 2, ny);
      for (let k = 0; k < mx; k++) {
        const x1 = Math.min(2 * k + 2, nx);
        let sum = 0;
        let count = 0;
        for (let z = 2 * i; z < z1; z++) {
          for (let y = 2 * j; y < y1; y++) {
            const row = (z * ny + y) * nx;
            for (let x = 2 * k; x < x1; x++) {
              sum += src[row + x]!;
              count++;
            }
          }
        }
        out[n++] = combine(sum, count);
      }
    }
  }
  return { data: out, shape: [mz, my, mx] };
}

/** Halve each axis by averaging 2x2x2 blocks (partial blocks at odd edges), rounding half up. */
export function downsampleMean(v: Volume): Volume {
  return reduce2x(v, (sum, count) => Math.floor(sum / count + 0.5));
}

/** Halve each axis of a 0/1 volume by majority of 2x2x2 blocks; a tie counts as present. */
export function downsampleMajority(v: Volume): Volume {
  return reduce2x(v, (sum, count) => (2 * sum >= count ? 1 : 0));
}

/** Level 0 and `levels - 1` downsampled levels. */
export function pyramid(v: Volume, levels: number, step: (v: Volume) => Volume): Volume[] {
  const out = [v];
  for (let k = 1; k < levels; k++) out.push(step(out[k - 1]!));
  return out;
}

/** Number of zeros in a volume. */
export function countZeros(v: Volume): number {
  let n = 0;
  for (let i = 0; i < v.data.length; i++) if (v.data[i] === 0) n++;
  return n;
}
