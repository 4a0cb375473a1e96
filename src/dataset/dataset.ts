/**
 * {@link CellMapDataset}: one raw volume and one annotated crop (a label array per class), read
 * as training samples: every index is a world center on a lazy grid, every sample one call per
 * array into the GPU resampler, augmentations drawn from the seed.
 * @module
 */

import { CellMapArray, type CellMapArrayOptions } from "../array/cellmap-array.ts";
import { hashKey, rngFor, type Rng } from "../augment/rng.ts";
import { drawSpatialMatrix, parseSpatialTransforms, type SpatialTransforms, type SpatialTransformsConfig } from "../augment/spatial.ts";
import { ArgumentError } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";
import type { GpuContext } from "../gpu/context.ts";
import type { HttpStoreOptions } from "../store/http.ts";
import { WorkerPool } from "../worker/pool.ts";
import { readBatch } from "./batch.ts";
import { classWeightsFrom, countLabels, countsFromAnnotation, type ClassCounts } from "./class-counts.ts";
import { arrayBounds, SamplingGrid, type IndexList } from "./sampling-geometry.ts";
import { drawOps, parseValueSpec, type ValueOp, type ValueTransformSpec } from "./transforms-adapter.ts";
import type { ArrayData, ArraySpec, DatasetItem, GetOptions, SampleGroup, SampleSource } from "./types.ts";

/** Options shared by everything that opens arrays (datasets, splits). */
export interface ArrayOpenOptions {
  /** GPU to sample on; arrays use `device: "gpu"` when given unless `device` says otherwise. */
  gpu?: GpuContext;
  device?: "gpu" | "cpu";
  /** Chunk-cache budget of each array, bytes (see CellMapArray). */
  cacheBytes?: number;
  /** Worker pool shared by all arrays; one is created (and owned) when omitted. */
  pool?: WorkerPool;
  /** Workers of the pool created when `pool` is omitted (0 = fetch on the calling thread). */
  workers?: number;
  storeOptions?: HttpStoreOptions;
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
  /** Input arrays read from `inputPath`: `{ name: { shape, scale } }`, z, y, x, world units. */
  inputArrays: Readonly<Record<I, ArraySpec>>;
  /** Target arrays read from the labels: `{ name: { shape, scale } }`. */
  targetArrays?: Readonly<Record<T, ArraySpec>>;
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

/** The plan of one sample: where, how it is turned, and its value ops. */
export interface SamplePlan {
  center: Vec3;
  /** Augmentation matrix A (row-major z, y, x); undefined for the identity. */
  augment: Float64Array | undefined;
  /** Value ops per input array name. */
  inputOps: Record<string, ValueOp[]>;
  /** Value ops per class. */
  targetOps: Record<string, ValueOp[]>;
}

const RESERVED = new Set(["idx", "center", "release"]);

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

function checkSpec(field: string, spec: unknown): ArraySpec {
  const s = spec as Partial<ArraySpec> | undefined;
  const ok3 = (v: unknown, int: boolean) =>
    Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === "number" && x > 0 && Number.isFinite(x) && (!int || Number.isInteger(x)));
  if (!s || !ok3(s.shape, true)) throw new ArgumentError(`${field}.shape`, "must be three positive integers [z, y, x]", s?.shape);
  if (!ok3(s.scale, false)) throw new ArgumentError(`${field}.scale`, "must be three positive numbers [z, y, x]", s?.scale);
  return { shape: [...s.shape!] as Vec3, scale: [...s.scale!] as Vec3 };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * A raw volume plus one annotated crop, sampled on a grid of world centers.
 *
 * @example
 * ```ts
 * const ds = await CellMapDataset.open({
 *   inputPath: "https://host/jrc_cell.zarr/recon-1/em/fibsem-uint8",
 *   targetPath: "https://host/jrc_cell.zarr/recon-1/labels/groundtruth/crop1/[mito,er]",
 *   classes: ["mito", "er", "nucleus"],
 *   inputArrays: { raw: { shape: [64, 64, 64], scale: [8, 8, 8] } },
 *   targetArrays: { gt: { shape: [32, 32, 32], scale: [8, 8, 8] } },
 *   spatialTransforms: { mirror: { axes: { x: 0.5 } }, rotate: { axes: { z: [-180, 180] } } },
 *   isTrain: true, gpu,
 * });
 * const item = await ds.get(0); // item.raw.shape [1, 64, 64, 64], item.gt.shape [3, 32, 32, 32]
 * ds.destroy();
 * ```
 */
export class CellMapDataset<N extends string = string> implements SampleSource<N> {
  readonly inputPath: string;
  readonly classes: readonly string[];
  readonly inputArrays: Readonly<Record<string, ArraySpec>>;
  readonly targetArrays: Readonly<Record<string, ArraySpec>>;
  readonly emptyValue: number;
  readonly inputPad: number;
  readonly pad: boolean;
  readonly isTrain: boolean;
  readonly forceHasData: boolean;
  readonly seed: number;
  /** The raw array (every input array reads it). */
  readonly input: CellMapArray;
  /** The GPU the arrays sample on (device "gpu"), or undefined. */
  readonly gpu: GpuContext | undefined;
  /** `exclusive[c][d]`: classes c and d (indices into `classes`) never overlap. */
  readonly exclusive: boolean[][];
  /** Whether any relationship is set. */
  readonly hasRelationships: boolean;
  /** The lazy grid of sample centers. */
  readonly grid: SamplingGrid;
  readonly spatial: SpatialTransforms;
  readonly #labels: ReadonlyMap<string, CellMapArray>;
  readonly #valueSpecs: ReadonlyMap<string, ValueTransformSpec>;
  readonly #targetSpecs: ReadonlyMap<string, ValueTransformSpec>;
  readonly #pool: WorkerPool | undefined;
  #counts: Promise<ClassCounts> | undefined;
  #destroyed = false;

