/**
 * CPU twin of `resample.wgsl`: the same inputs (params, samples, slot tables, cache words)
 * give the same output, computed in float64. Tests compare the two; `--device cpu` and CPU
 * datasets use it instead of the GPU. Contract: docs/architecture.md, "One resample dispatch".
 *
 * It is written for speed without changing a value: per output row the affine's partial sums
 * `m[r] * jz + m[r + 1] * jy` are computed once and each voxel adds `m[r + 2] * jx + m[r + 3]` in
 * the same order as the plain matrix-vector product (so the same rounding); the 8 linear corners
 * share one chunk/element split per axis; the cache is read through one typed view of the
 * storage kind (little-endian, like the packing); the B-spline weights of a displacement field
 * are computed once per output row (z, y) and once per column (x). Nothing is allocated per voxel.
 * A sample whose affine is a signed axis permutation with integer offsets (unaugmented, mirrored,
 * transposed or turned by 90° at the level's voxel size) is a strided copy of the cache instead,
 * with the same bits (`twin-permuted.ts`; `fastPaths: false` turns it off).
 * The cache reading is `twin-source.ts`, the displacement field `twin-field.ts`;
 * test/resample-reference-identity.test.ts holds it to the previous, plainer twin value for value.
 *
 * @example
 * ```ts
 * const out = resampleReference(params, samples, table, cacheWords); // Float32Array [batch, z, y, x]
 * ```
 * @module
 */

import { type ResampleParams, type ResampleSample, sampleAxisPermutation } from "./contract.ts";
import { Field } from "./twin-field.ts";
import { permuted } from "./twin-permuted.ts";
import { elementsOf, Source } from "./twin-source.ts";

/** Options of {@link resampleReference}. */
export interface ResampleReferenceOptions {
  /**
   * Copy the samples whose affine is a signed axis permutation with integer offsets instead of
   * interpolating them (`twin-permuted.ts`); the output is the same either way. Default true.
   */
  readonly fastPaths?: boolean;
  /** Write into this array (from `outOffset`) instead of a new one. */
  readonly out?: Float32Array;
  /** Where the output starts in `out` (elements). Default 0. */
  readonly outOffset?: number;
  /**
   * Elements from the start of one sample's output to the next in `out` (default one sample's
   * voxels, back to back): a larger stride writes every sample into its own row of a wider
   * array, such as one class of a `[batch, class, z, y, x]` batch.
   */
  readonly outStride?: number;
  /**
   * Output z planes to compute, `[from, to)` of every sample (default all): the others are left
   * as they are. A plane's values do not depend on which others are computed, so slabs computed
   * apart (by the CPU executor's workers) give the whole dispatch's bits.
   */
  readonly zRange?: readonly [number, number];
}

/**
 * Resample every sample of a batch on the CPU.
 *
 * @param params the dispatch parameters (`rowWidth` is not needed here)
 * @param samples one per batch item
 * @param table the slot tables of all samples, concatenated
 * @param cache the chunk cache words (`slotCount * params.slotWords`)
 * @param options `fastPaths: false` interpolates every sample (the general path); `out` and
 *   `outOffset`: where to write; `outStride`: how far apart the samples are written
 * @returns the output, `[batch, z, y, x]` C-order (a view of `out` when given, from the first
 *   sample's start to the last one's end)
 */
