/**
 * The batch as one figure, with the library's `imageGrid` and `encodePng`: one row per sample,
 * the raw in gray (each tile's min..max), then every class of the targets in its colour; signed
 * distance targets on a blue-black-yellow scale over [-1, 1]. The panel shows the PNG and saves it.
 * @module
 */
import { encodePng, imageGrid, type Colormap, type GridArray, type ImageGrid, type Rgb } from "../../src/index.ts";
import type { DrawnBatch } from "./batch-source.ts";
import { classColor } from "./colors.ts";

/** A figure of a batch: the grid (sizes, columns) and its PNG. */
export interface BatchFigure {
  grid: ImageGrid;
  png: Uint8Array;
}

/** -1 blue, 0 black, +1 yellow: how the panel shows a signed distance after `tanh`. */
export const divergingColormap: Colormap = (t) => {
  const s = 2 * t - 1;
  return s < 0 ? [Math.round(40 * -s), Math.round(110 * -s), Math.round(255 * -s)] : [Math.round(255 * s), Math.round(215 * s), 0];
};

/**
 * A `[B, C, h, w]` batch of 2D slices as `[B, C, 1, h, w]`, the layout `imageGrid` reads (its
 * 4D form is one dataset item, `[C, z, y, x]`).
 */
function asVolume(a: GridArray): GridArray {
  return a.shape.length === 4 ? { data: a.data, shape: [a.shape[0]!, a.shape[1]!, 1, a.shape[2]!, a.shape[3]!] } : a;
}

/** Draw the batch's figure and encode it as PNG. */
export async function batchFigure(d: DrawnBatch, options: { signedDistance: boolean; signal?: AbortSignal }): Promise<BatchFigure> {
  const arrays: Record<string, GridArray> = {};
  for (const name of [...d.inputs, ...d.targets]) arrays[name] = asVolume(d.batch[name]!);
  const grid = imageGrid(arrays, {
    inputs: d.inputs,
    targets: d.targets,
    classes: d.classes,
    classColors: d.classes.map((c) => classColor(c).map((v) => Math.round(v * 255)) as unknown as Rgb),
    ...(options.signedDistance ? { range: Object.fromEntries(d.targets.map((t) => [t, [-1, 1] as const])), colormap: divergingColormap } : {}),
    nanColor: [70, 70, 70],
    background: [18, 22, 27],
  });
  const png = await encodePng(grid, options.signal ? { signal: options.signal } : {});
  return { grid, png };
}
