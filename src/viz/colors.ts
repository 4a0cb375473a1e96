/**
 * Colours of the figures and neuroglancer layers: one distinct colour per class, and the value
 * to colour maps of the image grid.
 * @module
 */

/** An 8-bit colour: red, green, blue in [0, 255]. */
export type Rgb = readonly [number, number, number];

/** A value in [0, 1] to a colour. */
export type Colormap = (t: number) => Rgb;

/**
 * The colour of class `i`: hues a golden angle (137.5°) apart, saturation 0.75, full value, so
 * neighbouring classes differ and any number of classes gets colours. Class 0 is red
 * `[255, 64, 64]`.
 *
 * @example
 * ```ts
 * classColor(0); // [255, 64, 64]
 * ```
 */
export function classColor(i: number): Rgb {
  const h = (((i * 137.50776405003785) % 360) + 360) % 360 / 60;
  const v = 255;
  const s = 0.75;
  const c = v * s;
  const x = c * (1 - Math.abs((h % 2) - 1));
  const m = v - c;
  const [r, g, b] =
    h < 1 ? [c, x, 0] : h < 2 ? [x, c, 0] : h < 3 ? [0, c, x] : h < 4 ? [0, x, c] : h < 5 ? [x, 0, c] : [c, 0, x];
  return [Math.round(r + m), Math.round(g + m), Math.round(b + m)];
}

/** `#rrggbb` of a colour. */
export function rgbHex(c: Rgb): string {
  return `#${c.map((v) => Math.max(0, Math.min(255, Math.round(v))).toString(16).padStart(2, "0")).join("")}`;
}

/** Gray: 0 is black, 1 is white. */
export const grayColormap: Colormap = (t) => {
  const v = Math.round(255 * t);
  return [v, v, v];
};

/** Black at 0 to `color` at 1 (linear in each channel). */
export function rampColormap(color: Rgb): Colormap {
  return (t) => [Math.round(color[0] * t), Math.round(color[1] * t), Math.round(color[2] * t)];
}
