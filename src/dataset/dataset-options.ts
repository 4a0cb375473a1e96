/**
 * The options of {@link CellMapDataset.open}, and their validation: array specs, the target path
 * (a Python-style template or a class -> URL map), classes and value-transform specs.
 * @module
 */

import type { DeviceChoice } from "../array/device.ts";
import { parseSpatialTransforms, type Axis, type SpatialTransformsConfig } from "../augment/spatial.ts";
import { ARRAY_OPEN_KEYS, checkArrayOpenOptions, checkOptions } from "../arguments.ts";
import { ArgumentError } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";
import type { GpuContext } from "../gpu/context.ts";
import type { HttpStoreOptions } from "../store/http.ts";
import type { WorkerPool } from "../worker/pool.ts";
import type { ArrayRegistry } from "./array-registry.ts";
import { axisIndex, checkPlaneTransforms, slicedShape } from "./slicing.ts";
import { parseValueSpec, type ValueTransformSpec } from "./transforms-adapter.ts";
import { parseCellposeTarget, type CellposeTargetSpec } from "./derived-targets.ts";
import type { ArrayRequest, ArraySpec, TargetArrayRequest } from "./types.ts";

/** Options shared by everything that opens arrays (datasets, splits). */
export interface ArrayOpenOptions {
  /** GPU to sample on; arrays use `device: "gpu"` when given unless `device` says otherwise. */
  gpu?: GpuContext;
  /**
   * "gpu", "cpu" or "auto": "gpu" on a hardware adapter, "cpu" (the CPU twin, several times faster
   * there) on a software adapter such as SwiftShader or lavapipe. Default "gpu" when `gpu` is given.
   */
  device?: DeviceChoice;
  /** Chunk-cache budget of each array, bytes (see CellMapArray). */
  cacheBytes?: number;
  /** Worker pool shared by all arrays; one is created (and owned) when omitted. */
  pool?: WorkerPool;
  /** Workers of the pool created when `pool` is omitted (0 = fetch on the calling thread). */
  workers?: number;
  /**
   * Sample workers of the CPU executor on device "cpu" (default one per core; 0 resamples on the
   * calling thread): see CellMapArray's `cpuWorkers`.
   */
  cpuWorkers?: number;
  storeOptions?: HttpStoreOptions;
  /**
   * Arrays shared with other datasets (see {@link ArrayRegistry}): one array, one cache and one
   * fetch per chunk for every dataset reading the same URL on the same device. Without a `pool`,
   * the arrays read through the registry's pool.
   */
  arrays?: ArrayRegistry;
  signal?: AbortSignal;
}

/** Options of {@link CellMapDataset.open}. */
export interface CellMapDatasetOptions<I extends string, T extends string> extends ArrayOpenOptions {
  /** The raw multiscale group (URL or local path). */
  inputPath: string;
  /**
   * The labels: a template whose bracketed list names the classes (`".../crop1/[mito,er]"`, as in
   * Python), a single class's group (its last path segment is the class), or `{ class: url }`.
   */
  targetPath?: string | Readonly<Record<string, string>>;
  /** Classes to output, in order (default: those the target path names). */
  classes?: readonly string[];
  /**
   * Input arrays read from `inputPath`: `{ name: { shape, scale } }`, z, y, x, world units. A 2D
   * `shape` (`[h, w]`, every array then 2D) reads slices along `slicingAxis`.
   */
  inputArrays: Readonly<Record<I, ArrayRequest>>;
  /**
   * Target arrays read from the labels: `{ name: { shape, scale } }`, `[C, z, y, x]` per sample.
   * With `cellpose: { class }` the array holds that class's cellpose flows, `[3, z, y, x]`.
   */
  targetArrays?: Readonly<Record<T, TargetArrayRequest>>;
  /**
   * For 2D array shapes: the axis the slices are cut across (`"z"`: `[h, w]` runs along y, x;
   * `"y"`: along z, x; `"x"`: along z, y). Required with 2D shapes, refused with 3D ones;
   * `openSlicedDatasets` opens one dataset per axis.
   */
  slicingAxis?: Axis;
  /** Mirror / transpose / rotate config, as in Python; applied only when `isTrain`. */
  spatialTransforms?: SpatialTransformsConfig;
  /** Value transforms per input array name. */
  valueTransforms?: Readonly<Partial<Record<I, unknown>>>;
  /** Value transforms of the targets: one spec for every class, or `{ class: spec }`. */
  targetValueTransforms?: unknown;
  /** `{ mito: ["er", "nucleus"] }`: mutually exclusive classes (names outside `classes` are ignored). */
  classRelationships?: Readonly<Record<string, readonly string[]>>;
  /** Label value where nothing is known (default NaN); also the labels' pad value. */
  emptyValue?: number;
  /** Raw value outside the volume (default 0). */
  inputPad?: number;
  /** Let outputs hang over the sampling box's edge (default true). */
  pad?: boolean;
  /** Apply spatial transforms (default false). */
  isTrain?: boolean;
  /** Keep the dataset's length even when it annotates none of `classes` (default false). */
  forceHasData?: boolean;
  /** Seed of `get()`'s augmentation draws (default 0). */
  seed?: number;
}

