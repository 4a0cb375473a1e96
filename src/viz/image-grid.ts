/**
 * Figures of a batch, for logs and dashboards (Python's `get_image_grid`, `get_image_dict`):
 * one slice (the middle z slice by default) of every array of every sample, drawn into one RGBA
 * image. Rows are samples; columns are the input arrays in gray, then per target array each
 * class in its colour (or all classes as one coloured overlay on the input), each followed by the
 * model's prediction when one is given, then each cellpose flow array in direction colours
 * ({@link flowColor}). No text is drawn; `columns` says what each column holds.
 * @module
 */

import { ArgumentError } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";
import { classColor, grayColormap, rampColormap, type Colormap, type Rgb } from "./colors.ts";
import { flowColor, sliceAxes } from "./flow-color.ts";
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

const SLICE_FRAME: Record<"z" | "y" | "x", readonly number[]> = { z: [0, 1, 2], y: [1, 0, 2], x: [2, 0, 1] };

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

interface Arr {
  name: string;
  batch: number;
  channels: number;
  dims: Vec3;
  data: Float32Array;
}

const AXES = { z: 0, y: 1, x: 2 } as const;

function isArrayData(v: unknown): v is GridArray {
  return typeof v === "object" && v !== null && (v as GridArray).data instanceof Float32Array && Array.isArray((v as GridArray).shape);
}

function toArr(name: string, v: unknown, field: string, planar = false): Arr {
  if (typeof v === "object" && v !== null && "buffer" in v && !("data" in v)) {
    throw new ArgumentError(field, "is on the GPU: read the batch with output \"cpu\"");
  }
  if (!isArrayData(v)) throw new ArgumentError(field, "must be { data: Float32Array, shape }", v);
  const s = v.shape;
  const d = planar ? 2 : 3;
  if (!(s.length === d + 1 || s.length === d + 2) || !s.every((n) => Number.isInteger(n) && n > 0)) {
    const what = planar ? "[B, C, h, w] or [C, h, w] (2D slices)" : "[B, C, z, y, x] or [C, z, y, x]";
    throw new ArgumentError(`${field}.shape`, `must be ${what} of positive integers`, s);
  }
  // A 2D slice is one plane: [.., h, w] reads as [.., 1, h, w].
  const spatial = planar ? [1, ...s.slice(-2)] : s.slice(-3);
  const full = [s.length === d + 1 ? 1 : s[0]!, s[s.length - d - 1]!, ...spatial];
  if (v.data.length !== full.reduce((a, b) => a * b, 1)) {
    throw new ArgumentError(`${field}.data`, `has ${v.data.length} values for shape [${s.join(", ")}]`);
  }
  return { name, batch: full[0]!, channels: full[1]!, dims: [full[2]!, full[3]!, full[4]!], data: v.data };
}

/** Every array entry of a batch (or a dataset item), by name; other fields (idx, center) are skipped. */
function arraysOf(batch: Readonly<Record<string, unknown>>, planar: boolean): Map<string, Arr> {
  if (typeof batch !== "object" || batch === null) throw new ArgumentError("batch", "must be an object of arrays", batch);
  const out = new Map<string, Arr>();
  for (const [name, v] of Object.entries(batch)) {
    if (isArrayData(v) || (typeof v === "object" && v !== null && "buffer" in v && "shape" in v)) out.set(name, toArr(name, v, `batch.${name}`, planar));
  }
  return out;
}

/** One 2D slice: `h` rows by `w` columns, `at(r, c)` the value. */
interface Slice {
  h: number;
  w: number;
  at(r: number, c: number): number;
}

function sliceOf(a: Arr, b: number, ch: number, axis: 0 | 1 | 2, k: number): Slice {
  const [nz, ny, nx] = a.dims;
  const base = (b * a.channels + ch) * nz * ny * nx;
  const d = a.data;
  if (axis === 0) return { h: ny, w: nx, at: (r, c) => d[base + (k * ny + r) * nx + c]! };
  if (axis === 1) return { h: nz, w: nx, at: (r, c) => d[base + (r * ny + k) * nx + c]! };
  return { h: nz, w: ny, at: (r, c) => d[base + (r * ny + c) * nx + k]! };
}

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

