/**
 * The CPU resample twin's fast path: a sample whose affine is a signed axis permutation with
 * integer offsets (identity, mirrors, transposes, 90° rotations, output voxels the size of the
 * level's, no displacement) reads every output voxel at an exact source voxel, so its output is a
 * strided copy of the cache. It gives the general path's bits: the same pad outside the volume
 * (integer points of [0, N - 1] are inside for both interpolations), the same fill for absent
 * chunks, the same storage-kind conversions; and a trilinear blend at an exact voxel is that voxel
 * whenever its 7 neighbours of weight 0 are finite and it is not -0 (`a * 1 + b * 0 = a`), which
 * holds for integer kinds with a finite fill. Other trilinear cases call the general blend per
 * voxel. Used by `twin.ts`; test/resample-permuted.test.ts pins it to the general path.
 *
 * @example
 * ```ts
 * const p = sampleAxisPermutation(sample); // from ./contract.ts: undefined unless a signed permutation
 * if (p) permuted(source, params, p, out, offset);
 * ```
 * @module
 */

import { blendAtVoxelIsVoxel } from "../chunks/contract.ts";
import type { AxisPermutation, ResampleParams } from "./contract.ts";
import type { Source } from "./twin-source.ts";

/**
 * Resample one permuted sample into `out` from `o`: output rows run along the source axis fed by
 * output x, copied chunk by chunk ({@link Source.row}); pad outside the volume. Only output z
 * planes `[z0, z1)` (default all) are written.
 */
export function permuted(source: Source, params: ResampleParams, p: AxisPermutation, out: Float32Array, o: number, z0 = 0, z1 = params.outShape[0]): void {
  const [, ny, nx] = params.outShape;
  const vol = params.volShape;
  const pad = params.pad;
  const blend = params.interp === "linear" && !blendAtVoxelIsVoxel(params.kind, params.fill);
  const axis = p.from.indexOf(2) as 0 | 1 | 2;
  const step = p.sign[axis];
  // Output x range whose source voxel along `axis` lies in [0, N - 1].
  const t = p.offset[axis], n = vol[axis]!;
  const lo = Math.max(0, step > 0 ? -t : t - n + 1);
  const hi = Math.min(nx, (step > 0 ? n - 1 - t : t) + 1);
  const i = [0, 0, 0];
  const j = [0, 0, 0];
  o += z0 * ny * nx;
  for (let jz = z0; jz < z1; jz++) {
    j[0] = jz;
    for (let jy = 0; jy < ny; jy++, o += nx) {
      j[1] = jy;
      j[2] = lo;
      let inside = hi > lo;
      for (let a = 0; a < 3; a++) {
        const v = p.offset[a]! + p.sign[a]! * j[p.from[a]!]!;
        i[a] = v;
        if (v < 0 || v >= vol[a]!) inside = false;
      }
      if (!inside) {
        out.fill(pad, o, o + nx);
        continue;
      }
      out.fill(pad, o, o + lo);
      if (blend) {
        for (let q = o + lo; q < o + hi; q++, i[axis] = i[axis]! + step) out[q] = source.linear(i[0]!, i[1]!, i[2]!);
      } else {
        source.row(out, o + lo, hi - lo, i[0]!, i[1]!, i[2]!, axis, step);
      }
      out.fill(pad, o + hi, o + nx);
    }
  }
}
