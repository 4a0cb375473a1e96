/**
 * A sample's displacement field (elastic deformation) evaluated for the CPU resample twin, the way
 * `resample.wgsl` does: the cubic B-spline of the control points at `u = j * step + start`
 * per axis, control indices clamped to the grid. Used by `twin.ts`.
 *
 * @example
 * ```ts
 * const field = new Field(sample.displacement, nx);
 * field.row(jz, jy);
 * field.at(jx, d); // d = [dz, dy, dx] in output voxels
 * ```
 * @module
 */

import { bsplineWeights, type ResampleDisplacement } from "./contract.ts";

/**
 * One sample's displacement field, evaluated the way the shader does: the cubic B-spline of the
 * control points at `u = j * step + start` per axis, indices clamped to the grid. The weights and
 * clamped indices of x are computed once per column, those of z and y once per output row.
 */
export class Field {
  readonly #values: ArrayLike<number>;
  readonly #dims: readonly [number, number, number];
  readonly #step: readonly [number, number, number];
  readonly #start: readonly [number, number, number];
  /** Per column jx: 4 clamped x indices and their 4 weights. */
  readonly #xIndex: Float64Array;
  readonly #xWeight: Float64Array;
  /** Per row: `(z * gy + y) * gx` and `wz[a] * wy[b]` of the 16 (a, b) pairs. */
  readonly #zy = new Float64Array(16);
  readonly #wzy = new Float64Array(16);
  readonly #wz = [0, 0, 0, 0];
  readonly #wy = [0, 0, 0, 0];

  constructor(disp: ResampleDisplacement, nx: number) {
    this.#values = disp.values;
    this.#dims = disp.dims;
    this.#step = disp.step;
    this.#start = disp.start;
    this.#xIndex = new Float64Array(4 * nx);
    this.#xWeight = new Float64Array(4 * nx);
    const w = [0, 0, 0, 0];
    for (let jx = 0; jx < nx; jx++) {
      const base = this.#weights(2, jx, w);
      for (let c = 0; c < 4; c++) {
        this.#xIndex[4 * jx + c] = clamp(base + c, disp.dims[2]);
        this.#xWeight[4 * jx + c] = w[c]!;
      }
    }
  }

  /** The weights of axis `a` at output index `j` into `w`; returns the first control index. */
  #weights(a: 0 | 1 | 2, j: number, w: number[]): number {
    const u = j * this.#step[a] + this.#start[a];
    const i = Math.floor(u);
    bsplineWeights(u - i, w);
    return i - 1;
  }

  /** Prepare output row `(jz, jy)`. */
  row(jz: number, jy: number): void {
    const [, gy, gx] = this.#dims;
    const wz = this.#wz, wy = this.#wy;
    const bz = this.#weights(0, jz, wz);
    const by = this.#weights(1, jy, wy);
    for (let a = 0; a < 4; a++) {
      const z = clamp(bz + a, this.#dims[0]);
      for (let b = 0; b < 4; b++) {
        this.#zy[4 * a + b] = (z * gy + clamp(by + b, gy)) * gx;
        this.#wzy[4 * a + b] = wz[a]! * wy[b]!;
      }
    }
  }

  /** The displacement (output voxels) of column `jx` of the current row, into `dst`. */
  at(jx: number, dst: Float64Array): void {
    const values = this.#values;
    const xi = this.#xIndex, xw = this.#xWeight;
    const k0 = 4 * jx;
    let d0 = 0, d1 = 0, d2 = 0;
    for (let k = 0; k < 16; k++) {
      const zy = this.#zy[k]!;
      const wzy = this.#wzy[k]!;
      for (let c = k0; c < k0 + 4; c++) {
        const w = wzy * xw[c]!;
        const p = 3 * (zy + xi[c]!);
        d0 += w * values[p]!;
        d1 += w * values[p + 1]!;
        d2 += w * values[p + 2]!;
      }
    }
    dst[0] = d0;
    dst[1] = d1;
    dst[2] = d2;
  }
}

function clamp(i: number, n: number): number {
  return Math.min(n - 1, Math.max(0, i));
}