const RESERVED = new Set(["idx", "center", "release"]);

/** Every option of {@link CellMapDataset.open}, for naming unknown keys. */
export const DATASET_OPTION_KEYS: readonly string[] = [
  ...ARRAY_OPEN_KEYS, "arrays", "inputPath", "targetPath", "classes", "inputArrays", "targetArrays", "slicingAxis",
  "spatialTransforms", "valueTransforms", "targetValueTransforms", "classRelationships", "emptyValue", "inputPad", "pad",
  "isTrain", "forceHasData", "seed",
];

/**
 * Split a Python-style target path template into a url-per-class function and its classes.
 *
 * @example
 * ```ts
 * splitTargetPath("/d.zarr/recon-1/labels/groundtruth/crop1/[mito,er]");
 * // { classes: ["mito", "er"], url: (c) => ".../crop1/" + c }
 * ```
 */
export function splitTargetPath(path: string): { classes: string[]; url: (cls: string) => string } {
  const open = path.indexOf("[");
  const close = path.indexOf("]", open + 1);
  if (open < 0 || close < 0) {
    const trimmed = path.replace(/\/+$/, "");
    const cls = trimmed.slice(trimmed.lastIndexOf("/") + 1);
    return { classes: [cls], url: () => trimmed };
  }
  const classes = path.slice(open + 1, close).split(",").map((s) => s.trim()).filter((s) => s !== "");
  const prefix = path.slice(0, open);
  const suffix = path.slice(close + 1);
  return { classes, url: (cls) => `${prefix}${cls}${suffix}` };
}

/** A checked request: a 3D spec, or a 2D shape still to be sliced. */
interface CheckedSpec {
  shape: number[];
  scale: Vec3;
}

function checkSpec(field: string, spec: unknown): CheckedSpec {
  const s = spec as Partial<ArrayRequest>;
  const ok = (v: unknown, n: number, int: boolean) =>
    Array.isArray(v) && v.length === n && v.every((x) => typeof x === "number" && x > 0 && Number.isFinite(x) && (!int || Number.isInteger(x)));
  if (!(ok(s.shape, 3, true) || ok(s.shape, 2, true))) {
    throw new ArgumentError(`${field}.shape`, "must be three positive integers [z, y, x] (or two, [h, w], for 2D slices)", s.shape);
  }
  if (!ok(s.scale, 3, false)) {
    const hint = s.shape!.length === 2 ? " (for 2D slices too: the sliced axis's entry is the slice thickness)" : "";
    throw new ArgumentError(`${field}.scale`, `must be three positive numbers [z, y, x]${hint}`, s.scale);
  }
  return { shape: [...s.shape!], scale: [...s.scale!] as Vec3 };
}

