/**
 * Neuroglancer links: a viewer state (JSON) with one layer per zarr array, its dimensions in
 * x, y, z and a position, and the URL that opens it (`<base>#!<url-encoded JSON>`). Helpers put
 * a {@link CellMapDataset}'s raw array and label arrays, or one {@link CellMapArray}, at a sample
 * center. Nothing is fetched: the viewer reads the data itself.
 *
 * Conventions: our world coordinates are z, y, x (NGFF world units); neuroglancer's dimensions
 * are named x, y, z, each with a scale in base units (`[8e-9, "m"]` for 8 nm), and its position is
 * in those scaled units: `position[x] = world_x / scale_x`. Neuroglancer places an NGFF voxel's
 * center at `translation + i * scale`, as we do, so a world point needs no half-voxel shift.
 * @module
 */

import type { CellMapArray } from "../array/cellmap-array.ts";
import type { CellMapDataset } from "../dataset/dataset.ts";
import { ArgumentError } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";
import { resolveLocation } from "../store/open.ts";
import { classColor, rgbHex } from "./colors.ts";

/** The public neuroglancer deployment (the default `base` of the URL helpers). */
export const NEUROGLANCER_DEMO = "https://neuroglancer-demo.appspot.com/";

/** Layer types that read a zarr source. */
export type NeuroglancerLayerKind = "image" | "segmentation";

/** One layer to show. */
export interface NeuroglancerLayerSpec {
  /** Layer name (unique within the state). */
  name: string;
  /**
   * The OME-NGFF multiscale group (or a single zarr array): `http(s)://`, `gs://`, or `s3://`
   * (turned into its public HTTPS address). Local paths need the `mapUrl` option.
   */
  url: string;
  kind: NeuroglancerLayerKind;
  /**
   * zarr version of the source: 3 gives `zarr3://`; 2 and "auto" (default) give `zarr://`, which
   * neuroglancer auto-detects (and which older deployments, without zarr v3, read as v2).
   */
  zarrFormat?: 2 | 3 | "auto";
  /** A neuroglancer GLSL shader (image layers). */
  shader?: string;
  /** Shown (default true). */
  visible?: boolean;
  /** Layer opacity in [0, 1]. */
  opacity?: number;
  /** Segment ids shown selected (segmentation layers), e.g. `["1"]`. */
  segments?: readonly (string | number)[];
  /** Colour per segment id (segmentation layers), CSS `#rrggbb`. */
  segmentColors?: Readonly<Record<string, string>>;
}

/** Options of {@link neuroglancerState}. */
export interface NeuroglancerStateOptions {
  layers: readonly NeuroglancerLayerSpec[];
  /** Size of one unit of each viewer dimension, z, y, x (typically the finest voxel size). */
  voxelSize: Readonly<Vec3>;
  /** Unit of `voxelSize` and `position` (default "nm"): an NGFF unit name or its symbol. */
  unit?: string;
  /** World position to center on, z, y, x in `unit` (default: neuroglancer centers on the data). */
  position?: Readonly<Vec3>;
  /** Zoom of the 2D views, in viewer units (voxels of `voxelSize`) per screen pixel. */
  crossSectionScale?: number;
  /** Panel layout, e.g. "4panel" (default), "xy", "xz", "yz", "3d". */
  layout?: string;
  /** The layer whose panel is open in the side bar. */
  selectedLayer?: string;
  /** Turns a location neuroglancer cannot read (a local path) into one it can (an http URL). */
  mapUrl?: (url: string) => string;
}

/** A neuroglancer layer as the viewer state holds it. */
export interface NeuroglancerLayerState {
  type: NeuroglancerLayerKind;
  name: string;
  source: string;
  visible?: boolean;
  opacity?: number;
  shader?: string;
  segments?: string[];
  segmentColors?: Record<string, string>;
}

/** The part of neuroglancer's viewer state that these helpers write. */
export interface NeuroglancerState {
  /** `{ x: [scale, baseUnit], y: ..., z: ... }`, e.g. `[8e-9, "m"]`. */
  dimensions: { x: [number, string]; y: [number, string]; z: [number, string] };
  /** x, y, z in units of `dimensions`. */
  position?: [number, number, number];
  crossSectionScale?: number;
  layers: NeuroglancerLayerState[];
  layout: string;
  selectedLayer?: { layer: string; visible: boolean };
}

