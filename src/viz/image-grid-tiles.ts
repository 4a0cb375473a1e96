/**
 * The tiles of {@link imageGrid}: one 2D slice of one array of one sample, coloured. A tile is
 * its slice size and a colour per voxel: gray for inputs, a colormap per class for targets and
 * predictions, classes blended over the input for overlays, and direction colours
 * ({@link flowColor}) for flow arrays. NaN voxels take the `nan` colour.
 *
 * @example
 * ```ts
 * const tile = grayTile(context, arrays.get("raw")!, 0, 0); // channel 0 of sample 0
 * tile.color(0, 0); // [r, g, b] of the slice's top-left voxel
 * ```
 * @module
 */

import type { Vec3 } from "../geometry/types.ts";
import type { BatchArray } from "./image-grid-batch.ts";
import { grayColormap, type Colormap, type Rgb } from "./colors.ts";
import { flowColor, sliceAxes } from "./flow-color.ts";

/** One 2D slice: `h` rows by `w` columns, `at(r, c)` the value. */
interface Slice {
  h: number;
  w: number;
  at(r: number, c: number): number;
}

/** A tile: its slice size and the colour of each of its voxels. */
export interface Tile {
  h: number;
  w: number;
  color(r: number, c: number): Rgb;
}

/** What the tiles of one grid share: the slice, the colours, and the batch's arrays. */
export interface TileContext {
  /** Axis across which to slice: 0 (z), 1 (y) or 2 (x). */
  axis: 0 | 1 | 2;
  /** Colour of NaN voxels. */
  nan: Rgb;
  /** Opacity of a class at value 1 in an overlay. */
  alpha: number;
  /** The batch's arrays by name (for the input under an overlay). */
  arrays: ReadonlyMap<string, BatchArray>;
  /** Input array under the overlays. */
  overlayOn: string | undefined;
  /** The slice index along `axis` in array `a`. */
  sliceIndex(a: BatchArray): number;
  /** The value range of array `name` from the options (undefined: the default). */
  rangeFor(name: string): readonly [number, number] | undefined;
  /** Colour of class `c`. */
  colorOf(c: number): Rgb;
  /** Colormap of class `c`. */
  cmapOf(c: number): Colormap;
  /** Voxel size of array `name` in the arrays' frame. */
  scaleOf(name: string): Vec3;
}

/** Channel `ch` of sample `b` of `a`, slice `k` across `axis`. */
function sliceOf(a: BatchArray, b: number, ch: number, axis: 0 | 1 | 2, k: number): Slice {
  const [nz, ny, nx] = a.dims;
  const base = (b * a.channels + ch) * nz * ny * nx;
  const d = a.data;
  if (axis === 0) return { h: ny, w: nx, at: (r, c) => d[base + (k * ny + r) * nx + c]! };
  if (axis === 1) return { h: nz, w: nx, at: (r, c) => d[base + (r * ny + k) * nx + c]! };
  return { h: nz, w: ny, at: (r, c) => d[base + (r * ny + c) * nx + k]! };
}

/** The finite min and max of a slice (`[0, 0]` when it has none). */
function finiteRange(s: Slice): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let r = 0; r < s.h; r++) for (let c = 0; c < s.w; c++) {
    const v = s.at(r, c);
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : [0, 0];
}

/** v -> [0, 1] over [lo, hi] (0 when the range is empty); NaN stays NaN. */
function unit(v: number, lo: number, hi: number): number {
  if (Number.isNaN(v)) return NaN;
  if (!(hi > lo)) return 0;
  return Math.min(1, Math.max(0, (v - lo) / (hi - lo)));
}

/** Channel `ch` of sample `b` in gray, over the option's range or the slice's finite range. */
export function grayTile(ctx: TileContext, a: BatchArray, ch: number, b: number): Tile {
  const { axis, nan } = ctx;
  const s = sliceOf(a, b, ch, axis, ctx.sliceIndex(a));
  const [lo, hi] = ctx.rangeFor(a.name) ?? finiteRange(s);
  return { h: s.h, w: s.w, color: (r, c) => { const t = unit(s.at(r, c), lo, hi); return Number.isNaN(t) ? nan : grayColormap(t); } };
}

