/**
 * The plain-data types of {@link imageGrid} and {@link imageDict}: the arrays and dataset they
 * draw, their options, and the image they return with its column and row layout; and the checks
 * of the colour and range options.
 *
 * @example
 * ```ts
 * const options: ImageGridOptions = { axis: "y", targetStyle: "overlay", tileSize: 128 };
 * const grid: ImageGrid = imageGrid(batch, options);
 * grid.columns.map((c) => c.title); // ["raw", "gt overlay"]
 * ```
 * @module
 */

import { ArgumentError } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";
import type { Colormap, Rgb } from "./colors.ts";
import type { RgbaImage } from "./png.ts";

/** One array of a batch: `[B, C, z, y, x]` (a loader batch) or `[C, z, y, x]` (one `dataset.get` item). */
export interface GridArray {
  data: Float32Array;
  shape: readonly number[];
}

/** What a dataset says about its arrays (a `CellMapDataset` fits). */
export interface ImageGridSource {
  inputArrays: Readonly<Record<string, { shape: Readonly<Vec3>; scale: Readonly<Vec3> }>>;
  targetArrays: Readonly<Record<string, { shape: Readonly<Vec3>; scale: Readonly<Vec3> }>>;
  classes?: readonly string[];
  /** Cellpose flow target arrays (`[3, z, y, x]` items), by name: drawn as flows. */
  cellposeTargets?: Readonly<Record<string, unknown>>;
  /** Set on a dataset of 2D slices: its items are `[C, h, w]` and its batches `[B, C, h, w]`. */
  slicingAxis?: "z" | "y" | "x" | undefined;
}

/** Options of {@link imageGrid}. */
export interface ImageGridOptions {
  /** Takes `inputs`, `targets`, `classes` and voxel sizes (for overlays) from a dataset. */
  dataset?: ImageGridSource;
  /**
   * 2 for 2D slices (items `[C, h, w]`, batches `[B, C, h, w]`), 3 for volumes (items
   * `[C, z, y, x]`, batches `[B, C, z, y, x]`). Default: 2 when `dataset` slices, else 3.
   */
  spatialDims?: 2 | 3;
  /** Arrays drawn in gray (default: the dataset's inputs, else every array not in `targets`). */
  inputs?: readonly string[];
  /** Arrays drawn per class (default: the dataset's targets, else none). */
  targets?: readonly string[];
  /**
   * Cellpose flow arrays (3 channels: the z, y, x components of a vector), drawn as one tile per
   * sample in direction colours (see {@link flowColor}): the slice's in-plane part of each vector,
   * its direction as hue and its length as brightness; zero vectors black, NaN in `nanColor`.
   * Default: the dataset's `cellposeTargets`, else none.
   */
  flows?: readonly string[];
  /** Model outputs by target or flow array name, same shape as that array: drawn after each of its classes (or after its flows). */
  predictions?: Readonly<Record<string, GridArray>>;
  /** Class names (titles in `columns`; default the dataset's). */
  classes?: readonly string[];
  /** Axis across which to slice (default "z": the image shows y down, x across). */
  axis?: "z" | "y" | "x";
  /** Slice index along `axis` (default the middle, `floor(n / 2)`). */
  index?: number;
  /**
   * Value range mapped to black..white (inputs) or 0..1 of the colormap (targets): one range for
   * every input, or `{ name: [lo, hi] }`. Inputs default to each tile's finite min and max,
   * targets to `[0, 1]`.
   */
  range?: readonly [number, number] | Readonly<Record<string, readonly [number, number]>>;
  /** Range of the predictions (default `[0, 1]`). */
  predictionRange?: readonly [number, number];
  /** "colormap" (default): a tile per class; "overlay": one tile per target, classes blended on the input. */
  targetStyle?: "colormap" | "overlay";
  /** Colormap of class tiles: "class" (black to the class colour, default), "gray", or a function. */
  colormap?: "class" | "gray" | Colormap;
  /** Colour of class i (default {@link classColor}). */
  classColors?: readonly Rgb[];
  /** Opacity of a class at value 1 in an overlay (default 0.5). */
  overlayAlpha?: number;
  /** Input array under the overlay (default the first input). */
  overlayOn?: string;
  /** Colour of NaN voxels (default magenta `[255, 0, 255]`). */
  nanColor?: Rgb;
  /** Colour of the gaps (default white). */
  background?: Rgb;
  /** Pixels between tiles and around the grid (default 2). */
  gap?: number;
  /** Pixels of the longer side of every tile, nearest-neighbour scaled (default the longest slice side). */
  tileSize?: number;
  /** Draw at most this many samples (default all). */
  samples?: number;
}

/** What one column of the grid shows. */
export interface GridColumn {
  /** "raw", "gt mito", "pred mito", "gt overlay", ... */
  title: string;
  /** "flow": a flow array (or its prediction, titled "pred <name>"), channel undefined. */
  kind: "input" | "target" | "prediction" | "overlay" | "flow";
  array: string;
  /** Channel (class index) for input, target and prediction columns. */
  channel: number | undefined;
  /** Left pixel and width of the column's tiles. */
  x: number;
  width: number;
}

/** The grid image and where its tiles are. */
export interface ImageGrid extends RgbaImage {
  columns: GridColumn[];
  /** Top pixel and height of each sample's row. */
  rows: Array<{ y: number; height: number }>;
}
/** `r` as a value range `[lo, hi]` with `lo < hi`, both finite. @throws {ArgumentError} naming `field` */
export function checkRange(r: unknown, field: string): readonly [number, number] {
  if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => Number.isFinite(v)) || !(r[1] > r[0])) {
    throw new ArgumentError(field, "must be [lo, hi] with lo < hi", r);
  }
  return r as unknown as readonly [number, number];
}

/** `c` as a colour `[r, g, b]` in [0, 255]. @throws {ArgumentError} naming `field` */
export function checkRgb(c: unknown, field: string): Rgb {
  if (!Array.isArray(c) || c.length !== 3 || !c.every((v) => Number.isFinite(v) && v >= 0 && v <= 255)) {
    throw new ArgumentError(field, "must be [r, g, b] in [0, 255]", c);
  }
  return c as unknown as Rgb;
}