/** Unit name or symbol -> [base unit, power of ten]. */
const UNITS: Record<string, [string, number]> = {
  nm: ["m", -9], nanometer: ["m", -9],
  um: ["m", -6], "µm": ["m", -6], micrometer: ["m", -6],
  mm: ["m", -3], millimeter: ["m", -3],
  m: ["m", 0], meter: ["m", 0],
  pm: ["m", -12], picometer: ["m", -12],
  angstrom: ["m", -10], "Å": ["m", -10],
};

/** `value` times 10^exp, divided rather than multiplied for negative powers (8 / 1e9 is exactly 8e-9). */
function scaled(value: number, exp: number): number {
  return exp < 0 ? value / 10 ** -exp : value * 10 ** exp;
}

/**
 * The neuroglancer data source URL of a zarr location: `zarr3://` (v3) or `zarr://` (v2, or
 * auto-detect) before its HTTP(S) or `gs://` address. `s3://bucket/key` becomes the bucket's public
 * HTTPS address (as the arrays are read here).
 *
 * @example
 * ```ts
 * neuroglancerSource("s3://janelia-cosem-datasets/jrc_hela-2/jrc_hela-2.zarr/recon-1/em/fibsem-uint8", 3);
 * // "zarr3://https://janelia-cosem-datasets.s3.amazonaws.com/jrc_hela-2/jrc_hela-2.zarr/recon-1/em/fibsem-uint8"
 * ```
 * @throws {ArgumentError} for a location neuroglancer cannot read (a local path) when no `mapUrl` is given.
 */
export function neuroglancerSource(url: string, zarrFormat: 2 | 3 | "auto" = "auto", options: { mapUrl?: (url: string) => string; field?: string } = {}): string {
  const field = options.field ?? "url";
  if (typeof url !== "string" || url === "") throw new ArgumentError(field, "must be a non-empty URL", url);
  let u = options.mapUrl ? options.mapUrl(url) : url;
  u = resolveLocation(u).replace(/\/+$/, "");
  if (!/^(https?|gs):\/\//i.test(u)) {
    throw new ArgumentError(field, "must be an http(s)://, gs:// or s3:// URL that neuroglancer can read; serve local data over HTTP and pass mapUrl", u);
  }
  const scheme = zarrFormat === 3 ? "zarr3" : zarrFormat === 2 || zarrFormat === "auto" ? "zarr" : undefined;
  if (!scheme) throw new ArgumentError(field.replace(/url$/, "zarrFormat"), 'must be 2, 3 or "auto"', zarrFormat);
  return `${scheme}://${u}`;
}

/**
 * A neuroglancer viewer state for zarr layers.
 *
 * @example
 * ```ts
 * const state = neuroglancerState({
 *   layers: [
 *     { name: "raw", url: "https://host/jrc.zarr/recon-1/em/fibsem-uint8", kind: "image", zarrFormat: 3 },
 *     { name: "mito", url: "https://host/jrc.zarr/recon-1/labels/groundtruth/crop1/mito", kind: "segmentation", zarrFormat: 3 },
 *   ],
 *   voxelSize: [8, 4, 4],            // z, y, x nm
 *   position: [4000, 2000, 1000],     // world z, y, x nm
 * });
 * state.position; // [250, 500, 500]: x, y, z in voxels of voxelSize
 * ```
 * @throws {ArgumentError} naming the bad field.
 */