export function resampleReference(
  params: ResampleParams,
  samples: readonly ResampleSample[],
  table: Uint32Array,
  cache: Uint32Array,
  options: ResampleReferenceOptions = {},
): Float32Array {
  const [nz, ny, nx] = params.outShape;
  const perSample = nz * ny * nx;
  const at = options.outOffset ?? 0;
  const stride = options.outStride ?? perSample;
  const out = options.out ?? new Float32Array(params.batch * perSample);
  if (!Number.isInteger(stride) || stride < perSample || (options.out === undefined && stride !== perSample)) {
    throw new RangeError(`outStride ${stride} must be an integer of at least one sample's ${perSample} values, and needs out`);
  }
  const span = params.batch === 0 ? 0 : (params.batch - 1) * stride + perSample;
  if (!Number.isInteger(at) || at < 0 || at + span > out.length) {
    throw new RangeError(`the output of ${params.batch} × ${perSample} values (stride ${stride}) does not fit in out (${out.length}) at ${at}`);
  }
  const source = new Source(params, table, elementsOf(cache, params.kind));
  const nearest = params.interp === "nearest";
  const fast = options.fastPaths ?? true;
  const z0 = Math.max(0, options.zRange?.[0] ?? 0);
  const z1 = Math.min(nz, options.zRange?.[1] ?? nz);

  for (let b = 0; b < params.batch; b++) {
    const s = samples[b];
    if (s === undefined) throw new RangeError(`samples has ${samples.length} entries, params.batch is ${params.batch}`);
    source.use(s);
    const field = s.displacement ? new Field(s.displacement, nx) : undefined;
    const o = at + b * stride;
    const permutation = fast ? sampleAxisPermutation(s) : undefined;
    if (z1 <= z0) continue;
    if (permutation) permuted(source, params, permutation, out, o, z0, z1);
    else if (field) deformed(source, field, params, s, out, o, z0, z1);
    else if (nearest) straightNearest(source, params, s, out, o, z0, z1);
    else straightLinear(source, params, s, out, o, z0, z1);
  }
  return options.out ? out.subarray(at, at + span) : out;
}

/** WGSL's `mix`, as Source.linear blends: `a * (1 - t) + b * t`. */
function mix(a: number, b: number, t: number): number {
  return a * (1 - t) + b * t;
}

// The voxel loops, one per case so that each inner loop is branch-free. Source position of output
// voxel j, as the shader computes it: v[a] = origin[a] + (m[r] * jz + m[r + 1] * jy + m[r + 2] * jx
// + m[r + 3]), r = 4a, summed left to right; the undeformed loops keep the row's first two terms
// (the same partial sum) and add the rest per voxel. Nearest reads voxel floor(v + 0.5), or pad
// outside [-0.5, N - 0.5) on any axis; linear blends the 8 voxels around v, or pad outside [0, N - 1].

function straightNearest(source: Source, params: ResampleParams, s: ResampleSample, out: Float32Array, o: number, z0: number, z1: number): void {
  const [, ny, nx] = params.outShape;
  const hz = params.volShape[0] - 0.5, hy = params.volShape[1] - 0.5, hx = params.volShape[2] - 0.5;
  const pad = params.pad;
  const m = s.matrix;
  const m0 = m[0]!, m1 = m[1]!, m2 = m[2]!, m3 = m[3]!;
  const m4 = m[4]!, m5 = m[5]!, m6 = m[6]!, m7 = m[7]!;
  const m8 = m[8]!, m9 = m[9]!, m10 = m[10]!, m11 = m[11]!;
  const [oz, oy, ox] = s.origin;
  const data = source.data, sz = source.strideZ, sy = source.strideY;
  o += z0 * ny * nx;
  for (let jz = z0; jz < z1; jz++) {
    for (let jy = 0; jy < ny; jy++) {
      const rz = m0 * jz + m1 * jy;
      const ry = m4 * jz + m5 * jy;
      const rx = m8 * jz + m9 * jy;
      for (let jx = 0; jx < nx; jx++, o++) {
        const pz = oz + (rz + m2 * jx + m3);
        const py = oy + (ry + m6 * jx + m7);
        const px = ox + (rx + m10 * jx + m11);
        if (pz >= -0.5 && pz < hz && py >= -0.5 && py < hy && px >= -0.5 && px < hx) {
          const iz = Math.floor(pz + 0.5), iy = Math.floor(py + 0.5), ix = Math.floor(px + 0.5);
          // Within the chunk block of the last voxel (most voxels): read it directly.
          if ((iz >= source.loZ && iz <= source.hiZ && iy >= source.loY && iy <= source.hiY && ix >= source.loX && ix <= source.hiX) || source.block(iz, iy, ix, 0)) {
            out[o] = data[source.base + iz * sz + iy * sy + ix]!;
          } else {
            out[o] = source.voxel(iz, iy, ix);
          }
        } else {
          out[o] = pad;
        }
      }
    }
  }
}