  private constructor(init: {
    options: CellMapDatasetOptions<string, string>;
    classes: string[];
    inputArrays: Record<string, ArraySpec>;
    targetArrays: Record<string, ArraySpec>;
    input: CellMapArray;
    labels: Map<string, CellMapArray>;
    valueSpecs: Map<string, ValueTransformSpec>;
    targetSpecs: Map<string, ValueTransformSpec>;
    pool: WorkerPool | undefined;
  }) {
    const o = init.options;
    this.inputPath = o.inputPath;
    this.classes = Object.freeze([...init.classes]);
    this.inputArrays = init.inputArrays;
    this.targetArrays = init.targetArrays;
    this.emptyValue = o.emptyValue ?? NaN;
    this.inputPad = o.inputPad ?? 0;
    this.pad = o.pad ?? true;
    this.isTrain = o.isTrain ?? false;
    this.forceHasData = o.forceHasData ?? false;
    this.seed = o.seed ?? 0;
    this.input = init.input;
    this.gpu = init.input.device === "gpu" ? o.gpu : undefined;
    this.#labels = init.labels;
    this.#valueSpecs = init.valueSpecs;
    this.#targetSpecs = init.targetSpecs;
    this.#pool = init.pool;
    this.spatial = parseSpatialTransforms(o.spatialTransforms);
    const idx = new Map(this.classes.map((c, i) => [c, i]));
    this.exclusive = this.classes.map(() => this.classes.map(() => false));
    let any = false;
    for (const [c, others] of Object.entries(o.classRelationships ?? {})) {
      for (const d of others) {
        const i = idx.get(c);
        const j = idx.get(d);
        if (i === undefined || j === undefined || i === j) continue;
        this.exclusive[i]![j] = true;
        this.exclusive[j]![i] = true;
        any = true;
      }
    }
    this.hasRelationships = any;
    const bounds = [arrayBounds(this.input.levels[0]!), ...[...this.#labels.values()].map((a) => arrayBounds(a.levels[0]!))];
    this.grid = new SamplingGrid({ bounds, outputs: [...Object.values(this.inputArrays), ...Object.values(this.targetArrays)], pad: this.pad });
  }

  /**
   * Open the raw array and the label array of every class the target path names.
   *
   * @throws {ArgumentError} for bad options (naming the field).
   * @throws {MetadataError} / {HttpError} when an array cannot be opened.
   */
  static async open<I extends string, T extends string = never>(options: CellMapDatasetOptions<I, T>): Promise<CellMapDataset<I | T>> {
    const o = options as unknown as CellMapDatasetOptions<string, string>;
    if (typeof o.inputPath !== "string" || o.inputPath === "") throw new ArgumentError("inputPath", "must be a URL or path", o.inputPath);
    const inputArrays: Record<string, ArraySpec> = {};
    const targetArrays: Record<string, ArraySpec> = {};
    if (!isObject(o.inputArrays) || Object.keys(o.inputArrays).length === 0) {
      throw new ArgumentError("inputArrays", "must name at least one array: { raw: { shape, scale } }", o.inputArrays);
    }
    for (const [name, spec] of Object.entries(o.inputArrays)) inputArrays[name] = checkSpec(`inputArrays.${name}`, spec);
    for (const [name, spec] of Object.entries(o.targetArrays ?? {})) {
      if (name in inputArrays) throw new ArgumentError(`targetArrays.${name}`, "has the name of an input array", name);
      targetArrays[name] = checkSpec(`targetArrays.${name}`, spec);
    }
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
    const device = o.device ?? (o.gpu ? "gpu" : "cpu");
    // Open everything with one shared pool.
    const ownsPool = !o.pool;
    const pool = o.pool ?? (await WorkerPool.create(o.workers === undefined ? {} : { size: o.workers }));
    const arrayOptions: CellMapArrayOptions = { device, pool };
    if (o.gpu) arrayOptions.gpu = o.gpu;
    if (o.cacheBytes !== undefined) arrayOptions.cacheBytes = o.cacheBytes;
    if (o.storeOptions) arrayOptions.storeOptions = o.storeOptions;
    if (o.signal) arrayOptions.signal = o.signal;
    const wanted = classes.filter((c) => urls.has(c));
    const opened: CellMapArray[] = [];
    try {
      const [input, ...labelArrays] = await Promise.all([
        CellMapArray.open(o.inputPath, arrayOptions).then((a) => (opened.push(a), a)),
        ...wanted.map((c) => CellMapArray.open(urls.get(c)!, arrayOptions).then((a) => (opened.push(a), a))),
      ]);
      const labels = new Map(wanted.map((c, i) => [c, labelArrays[i]!]));
      const ds = new CellMapDataset({ options: o, classes, inputArrays, targetArrays, input: input!, labels, valueSpecs, targetSpecs, pool: ownsPool ? pool : undefined });
      return ds as unknown as CellMapDataset<I | T>;
    } catch (e) {
      for (const a of opened) a.destroy();
      if (ownsPool) pool.terminate();
      throw e;
    }
  }

  /** "gpu" or "cpu": where sampling runs. */
  get device(): "gpu" | "cpu" {
    return this.input.device;
  }

  /** True when the crop annotates at least one of `classes` (or there are no target arrays). */
  get hasData(): boolean {
    return this.#labels.size > 0 || Object.keys(this.targetArrays).length === 0;
  }

  /** Number of sample centers (0 when the dataset has no data and `forceHasData` is off). */
  get length(): number {
    return this.hasData || this.forceHasData ? this.grid.length : 0;
  }

  /** This dataset. */
  get datasets(): readonly CellMapDataset<N>[] {
    return [this];
  }

  /** The label array of a class, or undefined when the crop does not annotate it. */
  classArray(cls: string): CellMapArray | undefined {
    return this.#labels.get(cls);
  }

  /** Classes the crop annotates. */
  get annotatedClasses(): string[] {
    return this.classes.filter((c) => this.#labels.has(c));
  }

  locate(i: number): { dataset: CellMapDataset<N>; index: number } {
    this.#checkIndex(i);
    return { dataset: this, index: i };
  }

  groups(): readonly SampleGroup[] {
    return this.length > 0 ? [{ start: 0, length: this.length, dataset: this }] : [];
  }

  /** World center of sample `i`. */
  center(i: number): Vec3 {
    this.#checkIndex(i);
    return this.grid.center(i);
  }

  /**
   * The plan of sample `i` drawn from `rng`: its center, augmentation matrix (only when
   * `isTrain`) and value ops. Pure: the same rng key gives the same plan.
   */
  plan(i: number, rng: Rng): SamplePlan {
    const center = this.center(i);
    const augment = this.isTrain && this.spatial.steps.length > 0 ? drawSpatialMatrix(this.spatial, rng.split("spatial")) : undefined;
    const inputOps: Record<string, ValueOp[]> = {};
    for (const name of Object.keys(this.inputArrays)) {
      const spec = this.#valueSpecs.get(name);
      inputOps[name] = spec ? drawOps(spec, rng.split("value", name)) : [];
    }
    const targetOps: Record<string, ValueOp[]> = {};
    for (const c of this.classes) {
      const spec = this.#targetSpecs.get(c);
      targetOps[c] = spec ? drawOps(spec, rng.split("target", c)) : [];
    }
    return { center, augment, inputOps, targetOps };
  }

  /**
   * Sample `i`: inputs `[1, z, y, x]`, targets `[C, z, y, x]`. Augmentations are drawn from
   * `(seed, epoch, i)`.
   */
  async get(i: number, options: GetOptions = {}): Promise<DatasetItem<N>> {
    this.#checkIndex(i);
    const epoch = options.epoch ?? 0;
    const batch = await readBatch([{ dataset: this, index: i, rng: rngFor(this.seed, epoch, i) }], {
      output: "cpu",
      seed: hashKey(this.seed, epoch, i),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const item: Record<string, unknown> = { idx: i, center: batch.centers[0]! };
    for (const [name, a] of Object.entries(batch.arrays)) {
      const d = a as ArrayData;
      item[name] = { data: d.data, shape: d.shape.slice(1) };
    }
    return item as DatasetItem<N>;
  }

  /**
   * Foreground/background world volume per class: from `complement_counts` metadata when the
   * label array has it, otherwise counted once over its finest level and cached. Classes the
   * crop does not annotate count 0.
   */
  get classCounts(): Promise<ClassCounts> {
    this.#counts ??= (async () => {
      const out: ClassCounts = {};
      await Promise.all(this.classes.map(async (c) => {
        const a = this.#labels.get(c);
        out[c] = a ? (countsFromAnnotation(a) ?? (await countLabels(a))) : { foreground: 0, background: 0 };
      }));
      return Object.fromEntries(this.classes.map((c) => [c, out[c]!]));
    })();
    const counts = this.#counts;
    counts.catch(() => {
      if (this.#counts === counts) this.#counts = undefined;
    });
    return counts;
  }

  /** `background / foreground` per class, as Python's `class_weights`. */
  get classWeights(): Promise<Record<string, number>> {
    return this.classCounts.then((c) => classWeightsFrom(c, this.classes));
  }

  /**
   * Indices that tile the sampling grid without overlap of the target arrays (of the input
   * arrays when there are no targets). Lazy.
   */
  get validationIndices(): IndexList {
    if (this.length === 0) return { length: 0, at: (j) => { throw new ArgumentError("tile", "this dataset has no samples", j); } };
    const specs = Object.values(Object.keys(this.targetArrays).length ? this.targetArrays : this.inputArrays);
    const extent = [0, 1, 2].map((k) => Math.max(...specs.map((s) => s.shape[k]! * s.scale[k]!))) as Vec3;
    return this.grid.tiles(extent);
  }

  #checkIndex(i: number): void {
    if (this.#destroyed) throw new ArgumentError("dataset", "was destroyed");
    if (!(Number.isInteger(i) && i >= 0 && i < this.length)) throw new ArgumentError("index", `must be an integer in [0, ${this.length})`, i);
  }

  /** Free every array's cache (and the worker pool if this dataset created it). */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.input.destroy();
    for (const a of this.#labels.values()) a.destroy();
    this.#pool?.terminate();
  }
}