export function neuroglancerState(options: NeuroglancerStateOptions): NeuroglancerState {
  const unit = options.unit ?? "nm";
  const u = UNITS[unit];
  if (!u) throw new ArgumentError("unit", `must be one of ${Object.keys(UNITS).join(", ")}`, unit);
  const vs = options.voxelSize;
  if (!Array.isArray(vs) || vs.length !== 3 || !vs.every((v) => Number.isFinite(v) && v > 0)) {
    throw new ArgumentError("voxelSize", "must be three positive numbers (z, y, x)", vs);
  }
  const [sz, sy, sx] = vs as Vec3;
  const state: NeuroglancerState = {
    dimensions: { x: [scaled(sx, u[1]), u[0]], y: [scaled(sy, u[1]), u[0]], z: [scaled(sz, u[1]), u[0]] },
    layers: [],
    layout: options.layout ?? "4panel",
  };
  if (options.position !== undefined) {
    const p = options.position;
    if (!Array.isArray(p) || p.length !== 3 || !p.every((v) => Number.isFinite(v))) {
      throw new ArgumentError("position", "must be three finite numbers (world z, y, x)", p);
    }
    state.position = [p[2]! / sx, p[1]! / sy, p[0]! / sz];
  }
  if (options.crossSectionScale !== undefined) {
    if (!(options.crossSectionScale > 0)) throw new ArgumentError("crossSectionScale", "must be a positive number", options.crossSectionScale);
    state.crossSectionScale = options.crossSectionScale;
  }
  if (!Array.isArray(options.layers)) throw new ArgumentError("layers", "must be an array of layers", options.layers);
  const names = new Set<string>();
  options.layers.forEach((l, i) => {
    const f = `layers[${i}]`;
    if (typeof l?.name !== "string" || l.name === "") throw new ArgumentError(`${f}.name`, "must be a non-empty string", l?.name);
    if (names.has(l.name)) throw new ArgumentError(`${f}.name`, "must be unique", l.name);
    names.add(l.name);
    if (l.kind !== "image" && l.kind !== "segmentation") throw new ArgumentError(`${f}.kind`, 'must be "image" or "segmentation"', l.kind);
    const mapUrl = options.mapUrl;
    const layer: NeuroglancerLayerState = {
      type: l.kind,
      name: l.name,
      source: neuroglancerSource(l.url, l.zarrFormat ?? "auto", { field: `${f}.url`, ...(mapUrl ? { mapUrl } : {}) }),
    };
    if (l.visible !== undefined) layer.visible = l.visible;
    if (l.opacity !== undefined) {
      if (!(l.opacity >= 0 && l.opacity <= 1)) throw new ArgumentError(`${f}.opacity`, "must be in [0, 1]", l.opacity);
      layer.opacity = l.opacity;
    }
    if (l.shader !== undefined) {
      if (l.kind !== "image") throw new ArgumentError(`${f}.shader`, "applies to image layers only", l.kind);
      layer.shader = l.shader;
    }
    if (l.segments !== undefined || l.segmentColors !== undefined) {
      if (l.kind !== "segmentation") throw new ArgumentError(`${f}.segments`, "apply to segmentation layers only", l.kind);
      if (l.segments) layer.segments = l.segments.map(String);
      if (l.segmentColors) layer.segmentColors = { ...l.segmentColors };
    }
    state.layers.push(layer);
  });
  if (options.selectedLayer !== undefined) {
    if (!names.has(options.selectedLayer)) throw new ArgumentError("selectedLayer", "must name one of the layers", options.selectedLayer);
    state.selectedLayer = { layer: options.selectedLayer, visible: true };
  }
  return state;
}

/**
 * The URL that opens a viewer state: `<base>#!<url-encoded JSON>`.
 *
 * @param state A state from {@link neuroglancerState} (or any neuroglancer state object).
 * @param base The neuroglancer deployment (default {@link NEUROGLANCER_DEMO}).
 * @example
 * ```ts
 * const url = neuroglancerUrl(neuroglancerState({ layers, voxelSize: [8, 8, 8] }), "http://localhost:8080/");
 * ```
 */
export function neuroglancerUrl(state: NeuroglancerState | Readonly<Record<string, unknown>>, base: string = NEUROGLANCER_DEMO): string {
  if (typeof base !== "string" || !/^https?:\/\//i.test(base) || base.includes("#")) {
    throw new ArgumentError("base", "must be an http(s) URL without a fragment", base);
  }
  return `${base}#!${encodeURIComponent(JSON.stringify(state))}`;
}

/** Options of {@link datasetNeuroglancerState}. */
export interface DatasetNeuroglancerOptions extends Omit<NeuroglancerStateOptions, "layers" | "voxelSize" | "position" | "unit"> {
  /** Center on sample `index` (its world center). */
  index?: number;
  /** Center on this world point (z, y, x), when `index` is not given. */
  center?: Readonly<Vec3>;
  /** Viewer voxel size, z, y, x (default: the raw array's finest voxel size). */
  voxelSize?: Readonly<Vec3>;
  /** Name of the raw layer (default "raw"). */
  rawName?: string;
  /** Extra layers after the dataset's (e.g. predictions written by the writer). */
  extraLayers?: readonly NeuroglancerLayerSpec[];
  /** Neuroglancer deployment of the URL helpers (default {@link NEUROGLANCER_DEMO}). */
  base?: string;
}

/** What the dataset helpers read from a dataset (any `CellMapDataset` fits). */
export type NeuroglancerDataset = Pick<CellMapDataset, "input" | "classes" | "classArray" | "center">;

