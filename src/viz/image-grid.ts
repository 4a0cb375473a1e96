/**
 * Figures of a batch, for logs and dashboards (Python's `get_image_grid`, `get_image_dict`):
 * one slice (the middle z slice by default) of every array of every sample, drawn into one RGBA
 * image. Rows are samples; columns are the input arrays in gray, then per target array each
 * class in its colour (or all classes as one coloured overlay on the input), each followed by the
 * model's prediction when one is given, then each cellpose flow array in direction colours
 * ({@link flowColor}). No text is drawn; `columns` says what each column holds.
 *
 * Parts: the option and result types (`./image-grid-options.ts`); reading and sorting the
 * batch's arrays (`./image-grid-batch.ts`); colouring one slice as a tile (`./image-grid-tiles.ts`);
 * painting the tiles into the image (`./image-grid-paint.ts`).
 * @module
 */

import { ArgumentError } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";
import { classColor, grayColormap, rampColormap, type Colormap, type Rgb } from "./colors.ts";
import { type BatchArray, type ResolvedGrid, resolveGrid } from "./image-grid-batch.ts";
import { checkRange, checkRgb, type GridColumn, type ImageGrid, type ImageGridOptions } from "./image-grid-options.ts";
import { paintGrid } from "./image-grid-paint.ts";
import { classTile, flowTile, grayTile, overlayTile, type Tile, type TileContext } from "./image-grid-tiles.ts";

export type { GridArray, GridColumn, ImageGrid, ImageGridOptions, ImageGridSource } from "./image-grid-options.ts";

const SLICE_FRAME: Record<"z" | "y" | "x", readonly number[]> = { z: [0, 1, 2], y: [1, 0, 2], x: [2, 0, 1] };

const AXES = { z: 0, y: 1, x: 2 } as const;

/**
 * Draw one slice of every array of every sample of a batch into a grid image.
 *
 * @param batch A loader batch read with `output: "cpu"` (arrays `[B, C, z, y, x]`) or one
 *   `dataset.get(i)` item (arrays `[C, z, y, x]`); fields that are not arrays are ignored.
 * @example
 * ```ts
 * for await (const batch of loader) {
 *   const grid = imageGrid(batch, { dataset, predictions: { gt: prediction } });
 *   const png = await encodePng(grid); // one row per sample: raw | gt mito | pred mito | ...
 *   break;
 * }
 * ```
 * @throws {ArgumentError} naming the bad field (GPU arrays, mismatched batch sizes, a slice index out of range).
 */
export function imageGrid(batch: Readonly<Record<string, unknown>>, options: ImageGridOptions = {}): ImageGrid {
  return drawGrid(resolveGrid(batch, options), options);
}

