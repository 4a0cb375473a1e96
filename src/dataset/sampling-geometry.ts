/**
 * Where a dataset's samples may be centered: a regular grid of world centers inside the
 * intersection of its arrays' bounds, indexed row-major (z, y, x) and computed lazily, so a
 * dataset of 10^8 positions costs a few numbers, not a list (DESIGN section 6).
 *
 * - Bounds of an array: the world extent of its finest level's voxels,
 *   `[t - s/2, t + (N - 1/2) s]` per axis (voxel `i` is centered at `t + i s`).
 * - Box: without `pad`, each array's bounds are first shrunk on each side by half the world extent
 *   (`shape * scale`) of the outputs read from that array, then intersected, so every output lies
 *   inside the array it is read from (as the Python library does: a small crop only has to hold
 *   the targets, not the larger raw input). Bounds given without their outputs are shrunk by the
 *   largest output. With `pad`, nothing is shrunk: outputs may hang over the edge and read the
 *   pad value there. `pad` may be given per axis (`[z, y, x]`): a dataset of 2D slices never pads
 *   its sliced axis, so its centers fall on the slices (one per slice when the slice is as thick
 *   as the voxels).
 * - Step: the largest output voxel size per axis.
 * - Grid: `n = floor(size / step) + 1` centers per axis (0 when the box is empty), spaced by
 *   `step` and centered in the box: the first is `lo + (size - (n - 1) step) / 2`.
 * - Index `i` -> center: `i` unravels row-major over `[nz, ny, nx]`.
 *
 * The box ignores spatial augmentation: a rotated output reaches past its axis-aligned extent
 * (by up to `(sqrt(3) - 1) / 2` of it at the corners) and reads the pad value there, as in the
 * Python library.
 *
 * @example
 * ```ts
 * const g = new SamplingGrid({ bounds: [arrayBounds(level0)], outputs: [{ shape: [8, 8, 8], scale: [4, 4, 4] }], pad: false });
 * g.length; g.center(0);
 * ```
 * @module
 */

import { ArgumentError } from "../errors.ts";
import type { LevelGeometry, OutputSpec, Vec3 } from "../geometry/types.ts";

/** An axis-aligned world box: `[lo, hi]` per axis (z, y, x). */
export interface WorldBox {
  lo: Vec3;
  hi: Vec3;
}

/** Slack for float noise when counting grid points (world units relative to the step). */
const EPS = 1e-9;

/**
 * The world extent of a level's voxels.
 *
 * @example
 * ```ts
 * arrayBounds({ shape: [10, 10, 10], scale: [4, 4, 4], translation: [2, 2, 2] }); // lo [0,0,0], hi [40,40,40]
 * ```
 */
export function arrayBounds(level: LevelGeometry): WorldBox {
  const lo = [0, 1, 2].map((k) => level.translation[k]! - level.scale[k]! / 2) as Vec3;
  const hi = [0, 1, 2].map((k) => level.translation[k]! + (level.shape[k]! - 0.5) * level.scale[k]!) as Vec3;
  return { lo, hi };
}

/** The intersection of boxes (may be empty: `lo > hi` on some axis). */
export function intersectBoxes(boxes: readonly WorldBox[]): WorldBox {
  if (boxes.length === 0) throw new ArgumentError("bounds", "must list at least one box");
  const lo: Vec3 = [-Infinity, -Infinity, -Infinity];
  const hi: Vec3 = [Infinity, Infinity, Infinity];
  for (const b of boxes) {
    for (let k = 0; k < 3; k++) {
      lo[k] = Math.max(lo[k]!, b.lo[k]!);
      hi[k] = Math.min(hi[k]!, b.hi[k]!);
    }
  }
  return { lo, hi };
}

/** An array's world bounds with the outputs read from it. */
export interface BoundedArray {
  box: WorldBox;
  outputs: readonly OutputSpec[];
}

/** Options of {@link SamplingGrid}. */
export interface SamplingGridOptions {
  /**
   * World bounds of every array read (inputs and annotated targets), each with the outputs read
   * from it; a bare box is shrunk by the largest output of all.
   */
  bounds: readonly (WorldBox | BoundedArray)[];
  /** Every output array's shape and voxel size. */
  outputs: readonly OutputSpec[];
  /** Let outputs hang over the box (true) or keep them inside (false); one value or one per axis (z, y, x). */
  pad: boolean | readonly boolean[];
}

function largestExtent(outputs: readonly OutputSpec[]): Vec3 {
  const extent: Vec3 = [0, 0, 0];
  for (const o of outputs) for (let k = 0; k < 3; k++) extent[k] = Math.max(extent[k]!, o.shape[k]! * o.scale[k]!);
  return extent;
}