function unitOf(array: CellMapArray): string {
  const unit = array.multiscale.unit;
  return unit !== undefined && UNITS[unit] ? unit : "nm";
}

/**
 * The viewer state of a dataset: its raw array as an image layer and one segmentation layer
 * per class the crop annotates (segment 1 in the class's colour), centered on sample `index`.
 *
 * @example
 * ```ts
 * const state = datasetNeuroglancerState(dataset, { index: 7 });
 * ```
 */
export function datasetNeuroglancerState(dataset: NeuroglancerDataset, options: DatasetNeuroglancerOptions = {}): NeuroglancerState {
  const raw = dataset.input;
  const layers: NeuroglancerLayerSpec[] = [
    { name: options.rawName ?? "raw", url: raw.url, kind: "image", zarrFormat: raw.levels[0]!.zarrFormat },
  ];
  dataset.classes.forEach((c, i) => {
    const a = dataset.classArray(c);
    if (!a) return;
    layers.push({ name: c, url: a.url, kind: "segmentation", zarrFormat: a.levels[0]!.zarrFormat, segments: ["1"], segmentColors: { "1": rgbHex(classColor(i)) } });
  });
  layers.push(...(options.extraLayers ?? []));
  const position = options.index !== undefined ? dataset.center(options.index) : options.center;
  const { index: _i, center: _c, rawName: _r, extraLayers: _e, base: _b, voxelSize, ...rest } = options;
  return neuroglancerState({
    ...rest,
    layers,
    voxelSize: voxelSize ?? raw.levels[0]!.scale,
    unit: unitOf(raw),
    ...(position ? { position } : {}),
  });
}

/**
 * The neuroglancer URL of a dataset at sample `index` (see {@link datasetNeuroglancerState}).
 * Python's `get_neuroglancer_link` / `open_neuroglancer`; open it with `window.open(url)`.
 *
 * @example
 * ```ts
 * const url = datasetNeuroglancerUrl(dataset, { index: 7 });
 * ```
 */
export function datasetNeuroglancerUrl(dataset: NeuroglancerDataset, options: DatasetNeuroglancerOptions = {}): string {
  return neuroglancerUrl(datasetNeuroglancerState(dataset, options), options.base);
}

/** Options of {@link arrayNeuroglancerState}. */
export interface ArrayNeuroglancerOptions extends Omit<NeuroglancerStateOptions, "layers" | "voxelSize" | "position" | "unit"> {
  /** Layer name (default: the last segment of the array's URL). */
  name?: string;
  /** "image" (default) or "segmentation". */
  kind?: NeuroglancerLayerKind;
  /** World point to center on (z, y, x). */
  center?: Readonly<Vec3>;
  /** Viewer voxel size, z, y, x (default: the array's finest voxel size). */
  voxelSize?: Readonly<Vec3>;
  shader?: string;
  /** Neuroglancer deployment of {@link arrayNeuroglancerUrl} (default {@link NEUROGLANCER_DEMO}). */
  base?: string;
}

/**
 * The viewer state of one array, optionally centered on a world point.
 *
 * @example
 * ```ts
 * const state = arrayNeuroglancerState(array, { kind: "segmentation", center: [400, 800, 800] });
 * ```
 */
export function arrayNeuroglancerState(array: CellMapArray, options: ArrayNeuroglancerOptions = {}): NeuroglancerState {
  const kind = options.kind ?? "image";
  const layer: NeuroglancerLayerSpec = {
    name: options.name ?? (array.url.split("/").filter((s) => s !== "").pop() ?? "array"),
    url: array.url,
    kind,
    zarrFormat: array.levels[0]!.zarrFormat,
  };
  if (options.shader !== undefined) layer.shader = options.shader;
  const { name: _n, kind: _k, center, voxelSize, shader: _s, base: _b, ...rest } = options;
  return neuroglancerState({
    ...rest,
    layers: [layer],
    voxelSize: voxelSize ?? array.levels[0]!.scale,
    unit: unitOf(array),
    ...(center ? { position: center } : {}),
  });
}

/** The neuroglancer URL of one array (see {@link arrayNeuroglancerState}). */
export function arrayNeuroglancerUrl(array: CellMapArray, options: ArrayNeuroglancerOptions = {}): string {
  return neuroglancerUrl(arrayNeuroglancerState(array, options), options.base);
}