/**
 * Turn 2D requests into 3D specs sliced along `slicingAxis`, after checking that the arrays are
 * all 2D or all 3D and that the axis and the spatial transforms suit them.
 */
function sliceSpecs(o: CellMapDatasetOptions<string, string>, checked: Array<[string, CheckedSpec]>): { specs: Map<string, ArraySpec>; slicingAxis: Axis | undefined } {
  const flat = checked.filter(([, s]) => s.shape.length === 2);
  if (flat.length > 0 && flat.length < checked.length) {
    const [field, deep] = checked.find(([, s]) => s.shape.length === 3)!;
    throw new ArgumentError(`${field}.shape`, `must be 2D like ${flat[0]![0]}.shape: a dataset's arrays are all 2D slices or all 3D`, deep.shape);
  }
  const specs = new Map<string, ArraySpec>();
  if (flat.length === 0) {
    if (o.slicingAxis !== undefined) throw new ArgumentError("slicingAxis", "applies only to 2D array shapes ([h, w])", o.slicingAxis);
    for (const [field, s] of checked) specs.set(field, { shape: s.shape as Vec3, scale: s.scale });
    return { specs, slicingAxis: undefined };
  }
  if (o.slicingAxis === undefined) {
    throw new ArgumentError("slicingAxis", 'is required with 2D array shapes: "z", "y" or "x" (openSlicedDatasets opens all three)');
  }
  if (typeof o.slicingAxis !== "string") throw new ArgumentError("slicingAxis", 'must be "z", "y" or "x"', o.slicingAxis);
  axisIndex(o.slicingAxis, "slicingAxis");
  parseSpatialTransforms(o.spatialTransforms);
  checkPlaneTransforms(o.spatialTransforms);
  for (const [field, s] of checked) specs.set(field, { shape: slicedShape(s.shape, o.slicingAxis), scale: s.scale });
  return { specs, slicingAxis: o.slicingAxis };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Options checked and normalised. */
export interface ResolvedDatasetOptions {
  inputArrays: Record<string, ArraySpec>;
  targetArrays: Record<string, ArraySpec>;
  /** URL of each class the target path names. */
  urls: Map<string, string>;
  classes: string[];
  /** Parsed value transforms per input array (non-empty ones only). */
  valueSpecs: Map<string, ValueTransformSpec>;
  /** Parsed value transforms per class (non-empty ones only). */
  targetSpecs: Map<string, ValueTransformSpec>;
  /** The slicing axis of a dataset of 2D slices (its specs are then 3D with one voxel there). */
  slicingAxis: Axis | undefined;
  /** Target arrays that hold cellpose flows (not in `targetArrays`). */
  cellposeTargets: Record<string, CellposeTargetSpec>;
}

/**
 * Check a dataset's options.
 *
 * @throws {ArgumentError} naming the bad field.
 */
export function resolveDatasetOptions(o: CellMapDatasetOptions<string, string>): ResolvedDatasetOptions {
  checkOptions("CellMapDataset.open", o, DATASET_OPTION_KEYS);
  checkArrayOpenOptions(o as unknown as Record<string, unknown>);
  if (typeof o.inputPath !== "string" || o.inputPath === "") throw new ArgumentError("inputPath", "must be a URL or path", o.inputPath);
  const inputArrays: Record<string, ArraySpec> = {};
  const targetArrays: Record<string, ArraySpec> = {};
  for (const [field, arrays] of [["inputArrays", o.inputArrays], ["targetArrays", o.targetArrays]] as const) {
    if (arrays === undefined) continue;
    if (!isObject(arrays)) throw new ArgumentError(field, "must map array names to { shape, scale }", arrays);
    for (const [name, spec] of Object.entries(arrays)) {
      checkOptions("CellMapDataset.open", spec, field === "inputArrays" ? ["shape", "scale"] : ["shape", "scale", "cellpose"], `${field}.${name}`);
    }
  }
  if (!isObject(o.inputArrays) || Object.keys(o.inputArrays).length === 0) {
    throw new ArgumentError("inputArrays", "must name at least one array: { raw: { shape, scale } }", o.inputArrays);
  }
  const checked: Array<[string, CheckedSpec]> = Object.entries(o.inputArrays).map(([name, spec]) => [`inputArrays.${name}`, checkSpec(`inputArrays.${name}`, spec)]);
  for (const [name, spec] of Object.entries(o.targetArrays ?? {})) {
    if (name in o.inputArrays) throw new ArgumentError(`targetArrays.${name}`, "has the name of an input array", name);
    checked.push([`targetArrays.${name}`, checkSpec(`targetArrays.${name}`, spec)]);
  }
  const { specs, slicingAxis } = sliceSpecs(o, checked);
  for (const name of Object.keys(o.inputArrays)) inputArrays[name] = specs.get(`inputArrays.${name}`)!;
  for (const name of Object.keys(o.targetArrays ?? {})) targetArrays[name] = specs.get(`targetArrays.${name}`)!;
  for (const name of [...Object.keys(inputArrays), ...Object.keys(targetArrays)]) {
    if (RESERVED.has(name)) throw new ArgumentError("arrays", `must not be named "${name}" (reserved)`, name);
  }
  // Which classes have labels, and where.
  const urls = new Map<string, string>();
  if (typeof o.targetPath === "string") {
    const t = splitTargetPath(o.targetPath);
    for (const c of t.classes) urls.set(c, t.url(c));
  } else if (isObject(o.targetPath)) {
    for (const [c, u] of Object.entries(o.targetPath)) {
      if (typeof u !== "string") throw new ArgumentError(`targetPath.${c}`, "must be a URL or path", u);
      urls.set(c, u);
    }
  } else if (o.targetPath !== undefined) {
    throw new ArgumentError("targetPath", "must be a template string or a { class: url } map", o.targetPath);
  }
  const classes = [...(o.classes ?? urls.keys())];
  if (new Set(classes).size !== classes.length) throw new ArgumentError("classes", "must not repeat a class", classes);
  if (Object.keys(targetArrays).length > 0 && classes.length === 0) {
    throw new ArgumentError("classes", "must list at least one class when targetArrays are given", classes);
  }
  const cellposeTargets: Record<string, CellposeTargetSpec> = {};
  for (const [name, req] of Object.entries(o.targetArrays ?? {}) as Array<[string, TargetArrayRequest]>) {
    if (req.cellpose === undefined) continue;
    cellposeTargets[name] = parseCellposeTarget(`targetArrays.${name}.cellpose`, req.cellpose, targetArrays[name]!, classes, slicingAxis);
    delete targetArrays[name];
  }
  const valueSpecs = new Map<string, ValueTransformSpec>();
  for (const [name, spec] of Object.entries(o.valueTransforms ?? {})) {
    if (!(name in inputArrays)) throw new ArgumentError(`valueTransforms.${name}`, "names no input array", Object.keys(inputArrays));
    const parsed = parseValueSpec(spec, `valueTransforms.${name}`);
    if (parsed.length) valueSpecs.set(name, parsed);
  }
  const targetSpecs = new Map<string, ValueTransformSpec>();
  const tvt = o.targetValueTransforms;
  if (tvt !== undefined && tvt !== null) {
    const perClass = isObject(tvt) && Object.keys(tvt).length > 0 && Object.keys(tvt).every((k) => classes.includes(k));
    for (const c of classes) {
      const spec = perClass ? (tvt as Record<string, unknown>)[c] : tvt;
      const parsed = parseValueSpec(spec, perClass ? `targetValueTransforms.${c}` : "targetValueTransforms");
      if (parsed.length) targetSpecs.set(c, parsed);
    }
  }
  return { inputArrays, targetArrays, urls, classes, valueSpecs, targetSpecs, slicingAxis, cellposeTargets };
}