function checkRange(r: unknown, field: string): readonly [number, number] {
  if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => Number.isFinite(v)) || !(r[1] > r[0])) {
    throw new ArgumentError(field, "must be [lo, hi] with lo < hi", r);
  }
  return r as unknown as readonly [number, number];
}

function checkRgb(c: unknown, field: string): Rgb {
  if (!Array.isArray(c) || c.length !== 3 || !c.every((v) => Number.isFinite(v) && v >= 0 && v <= 255)) {
    throw new ArgumentError(field, "must be [r, g, b] in [0, 255]", c);
  }
  return c as unknown as Rgb;
}

/** A tile: its slice size and the colour of each of its voxels. */
interface Tile {
  h: number;
  w: number;
  color(r: number, c: number): Rgb;
}

interface Resolved {
  arrays: Map<string, Arr>;
  inputs: string[];
  targets: string[];
  flows: string[];
  predictions: Map<string, Arr>;
  overlayOn: string | undefined;
  /** The arrays are 2D slices (`[.., 1, h, w]` in the slice frame). */
  planar: boolean;
}

function resolve(batch: Readonly<Record<string, unknown>>, o: ImageGridOptions): Resolved {
  if (o.spatialDims !== undefined && o.spatialDims !== 2 && o.spatialDims !== 3) throw new ArgumentError("spatialDims", "must be 2 or 3", o.spatialDims);
  const planar = (o.spatialDims ?? (o.dataset?.slicingAxis !== undefined ? 2 : 3)) === 2;
  const arrays = arraysOf(batch, planar);
  const names = (list: readonly string[] | undefined, field: string): string[] | undefined => {
    if (list === undefined) return undefined;
    if (!Array.isArray(list)) throw new ArgumentError(field, "must be an array of array names", list);
    for (const n of list) if (!arrays.has(n)) throw new ArgumentError(field, `names "${n}", which is not an array of the batch (${[...arrays.keys()].join(", ")})`, list);
    return [...list];
  };
  const ds = o.dataset;
  const targets = names(o.targets, "targets") ?? (ds ? Object.keys(ds.targetArrays).filter((n) => arrays.has(n)) : []);
  const flows = names(o.flows, "flows") ?? Object.keys(ds?.cellposeTargets ?? {}).filter((n) => arrays.has(n) && !targets.includes(n));
  for (const n of flows) {
    if (targets.includes(n)) throw new ArgumentError("flows", `names "${n}", which is also in targets: an array is drawn as classes or as flows`, o.flows);
    const c = arrays.get(n)!.channels;
    const want = planar ? 2 : 3;
    if (c !== want) {
      const what = planar ? "2 channels (rows, columns) on 2D slices" : "3 channels (z, y, x)";
      throw new ArgumentError(`batch.${n}.shape`, `is a flow array, which needs ${what}, not ${c}`, (batch[n] as GridArray).shape);
    }
  }
  const inputs = names(o.inputs, "inputs") ?? (ds ? Object.keys(ds.inputArrays).filter((n) => arrays.has(n)) : [...arrays.keys()].filter((n) => !targets.includes(n) && !flows.includes(n)));
  const predictions = new Map<string, Arr>();
  for (const [name, v] of Object.entries(o.predictions ?? {})) {
    const t = arrays.get(name);
    if (!t || !(targets.includes(name) || flows.includes(name))) throw new ArgumentError("predictions", `has "${name}", which is not a target or flow array (${[...targets, ...flows].join(", ") || "none"}); list it in targets or flows`, name);
    const p = toArr(name, v, `predictions.${name}`, planar);
    if (p.batch !== t.batch || p.channels !== t.channels || p.dims.some((n, k) => n !== t.dims[k])) {
      throw new ArgumentError(`predictions.${name}.shape`, `must match the target's [${[t.batch, t.channels, ...t.dims].join(", ")}]`, v.shape);
    }
    predictions.set(name, p);
  }
  if (o.overlayOn !== undefined && !arrays.has(o.overlayOn)) throw new ArgumentError("overlayOn", "must name an array of the batch", o.overlayOn);
  return { arrays, inputs, targets, flows, predictions, overlayOn: o.overlayOn ?? inputs[0], planar };
}

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
  return drawGrid(resolve(batch, options), options);
}