/** A lazy, row-major grid of sample centers. */
export class SamplingGrid {
  /** The box the centers lie in (already shrunk when not padding). */
  readonly box: WorldBox;
  /** Spacing of the centers: the largest output voxel size per axis. */
  readonly step: Vec3;
  /** Centers per axis (z, y, x). */
  readonly dims: Vec3;
  /** The first center (index 0). */
  readonly origin: Vec3;
  /** The largest output extent (`shape * scale`) per axis. */
  readonly extent: Vec3;
  /** Number of centers: `dims[0] * dims[1] * dims[2]`. */
  readonly length: number;

  constructor(options: SamplingGridOptions) {
    if (options.outputs.length === 0) throw new ArgumentError("outputs", "must list at least one output array");
    const step: Vec3 = [0, 0, 0];
    for (const o of options.outputs) for (let k = 0; k < 3; k++) step[k] = Math.max(step[k]!, o.scale[k]!);
    const extent = largestExtent(options.outputs);
    const pad = [0, 1, 2].map((k) => (typeof options.pad === "boolean" ? options.pad : options.pad[k]));
    if (pad.some((p) => typeof p !== "boolean")) throw new ArgumentError("pad", "must be a boolean or three booleans [z, y, x]", options.pad);
    const shrunk = options.bounds.map((b) => {
      const box = "box" in b ? b.box : b;
      if (pad.every(Boolean)) return box;
      const half = ("box" in b ? largestExtent(b.outputs) : extent).map((e, k) => (pad[k] ? 0 : e / 2));
      return { lo: box.lo.map((v, k) => v + half[k]!) as Vec3, hi: box.hi.map((v, k) => v - half[k]!) as Vec3 };
    });
    const { lo, hi } = intersectBoxes(shrunk);
    const dims: Vec3 = [0, 0, 0];
    const origin: Vec3 = [0, 0, 0];
    for (let k = 0; k < 3; k++) {
      const size = hi[k]! - lo[k]!;
      const n = size < -EPS * step[k]! ? 0 : Math.floor(Math.max(0, size) / step[k]! + EPS) + 1;
      dims[k] = n;
      origin[k] = lo[k]! + (size - (n - 1) * step[k]!) / 2;
    }
    this.box = { lo, hi };
    this.step = step;
    this.extent = extent;
    this.dims = dims;
    this.origin = origin;
    this.length = dims[0] * dims[1] * dims[2];
  }

  /** Grid coordinates (z, y, x) of index `i`. */
  unravel(i: number, dst: Vec3 = [0, 0, 0]): Vec3 {
    if (!(Number.isInteger(i) && i >= 0 && i < this.length)) {
      throw new ArgumentError("index", `must be an integer in [0, ${this.length})`, i);
    }
    const [, ny, nx] = this.dims;
    dst[2] = i % nx;
    const r = (i - dst[2]) / nx;
    dst[1] = r % ny;
    dst[0] = (r - dst[1]) / ny;
    return dst;
  }

  /** Index of grid coordinates (z, y, x). */
  ravel(g: Readonly<Vec3>): number {
    return (g[0] * this.dims[1] + g[1]) * this.dims[2] + g[2];
  }

  /** World center (z, y, x) of index `i`. */
  center(i: number, dst: Vec3 = [0, 0, 0]): Vec3 {
    this.unravel(i, dst);
    for (let k = 0; k < 3; k++) dst[k] = this.origin[k]! + dst[k]! * this.step[k]!;
    return dst;
  }

  /**
   * Indices that tile the grid without overlap: every `t`-th center per axis, where
   * `t = ceil(extent / step)` grid steps for the given world extent (default: the largest output).
   * Lazy: `at(j)` computes the j-th index.
   *
   * @param extent World extent (z, y, x) of one tile, e.g. the target array's `shape * scale`.
   */
  tiles(extent: Readonly<Vec3> = this.extent): IndexList {
    const stride = [0, 1, 2].map((k) => Math.max(1, Math.ceil(extent[k]! / this.step[k]! - EPS))) as Vec3;
    const counts = [0, 1, 2].map((k) => Math.ceil(this.dims[k]! / stride[k]!)) as Vec3;
    const length = counts[0] * counts[1] * counts[2];
    return {
      length,
      at: (j: number): number => {
        if (!(Number.isInteger(j) && j >= 0 && j < length)) throw new ArgumentError("tile", `must be an integer in [0, ${length})`, j);
        const x = j % counts[2];
        const r = (j - x) / counts[2];
        const y = r % counts[1];
        const z = (r - y) / counts[1];
        return this.ravel([z * stride[0], y * stride[1], x * stride[2]]);
      },
    };
  }
}

/** A lazy list of indices: `length` and `at(j)`. */
export interface IndexList {
  readonly length: number;
  at(j: number): number;
}
