// The PREVIOUS implementation of `resampleReference` (src/reference/resample.ts as of commit
// 2d05776), kept unchanged for comparison: test/resample-reference-identity.test.ts checks that the
// current twin gives bit-identical output, and bench/cpu-twin.ts times the two side by side.
// Do not optimise or fix this file; it is the frozen oracle of the rewrite. `readPackedV1` is the
// `readPacked` of src/array/storage-kind.ts at the same commit, copied so that nothing here moves.

import type { ResampleDisplacement, ResampleParams, ResampleSample } from "../../src/kernels/resample/contract.ts";
import type { StorageKind } from "../../src/kernels/chunks/contract.ts";

const BYTES: Readonly<Record<StorageKind, number>> = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4 };
const scratch = new DataView(new ArrayBuffer(4));

function readPackedV1(words: Uint32Array, kind: StorageKind, elementIndex: number, wordOffset = 0): number {
  const bytes = BYTES[kind];
  const w = words[wordOffset + ((elementIndex * bytes) >>> 2)] ?? 0;
  switch (kind) {
    case "u8":
      return (w >>> ((elementIndex & 3) * 8)) & 0xff;
    case "i8":
      return ((w >>> ((elementIndex & 3) * 8)) << 24) >> 24;
    case "u16":
      return (w >>> ((elementIndex & 1) * 16)) & 0xffff;
    case "i16":
      return ((w >>> ((elementIndex & 1) * 16)) << 16) >> 16;
    case "u32":
      return w >>> 0;
    case "i32":
      return w | 0;
    case "f32":
      scratch.setUint32(0, w, true);
      return scratch.getFloat32(0, true);
  }
}

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
export function resampleReferenceV1(
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
      return readPackedV1(cache, params.kind, e, slot * params.slotWords);
    };

    let o = b * perSample;
    const j: [number, number, number] = [0, 0, 0];
    const d: [number, number, number] = [0, 0, 0];
    for (let jz = 0; jz < nz; jz++) {
      for (let jy = 0; jy < ny; jy++) {
        for (let jx = 0; jx < nx; jx++, o++) {
          j[0] = jz;
          j[1] = jy;
          j[2] = jx;
          if (s.displacement) {
            // Elastic deformation: output voxel j is read at j + d(j), through the same affine.
            displacement(s.displacement, j, d);
            for (let a = 0; a < 3; a++) j[a]! += d[a]!;
          }
          const v: [number, number, number] = [0, 0, 0];
          for (let a = 0; a < 3; a++) {
            const r = 4 * a;
            v[a] = s.origin[a]! + (m[r]! * j[0] + m[r + 1]! * j[1] + m[r + 2]! * j[2] + m[r + 3]!);
          }
          out[o] = nearest ? sampleNearest(v, vol, params.pad, voxel) : sampleLinear(v, vol, params.pad, voxel);
        }
      }
    }
  }
  return out;
}

/** The 4 cubic B-spline weights of control points `floor(u) - 1 .. floor(u) + 2`, `t = u - floor(u)`. */
function bspline(t: number, w: number[]): void {
  const s = 1 - t;
  const t2 = t * t;
  const t3 = t2 * t;
  w[0] = (s * s * s) / 6;
  w[1] = (3 * t3 - 6 * t2 + 4) / 6;
  w[2] = (-3 * t3 + 3 * t2 + 3 * t + 1) / 6;
  w[3] = t3 / 6;
}

const weights = [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]];

/**
 * The displacement (output voxels) of output voxel `j`: the cubic B-spline of the control points
 * at `u = j * step + start`, control indices clamped to the grid; into `dst`.
 */
function displacement(disp: ResampleDisplacement, j: Vec3, dst: [number, number, number]): void {
  const [gz, gy, gx] = disp.dims;
  const base = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    const u = j[a]! * disp.step[a]! + disp.start[a]!;
    const i = Math.floor(u);
    base[a] = i - 1;
    bspline(u - i, weights[a]!);
  }
  const clamp = (i: number, n: number) => Math.min(n - 1, Math.max(0, i));
  const [wz, wy, wx] = weights as [number[], number[], number[]];
  const values = disp.values;
  dst[0] = dst[1] = dst[2] = 0;
  for (let a = 0; a < 4; a++) {
    const z = clamp(base[0]! + a, gz);
    for (let b = 0; b < 4; b++) {
      const y = clamp(base[1]! + b, gy);
      const wzy = wz[a]! * wy[b]!;
      for (let c = 0; c < 4; c++) {
        const x = clamp(base[2]! + c, gx);
        const w = wzy * wx[c]!;
        const p = 3 * ((z * gy + y) * gx + x);
        dst[0] += w * values[p]!;
        dst[1] += w * values[p + 1]!;
        dst[2] += w * values[p + 2]!;
      }
    }
  }
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