function drawGrid(res: Resolved, o: ImageGridOptions): ImageGrid {
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
  const sliceIndex = (a: Arr): number => {
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

  // Column makers: sample index -> tile.
  type Maker = { col: Omit<GridColumn, "x" | "width">; tile(b: number): Tile };
  const makers: Maker[] = [];
  const grayTile = (a: Arr, ch: number, b: number): Tile => {
    const s = sliceOf(a, b, ch, axis, sliceIndex(a));
    const [lo, hi] = rangeFor(a.name) ?? finiteRange(s);
    return { h: s.h, w: s.w, color: (r, c) => { const t = unit(s.at(r, c), lo, hi); return Number.isNaN(t) ? nan : grayColormap(t); } };
  };
  const classTile = (a: Arr, ch: number, b: number, range: readonly [number, number]): Tile => {
    const s = sliceOf(a, b, ch, axis, sliceIndex(a));
    const cmap = cmapOf(ch);
    return { h: s.h, w: s.w, color: (r, c) => { const t = unit(s.at(r, c), range[0], range[1]); return Number.isNaN(t) ? nan : cmap(t); } };
  };
  const overlayTile = (a: Arr, b: number, range: readonly [number, number]): Tile => {
    const k = sliceIndex(a);
    const classSlices = Array.from({ length: a.channels }, (_, ch) => sliceOf(a, b, ch, axis, k));
    const h = classSlices[0]!.h;
    const w = classSlices[0]!.w;
    const under = overlayBase(a, k, b);
    return {
      h, w,
      color: (r, c) => {
        let px: [number, number, number] = [...under(r, c)];
        classSlices.forEach((s, ch) => {
          const t = unit(s.at(r, c), range[0], range[1]);
          if (!(t > 0)) return; // 0 and NaN (unknown) leave what is under
          const col = colorOf(ch);
          const f = alpha * t;
          px = [px[0] * (1 - f) + col[0] * f, px[1] * (1 - f) + col[1] * f, px[2] * (1 - f) + col[2] * f];
        });
        return [Math.round(px[0]), Math.round(px[1]), Math.round(px[2])];
      },
    };
  };
  // A flow tile: the in-plane components of the slice, coloured by direction and length.
  const flowTile = (a: Arr, b: number): Tile => {
    const k = sliceIndex(a);
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
  };
  // The input voxel under target voxel (r, c) of slice k: both arrays are centered on the sample
  // center, so index j of a size-n axis sits at (j - (n - 1) / 2) * scale from it.
  const overlayBase = (t: Arr, k: number, b: number): ((r: number, c: number) => Rgb) => {
    const name = res.overlayOn;
    if (name === undefined) return () => [0, 0, 0];
    const inp = res.arrays.get(name)!;
    const sT = scaleOf(t.name);
    const sI = scaleOf(name);
    const map = (j: number, ax: number): number => {
      const p = ((j - (t.dims[ax]! - 1) / 2) * sT[ax]!) / sI[ax]! + (inp.dims[ax]! - 1) / 2;
      return Math.floor(p + 0.5);
    };
    const kI = map(k, axis);
    if (kI < 0 || kI >= inp.dims[axis]) return () => [0, 0, 0];
    const s = sliceOf(inp, b, 0, axis, kI);
    const [ra, ca] = axis === 0 ? [1, 2] : axis === 1 ? [0, 2] : [0, 1];
    const [lo, hi] = rangeFor(name) ?? finiteRange(s);
    return (r, c) => {
      const ri = map(r, ra);
      const ci = map(c, ca);
      if (ri < 0 || ri >= s.h || ci < 0 || ci >= s.w) return [0, 0, 0];
      const v = unit(s.at(ri, ci), lo, hi);
      return Number.isNaN(v) ? nan : grayColormap(v);
    };
  };

  const className = (c: number): string => classes?.[c] ?? String(c);
  for (const name of res.inputs) {
    const a = res.arrays.get(name)!;
    for (let ch = 0; ch < a.channels; ch++) {
      makers.push({ col: { title: a.channels > 1 ? `${name} ${ch}` : name, kind: "input", array: name, channel: ch }, tile: (b) => grayTile(a, ch, b) });
    }
  }
  for (const name of res.targets) {
    const a = res.arrays.get(name)!;
    const p = res.predictions.get(name);
    const range = rangeFor(name) ?? [0, 1];
    if (style === "overlay") {
      makers.push({ col: { title: `${name} overlay`, kind: "overlay", array: name, channel: undefined }, tile: (b) => overlayTile(a, b, range) });
      if (p) makers.push({ col: { title: `pred ${name} overlay`, kind: "overlay", array: name, channel: undefined }, tile: (b) => overlayTile(p, b, predRange) });
      continue;
    }
    for (let ch = 0; ch < a.channels; ch++) {
      makers.push({ col: { title: `${name} ${className(ch)}`, kind: "target", array: name, channel: ch }, tile: (b) => classTile(a, ch, b, range) });
      if (p) makers.push({ col: { title: `pred ${className(ch)}`, kind: "prediction", array: name, channel: ch }, tile: (b) => classTile(p, ch, b, predRange) });
    }
  }

  for (const name of res.flows) {
    const a = res.arrays.get(name)!;
    const p = res.predictions.get(name);
    makers.push({ col: { title: name, kind: "flow", array: name, channel: undefined }, tile: (b) => flowTile(a, b) });
    if (p) makers.push({ col: { title: `pred ${name}`, kind: "flow", array: name, channel: undefined }, tile: (b) => flowTile(p, b) });
  }

  // Sizes: every tile's longer side is tileSize pixels.
  const tiles = Array.from({ length: rows }, (_, b) => makers.map((m) => m.tile(b)));
  const first = tiles[0]!;
  const tileSize = o.tileSize ?? Math.max(...first.map((t) => Math.max(t.h, t.w)));
  if (!(Number.isInteger(tileSize) && tileSize > 0)) throw new ArgumentError("tileSize", "must be a positive integer", o.tileSize);
  const px = first.map((t) => {
    const f = tileSize / Math.max(t.h, t.w);
    return { W: Math.max(1, Math.round(t.w * f)), H: Math.max(1, Math.round(t.h * f)) };
  });
  const cellH = Math.max(...px.map((p) => p.H));
  const columns: GridColumn[] = [];
  let x = gap;
  makers.forEach((m, i) => {
    columns.push({ ...m.col, x, width: px[i]!.W });
    x += px[i]!.W + gap;
  });
  const width = x;
  const height = gap + rows * (cellH + gap);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([bg[0], bg[1], bg[2], 255], i * 4);
  const rowInfo: Array<{ y: number; height: number }> = [];
  for (let b = 0; b < rows; b++) {
    const y0 = gap + b * (cellH + gap);
    rowInfo.push({ y: y0, height: cellH });
    tiles[b]!.forEach((t, i) => {
      const { W, H } = px[i]!;
      const x0 = columns[i]!.x;
      const top = y0 + Math.floor((cellH - H) / 2);
      for (let pr = 0; pr < H; pr++) {
        const r = Math.min(t.h - 1, Math.floor((pr * t.h) / H));
        for (let pc = 0; pc < W; pc++) {
          const c = Math.min(t.w - 1, Math.floor((pc * t.w) / W));
          const col = t.color(r, c);
          const o4 = ((top + pr) * width + x0 + pc) * 4;
          data[o4] = col[0];
          data[o4 + 1] = col[1];
          data[o4 + 2] = col[2];
          data[o4 + 3] = 255;
        }
      }
    });
  }
  return { data, width, height, columns, rows: rowInfo };
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
  const res = resolve(batch, options);
  const out: Record<string, ImageGrid> = {};
  for (const name of res.inputs) out[name] = drawGrid({ ...res, inputs: [name], targets: [], flows: [] }, options);
  for (const name of res.targets) out[name] = drawGrid({ ...res, inputs: [], targets: [name], flows: [] }, options);
  for (const name of res.flows) out[name] = drawGrid({ ...res, inputs: [], targets: [], flows: [name] }, options);
  return out;
}