/** Class `ch` of sample `b` in the class's colormap over `range`. */
export function classTile(ctx: TileContext, a: BatchArray, ch: number, b: number, range: readonly [number, number]): Tile {
  const { axis, nan } = ctx;
  const s = sliceOf(a, b, ch, axis, ctx.sliceIndex(a));
  const cmap = ctx.cmapOf(ch);
  return { h: s.h, w: s.w, color: (r, c) => { const t = unit(s.at(r, c), range[0], range[1]); return Number.isNaN(t) ? nan : cmap(t); } };
}

/** Every class of sample `b` blended in its colour over the input under it. */
export function overlayTile(ctx: TileContext, a: BatchArray, b: number, range: readonly [number, number]): Tile {
  const { axis, alpha } = ctx;
  const k = ctx.sliceIndex(a);
  const classSlices = Array.from({ length: a.channels }, (_, ch) => sliceOf(a, b, ch, axis, k));
  const h = classSlices[0]!.h;
  const w = classSlices[0]!.w;
  const under = overlayBase(ctx, a, k, b);
  return {
    h, w,
    color: (r, c) => {
      let px: [number, number, number] = [...under(r, c)];
      classSlices.forEach((s, ch) => {
        const t = unit(s.at(r, c), range[0], range[1]);
        if (!(t > 0)) return; // 0 and NaN (unknown) leave what is under
        const col = ctx.colorOf(ch);
        const f = alpha * t;
        px = [px[0] * (1 - f) + col[0] * f, px[1] * (1 - f) + col[1] * f, px[2] * (1 - f) + col[2] * f];
      });
      return [Math.round(px[0]), Math.round(px[1]), Math.round(px[2])];
    },
  };
}

/** A flow tile: the in-plane components of the slice, coloured by direction and length. */
export function flowTile(ctx: TileContext, a: BatchArray, b: number): Tile {
  const { axis, nan } = ctx;
  const k = ctx.sliceIndex(a);
  if (a.channels === 2) {
    // 2D flows [rows, columns] of a slice: already in the image's frame.
    const down = sliceOf(a, b, 0, axis, k);
    const across = sliceOf(a, b, 1, axis, k);
    return {
      h: across.h, w: across.w,
      color: (r, c) => {
        const u = across.at(r, c);
        const v = down.at(r, c);
        return Number.isNaN(u) || Number.isNaN(v) ? nan : flowColor(u, v);
      },
    };
  }
  const { rows, columns } = sliceAxes(axis);
  const ch = [0, 1, 2].map((c) => sliceOf(a, b, c, axis, k));
  const across = ch[columns]!;
  const down = ch[rows]!;
  const normal = ch[axis]!;
  return {
    h: across.h, w: across.w,
    color: (r, c) => {
      const u = across.at(r, c);
      const v = down.at(r, c);
      return Number.isNaN(u) || Number.isNaN(v) || Number.isNaN(normal.at(r, c)) ? nan : flowColor(u, v);
    },
  };
}

/**
 * The input voxel under target voxel (r, c) of slice k: both arrays are centered on the sample
 * center, so index j of a size-n axis sits at (j - (n - 1) / 2) * scale from it.
 */
function overlayBase(ctx: TileContext, t: BatchArray, k: number, b: number): (r: number, c: number) => Rgb {
  const { axis, nan } = ctx;
  const name = ctx.overlayOn;
  if (name === undefined) return () => [0, 0, 0];
  const inp = ctx.arrays.get(name)!;
  const sT = ctx.scaleOf(t.name);
  const sI = ctx.scaleOf(name);
  const map = (j: number, ax: number): number => {
    const p = ((j - (t.dims[ax]! - 1) / 2) * sT[ax]!) / sI[ax]! + (inp.dims[ax]! - 1) / 2;
    return Math.floor(p + 0.5);
  };
  const kI = map(k, axis);
  if (kI < 0 || kI >= inp.dims[axis]) return () => [0, 0, 0];
  const s = sliceOf(inp, b, 0, axis, kI);
  const [ra, ca] = axis === 0 ? [1, 2] : axis === 1 ? [0, 2] : [0, 1];
  const [lo, hi] = ctx.rangeFor(name) ?? finiteRange(s);
  return (r, c) => {
    const ri = map(r, ra);
    const ci = map(c, ca);
    if (ri < 0 || ri >= s.h || ci < 0 || ci >= s.w) return [0, 0, 0];
    const v = unit(s.at(ri, ci), lo, hi);
    return Number.isNaN(v) ? nan : grayColormap(v);
  };
}