function straightLinear(source: Source, params: ResampleParams, s: ResampleSample, out: Float32Array, o: number, z0: number, z1: number): void {
  const [, ny, nx] = params.outShape;
  const lz = params.volShape[0] - 1, ly = params.volShape[1] - 1, lx = params.volShape[2] - 1;
  const pad = params.pad;
  const m = s.matrix;
  const m0 = m[0]!, m1 = m[1]!, m2 = m[2]!, m3 = m[3]!;
  const m4 = m[4]!, m5 = m[5]!, m6 = m[6]!, m7 = m[7]!;
  const m8 = m[8]!, m9 = m[9]!, m10 = m[10]!, m11 = m[11]!;
  const [oz, oy, ox] = s.origin;
  const data = source.data, sz = source.strideZ, sy = source.strideY;
  o += z0 * ny * nx;
  for (let jz = z0; jz < z1; jz++) {
    for (let jy = 0; jy < ny; jy++) {
      const rz = m0 * jz + m1 * jy;
      const ry = m4 * jz + m5 * jy;
      const rx = m8 * jz + m9 * jy;
      for (let jx = 0; jx < nx; jx++, o++) {
        const pz = oz + (rz + m2 * jx + m3);
        const py = oy + (ry + m6 * jx + m7);
        const px = ox + (rx + m10 * jx + m11);
        if (pz >= 0 && pz <= lz && py >= 0 && py <= ly && px >= 0 && px <= lx) {
          const iz = Math.floor(pz), iy = Math.floor(py), ix = Math.floor(px);
          // All 8 corners within the chunk block of the last voxel (most voxels): blend them
          // directly, as Source.linear does.
          if ((iz >= source.loZ && iz <= source.hiZ && iy >= source.loY && iy <= source.hiY && ix >= source.loX && ix <= source.hiX) || source.block(iz, iy, ix, 1)) {
            const e = source.base + iz * sz + iy * sy + ix;
            const fz = pz - iz, fy = py - iy, fx = px - ix;
            const x00 = mix(data[e]!, data[e + 1]!, fx);
            const x01 = mix(data[e + sy]!, data[e + sy + 1]!, fx);
            const x10 = mix(data[e + sz]!, data[e + sz + 1]!, fx);
            const x11 = mix(data[e + sz + sy]!, data[e + sz + sy + 1]!, fx);
            out[o] = mix(mix(x00, x01, fy), mix(x10, x11, fy), fz);
          } else {
            out[o] = source.linear(pz, py, px);
          }
        } else {
          out[o] = pad;
        }
      }
    }
  }
}

/** Elastic deformation: output voxel j is read at j + d(j), through the same affine. */
function deformed(source: Source, field: Field, params: ResampleParams, s: ResampleSample, out: Float32Array, o: number, z0: number, z1: number): void {
  const [, ny, nx] = params.outShape;
  const nearest = params.interp === "nearest";
  const [vz, vy, vx] = params.volShape;
  const pad = params.pad;
  const m = s.matrix;
  const m0 = m[0]!, m1 = m[1]!, m2 = m[2]!, m3 = m[3]!;
  const m4 = m[4]!, m5 = m[5]!, m6 = m[6]!, m7 = m[7]!;
  const m8 = m[8]!, m9 = m[9]!, m10 = m[10]!, m11 = m[11]!;
  const [oz, oy, ox] = s.origin;
  const d = new Float64Array(3);
  o += z0 * ny * nx;
  for (let jz = z0; jz < z1; jz++) {
    for (let jy = 0; jy < ny; jy++) {
      field.row(jz, jy);
      for (let jx = 0; jx < nx; jx++, o++) {
        field.at(jx, d);
        const tz = jz + d[0]!;
        const ty = jy + d[1]!;
        const tx = jx + d[2]!;
        const pz = oz + (m0 * tz + m1 * ty + m2 * tx + m3);
        const py = oy + (m4 * tz + m5 * ty + m6 * tx + m7);
        const px = ox + (m8 * tz + m9 * ty + m10 * tx + m11);
        if (nearest) {
          out[o] = pz >= -0.5 && pz < vz - 0.5 && py >= -0.5 && py < vy - 0.5 && px >= -0.5 && px < vx - 0.5
            ? source.voxel(Math.floor(pz + 0.5), Math.floor(py + 0.5), Math.floor(px + 0.5))
            : pad;
        } else {
          out[o] = pz >= 0 && pz <= vz - 1 && py >= 0 && py <= vy - 1 && px >= 0 && px <= vx - 1 ? source.linear(pz, py, px) : pad;
        }
      }
    }
  }
}