/** The grid of the resolved arrays: options checked, one tile maker per column, tiles painted. */
function drawGrid(res: ResolvedGrid, o: ImageGridOptions): ImageGrid {
  const axisName = o.axis ?? "z";
  if (!(axisName in AXES)) throw new ArgumentError("axis", 'must be "z", "y" or "x"', o.axis);
  const axis = AXES[axisName];
  const nan = o.nanColor === undefined ? ([255, 0, 255] as Rgb) : checkRgb(o.nanColor, "nanColor");
  const bg = o.background === undefined ? ([255, 255, 255] as Rgb) : checkRgb(o.background, "background");
  const gap = o.gap ?? 2;
  if (!(Number.isInteger(gap) && gap >= 0)) throw new ArgumentError("gap", "must be a non-negative integer", o.gap);
  const style = o.targetStyle ?? "colormap";
  if (style !== "colormap" && style !== "overlay") throw new ArgumentError("targetStyle", 'must be "colormap" or "overlay"', style);
  const alpha = o.overlayAlpha ?? 0.5;
  if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentError("overlayAlpha", "must be in [0, 1]", o.overlayAlpha);
  const predRange = o.predictionRange === undefined ? ([0, 1] as const) : checkRange(o.predictionRange, "predictionRange");
  const classes = o.classes ?? o.dataset?.classes;
  const colorOf = (c: number): Rgb => (o.classColors?.[c] !== undefined ? checkRgb(o.classColors[c], `classColors[${c}]`) : classColor(c));
  const cmapOf = (c: number): Colormap => {
    const m = o.colormap ?? "class";
    if (typeof m === "function") return m;
    if (m === "gray") return grayColormap;
    if (m === "class") return rampColormap(colorOf(c));
    throw new ArgumentError("colormap", 'must be "class", "gray" or a function', m);
  };
  const rangeFor = (name: string, field = `range.${name}`): readonly [number, number] | undefined => {
    const r = o.range;
    if (r === undefined) return undefined;
    if (Array.isArray(r)) return res.targets.includes(name) ? undefined : checkRange(r, "range");
    const v = (r as Record<string, readonly [number, number]>)[name];
    return v === undefined ? undefined : checkRange(v, field);
  };
  const sliceIndex = (a: BatchArray): number => {
    const n = a.dims[axis];
    const k = o.index ?? Math.floor(n / 2);
    if (!(Number.isInteger(k) && k >= 0 && k < n)) throw new ArgumentError("index", `must be an integer in [0, ${n}) for array "${a.name}" (${axisName} size ${n})`, o.index);
    return k;
  };
  // Voxel sizes in the arrays' own frame: a slice's (normal, rows, columns) are world axes
  // z, y, x for a z slice, y, z, x for a y slice and x, z, y for an x slice.
  const frame = res.planar && o.dataset?.slicingAxis !== undefined ? SLICE_FRAME[o.dataset.slicingAxis] : [0, 1, 2];
  const scaleOf = (name: string): Vec3 => {
    const spec = o.dataset?.inputArrays[name] ?? o.dataset?.targetArrays[name];
    return spec ? frame.map((k) => spec.scale[k]!) as unknown as Vec3 : [1, 1, 1];
  };

  // Batch size: every drawn array must agree.
  const drawn = [...res.inputs, ...res.targets, ...res.flows, ...(style === "overlay" && res.overlayOn ? [res.overlayOn] : [])];
  if (drawn.length === 0) throw new ArgumentError("batch", "has no arrays to draw");
  const batchSize = res.arrays.get(drawn[0]!)!.batch;
  for (const n of drawn) {
    const b = res.arrays.get(n)!.batch;
    if (b !== batchSize) throw new ArgumentError(`batch.${n}.shape`, `has ${b} samples but "${drawn[0]}" has ${batchSize}`);
  }
  const samples = o.samples === undefined ? batchSize : o.samples;
  if (!(Number.isInteger(samples) && samples > 0)) throw new ArgumentError("samples", "must be a positive integer", o.samples);
  const rows = Math.min(samples, batchSize);

  const ctx: TileContext = { axis, nan, alpha, arrays: res.arrays, overlayOn: res.overlayOn, sliceIndex, rangeFor, colorOf, cmapOf, scaleOf };

  // Column makers: sample index -> tile.
  type Maker = { col: Omit<GridColumn, "x" | "width">; tile(b: number): Tile };
  const makers: Maker[] = [];

  const className = (c: number): string => classes?.[c] ?? String(c);
  for (const name of res.inputs) {
    const a = res.arrays.get(name)!;
    for (let ch = 0; ch < a.channels; ch++) {
      makers.push({ col: { title: a.channels > 1 ? `${name} ${ch}` : name, kind: "input", array: name, channel: ch }, tile: (b) => grayTile(ctx, a, ch, b) });
    }
  }
  for (const name of res.targets) {
    const a = res.arrays.get(name)!;
    const p = res.predictions.get(name);
    const range = rangeFor(name) ?? [0, 1];
    if (style === "overlay") {
      makers.push({ col: { title: `${name} overlay`, kind: "overlay", array: name, channel: undefined }, tile: (b) => overlayTile(ctx, a, b, range) });
      if (p) makers.push({ col: { title: `pred ${name} overlay`, kind: "overlay", array: name, channel: undefined }, tile: (b) => overlayTile(ctx, p, b, predRange) });
      continue;
    }
    for (let ch = 0; ch < a.channels; ch++) {
      makers.push({ col: { title: `${name} ${className(ch)}`, kind: "target", array: name, channel: ch }, tile: (b) => classTile(ctx, a, ch, b, range) });
      if (p) makers.push({ col: { title: `pred ${className(ch)}`, kind: "prediction", array: name, channel: ch }, tile: (b) => classTile(ctx, p, ch, b, predRange) });
    }
  }

  for (const name of res.flows) {
    const a = res.arrays.get(name)!;
    const p = res.predictions.get(name);
    makers.push({ col: { title: name, kind: "flow", array: name, channel: undefined }, tile: (b) => flowTile(ctx, a, b) });
    if (p) makers.push({ col: { title: `pred ${name}`, kind: "flow", array: name, channel: undefined }, tile: (b) => flowTile(ctx, p, b) });
  }

  const tiles = Array.from({ length: rows }, (_, b) => makers.map((m) => m.tile(b)));
  return paintGrid(makers.map((m) => m.col), tiles, { tileSize: o.tileSize, gap, background: bg });
}

/**
 * One grid image per array (Python's `get_image_dict`, which makes one per class): each input
 * on its own, each target with its classes, and each flow array (each with its prediction when
 * given).
 *
 * @example
 * ```ts
 * const images = imageDict(batch, { dataset });
 * for (const [name, image] of Object.entries(images)) await Deno.writeFile(`${name}.png`, await encodePng(image));
 * ```
 */
export function imageDict(batch: Readonly<Record<string, unknown>>, options: ImageGridOptions = {}): Record<string, ImageGrid> {
  const res = resolveGrid(batch, options);
  const out: Record<string, ImageGrid> = {};
  for (const name of res.inputs) out[name] = drawGrid({ ...res, inputs: [name], targets: [], flows: [] }, options);
  for (const name of res.targets) out[name] = drawGrid({ ...res, inputs: [], targets: [name], flows: [] }, options);
  for (const name of res.flows) out[name] = drawGrid({ ...res, inputs: [], targets: [], flows: [name] }, options);
  return out;
}
