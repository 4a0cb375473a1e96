/**
 * The colour of a flow vector in the figures (cellpose flow targets, `[3, z, y, x]` unit vectors
 * toward each object's center). A slice shows the part of each vector that lies in its plane:
 * its direction as hue and its length as brightness, the usual flow-field picture.
 * @module
 */

import type { Rgb } from "./colors.ts";

/**
 * The channels (0 z, 1 y, 2 x) that run along a slice's rows and columns: a z slice shows y down
 * and x across, a y slice z down and x across, an x slice z down and y across.
 *
 * @example
 * ```ts
 * sliceAxes(0); // { rows: 1, columns: 2 }
 * ```
 */
export function sliceAxes(axis: 0 | 1 | 2): { rows: 0 | 1 | 2; columns: 0 | 1 | 2 } {
  return axis === 0 ? { rows: 1, columns: 2 } : axis === 1 ? { rows: 0, columns: 2 } : { rows: 0, columns: 1 };
}

/**
 * The colour of an in-plane flow `(across, down)`: hue `atan2(down, across)` in degrees (0 right
 * = red, 90 down = chartreuse, 180 left = cyan, 270 up = violet), full saturation, brightness
 * `min(1, hypot(across, down))`, then rounded to 8 bits. A zero vector, or one along the slice
 * normal, is black. NaN gives NaN channels: callers draw their NaN colour instead.
 *
 * @param across The component along the slice's columns (x of a z slice), to the right.
 * @param down The component along the slice's rows (y of a z slice), downwards.
 * @example
 * ```ts
 * flowColor(1, 0);    // [255, 0, 0]: pointing right
 * flowColor(0, -0.5); // [64, 0, 128]: half length, pointing up
 * flowColor(0, 0);    // [0, 0, 0]
 * ```
 */
export function flowColor(across: number, down: number): Rgb {
  const value = Math.min(1, Math.hypot(across, down));
  if (!(value > 0)) return Number.isNaN(value) ? [NaN, NaN, NaN] : [0, 0, 0];
  const degrees = (Math.atan2(down, across) * 180) / Math.PI;
  const h = (((degrees % 360) + 360) % 360) / 60;
  const c = 255 * value;
  const x = c * (1 - Math.abs((h % 2) - 1));
  const [r, g, b] =
    h < 1 ? [c, x, 0] : h < 2 ? [x, c, 0] : h < 3 ? [0, c, x] : h < 4 ? [0, x, c] : h < 5 ? [x, 0, c] : [c, 0, x];
  return [Math.round(r), Math.round(g), Math.round(b)];
}
