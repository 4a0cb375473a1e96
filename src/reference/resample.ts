/**
 * CPU twin of `shaders/resample.wgsl`: the same inputs (params, samples, slot tables, cache words)
 * give the same output, computed plainly in float64. Tests compare the two; `--device cpu` uses it
 * instead of the GPU. Contract: docs/architecture.md, "One resample dispatch".
 *
 * @example
 * ```ts
 * const out = resampleReference(params, samples, table, cacheWords); // Float32Array [batch, z, y, x]
 * ```
 * @module
 */

import { readPacked } from "../array/storage-kind.ts";
import type { ResampleParams, ResampleSample } from "../gpu/resample.ts";

const ABSENT = 0xffffffff;

/**
 * Resample every sample of a batch on the CPU.
 *
 * @param params the dispatch parameters (`rowWidth` is not needed here)
 * @param samples one per batch item
 * @param table the slot tables of all samples, concatenated
 * @param cache the chunk cache words (`slotCount * params.slotWords`)
 * @returns the output, `[batch, z, y, x]` C-order
 */
export function resampleReference(
  params: ResampleParams,
  samples: readonly ResampleSample[],
  table: Uint32Array,
  cache: Uint32Array,
): Float32Array {
  const [nz, ny, nx] = params.outShape;
  const [cz, cy, cx] = params.chunkShape;
  const vol = params.volShape;
  const perSample = nz * ny * nx;
  const out = new Float32Array(params.batch * perSample);
  const nearest = params.interp === "nearest";

  for (let b = 0; b < params.batch; b++) {
    const s = samples[b];
    if (s === undefined) throw new RangeError(`samples has ${samples.length} entries, params.batch is ${params.batch}`);
    const m = s.matrix;
    const [dz, dy, dx] = s.chunkDims;

    const voxel = (iz: number, iy: number, ix: number): number => {
      const kz = Math.floor(iz / cz) - s.chunkLo[0];
      const ky = Math.floor(iy / cy) - s.chunkLo[1];
      const kx = Math.floor(ix / cx) - s.chunkLo[2];
      if (kz < 0 || ky < 0 || kx < 0 || kz >= dz || ky >= dy || kx >= dx) return params.fill;
      const slot = table[s.tableOffset + (kz * dy + ky) * dx + kx] ?? ABSENT;
      if (slot === ABSENT) return params.fill;
      const e = ((iz % cz) * cy + (iy % cy)) * cx + (ix % cx);
      return readPacked(cache, params.kind, e, slot * params.slotWords);
    };

    let o = b * perSample;
    for (let jz = 0; jz < nz; jz++) {
      for (let jy = 0; jy < ny; jy++) {
        for (let jx = 0; jx < nx; jx++, o++) {
          const v: [number, number, number] = [0, 0, 0];
          for (let a = 0; a < 3; a++) {
            const r = 4 * a;
            v[a] = s.origin[a]! + (m[r]! * jz + m[r + 1]! * jy + m[r + 2]! * jx + m[r + 3]!);
          }
          out[o] = nearest ? sampleNearest(v, vol, params.pad, voxel) : sampleLinear(v, vol, params.pad, voxel);
        }
      }
    }
  }
  return out;
}

type Voxel = (iz: number, iy: number, ix: number) => number;
type Vec3 = readonly [number, number, number];

/** Voxel `floor(v + 0.5)`, or pad outside `[-0.5, N - 0.5)` on any axis. */
function sampleNearest(v: Vec3, vol: Vec3, pad: number, voxel: Voxel): number {
  const inside = (x: number, n: number) => x >= -0.5 && x < n - 0.5;
  if (!(inside(v[0], vol[0]) && inside(v[1], vol[1]) && inside(v[2], vol[2]))) return pad;
  return voxel(Math.floor(v[0] + 0.5), Math.floor(v[1] + 0.5), Math.floor(v[2] + 0.5));
}

/** Trilinear blend of the 8 voxels around `v`, or pad outside `[0, N - 1]` on any axis. */
function sampleLinear(v: Vec3, vol: Vec3, pad: number, voxel: Voxel): number {
  const inside = (x: number, n: number) => x >= 0 && x <= n - 1;
  if (!(inside(v[0], vol[0]) && inside(v[1], vol[1]) && inside(v[2], vol[2]))) return pad;
  const [z0, y0, x0] = [Math.floor(v[0]), Math.floor(v[1]), Math.floor(v[2])];
  const [fz, fy, fx] = [v[0] - z0, v[1] - y0, v[2] - x0];
  const z1 = Math.min(z0 + 1, vol[0] - 1);
  const y1 = Math.min(y0 + 1, vol[1] - 1);
  const x1 = Math.min(x0 + 1, vol[2] - 1);
  const x00 = mix(voxel(z0, y0, x0), voxel(z0, y0, x1), fx);
  const x01 = mix(voxel(z0, y1, x0), voxel(z0, y1, x1), fx);
  const x10 = mix(voxel(z1, y0, x0), voxel(z1, y0, x1), fx);
  const x11 = mix(voxel(z1, y1, x0), voxel(z1, y1, x1), fx);
  return mix(mix(x00, x01, fy), mix(x10, x11, fy), fz);
}

/** WGSL's `mix`: `a * (1 - t) + b * t` (so a NaN corner propagates even at weight 0). */
function mix(a: number, b: number, t: number): number {
  return a * (1 - t) + b * t;
}
