/**
 * {@link CellMapDataset}: one raw volume and one annotated crop (a label array per class), read
 * as training samples: every index is a world center on a lazy grid, every sample one call per
 * array into the GPU resampler, augmentations drawn from the seed.
 * @module
 */

import { CellMapArray, type CellMapArrayOptions } from "../array/cellmap-array.ts";
import { resolveDevice } from "../array/device.ts";
import { deformGrid, drawDeformField, type DeformField, type DeformGrid } from "../augment/deform.ts";
import { hashKey, rngFor, type Rng } from "../augment/rng.ts";
import { drawSpatialMatrix, parseSpatialTransforms, type SpatialTransforms } from "../augment/spatial.ts";
import { ArgumentError } from "../errors.ts";
import type { OutputSpec, Vec3 } from "../geometry/types.ts";
import type { GpuContext } from "../gpu/context.ts";
import { WorkerPool } from "../worker/pool.ts";
import type { ArrayRegistry } from "./array-registry.ts";
import { readBatch } from "./batch.ts";
import { classWeightsFrom, countLabels, countsFromAnnotation, type ClassCounts } from "./class-counts.ts";
import { resolveDatasetOptions, type CellMapDatasetOptions } from "./dataset-options.ts";
import type { CellposeTargetSpec } from "./derived-targets.ts";
import { prepareCellposeFlows } from "../kernels/cellpose/gpu.ts";
import { arrayBounds, SamplingGrid, type IndexList } from "./sampling-geometry.ts";
import { deformInPlane, planeToWorld, slicePad, type Axis } from "./slicing.ts";
import { drawOps, prepareValueSpecs, type ValueOp, type ValueTransformSpec } from "./transforms-adapter.ts";
import { checkSampleBytes, MAX_SAMPLE_BYTES } from "./sample-bytes.ts";
import type { ArrayData, ArraySpec, DatasetItem, GetOptions, SampleGroup, SampleSource } from "./types.ts";

export { splitTargetPath, type ArrayOpenOptions, type CellMapDatasetOptions } from "./dataset-options.ts";

/** The plan of one sample: where, how it is turned, and its value ops. */
export interface SamplePlan {
  center: Vec3;
  /** Augmentation matrix A (row-major z, y, x); undefined for the identity. */
  augment: Float64Array | undefined;
  /** Elastic deformation of every array of the sample (only when `isTrain` and it fired). */
  deform?: DeformField;
  /** Value ops per input array name. */
  inputOps: Record<string, ValueOp[]>;
  /** Value ops per class. */
  targetOps: Record<string, ValueOp[]>;
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
  /** Target arrays holding one class's cellpose flows, `[3, z, y, x]` per sample (`[2, h, w]` on 2D slices; not in `targetArrays`). */
  readonly cellposeTargets: Readonly<Record<string, CellposeTargetSpec>>;
  readonly emptyValue: number;
  readonly inputPad: number;
  readonly pad: boolean;
  readonly isTrain: boolean;
  readonly forceHasData: boolean;
  readonly seed: number;
  /** For a dataset of 2D slices, the axis they are cut across (its specs have one voxel there). */
  readonly slicingAxis: Axis | undefined;
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
  /** The control grid of `spatialTransforms.deform` over this dataset's outputs, if configured. */
  readonly deformGrid: DeformGrid | undefined;
  readonly #labels: ReadonlyMap<string, CellMapArray>;
  readonly #valueSpecs: ReadonlyMap<string, ValueTransformSpec>;
  readonly #targetSpecs: ReadonlyMap<string, ValueTransformSpec>;
  readonly #pool: WorkerPool | undefined;
  readonly #arrays: ArrayRegistry | undefined;
  #counts: Promise<ClassCounts> | undefined;
  #destroyed = false;

  private constructor(init: {
    options: CellMapDatasetOptions<string, string>;
    classes: string[];
    inputArrays: Record<string, ArraySpec>;
    targetArrays: Record<string, ArraySpec>;
    cellposeTargets: Record<string, CellposeTargetSpec>;
    input: CellMapArray;
    labels: Map<string, CellMapArray>;
    valueSpecs: Map<string, ValueTransformSpec>;
    targetSpecs: Map<string, ValueTransformSpec>;
    pool: WorkerPool | undefined;
    slicingAxis: Axis | undefined;
  }) {
    const o = init.options;
    this.inputPath = o.inputPath;
    this.classes = Object.freeze([...init.classes]);
    this.inputArrays = init.inputArrays;
    this.targetArrays = init.targetArrays;
    this.cellposeTargets = init.cellposeTargets;
    this.emptyValue = o.emptyValue ?? NaN;
    this.inputPad = o.inputPad ?? 0;
    this.pad = o.pad ?? true;
    this.isTrain = o.isTrain ?? false;
    this.forceHasData = o.forceHasData ?? false;
    this.seed = o.seed ?? 0;
    this.slicingAxis = init.slicingAxis;
    this.input = init.input;
    this.gpu = init.input.device === "gpu" ? o.gpu : undefined;
    this.#labels = init.labels;
    this.#valueSpecs = init.valueSpecs;
    this.#targetSpecs = init.targetSpecs;
    this.#pool = init.pool;
    this.#arrays = o.arrays;
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
    const inputs = Object.values(this.inputArrays) as OutputSpec[];
    const targets = [...Object.values(this.targetArrays), ...Object.values(this.cellposeTargets)] as OutputSpec[];
    const bounds = [
      { box: arrayBounds(this.input.levels[0]!), outputs: inputs },
      ...[...this.#labels.values()].map((a) => ({ box: arrayBounds(a.levels[0]!), outputs: targets })),
    ];
    this.grid = new SamplingGrid({ bounds, outputs: [...inputs, ...targets], pad: slicePad(this.pad, this.slicingAxis) });
    // A 2D dataset's deformation is written in its slice frame and stays in the slice plane.
    this.deformGrid = this.spatial.deform ? deformGrid(deformInPlane(this.spatial.deform, this.slicingAxis), [...inputs, ...targets]) : undefined;
  }

  /**
   * Open the raw array and the label array of every class the target path names.
   *
   * @throws {ArgumentError} for bad options (naming the field).
   * @throws {MetadataError} / {HttpError} when an array cannot be opened.
   */
  static async open<I extends string, T extends string = never>(options: CellMapDatasetOptions<I, T>): Promise<CellMapDataset<I | T>> {
    const o = options as unknown as CellMapDatasetOptions<string, string>;
    const { inputArrays, targetArrays, urls, classes, valueSpecs, targetSpecs, slicingAxis, cellposeTargets } = resolveDatasetOptions(o);
    const device = resolveDevice(o.device, o.gpu);
    checkSampleBytes({ ...inputArrays }, { ...targetArrays }, cellposeTargets, classes.length, device === "gpu" && o.gpu ? o.gpu.device.limits.maxBufferSize : MAX_SAMPLE_BYTES);
    await prepareValueSpecs(valueSpecs, targetSpecs, device === "gpu" ? o.gpu : undefined);
    if (device === "gpu" && o.gpu && Object.keys(cellposeTargets).length > 0) await prepareCellposeFlows(o.gpu);
    // Open everything with one shared pool (the registry's, when arrays are shared and no pool is given).
    const shared = o.arrays;
    const ownsPool = !o.pool && !shared;
    const pool = o.pool ?? (shared ? undefined : await WorkerPool.create(o.workers === undefined ? {} : { size: o.workers }));
    const arrayOptions: CellMapArrayOptions = { device };
    if (pool) arrayOptions.pool = pool;
    else if (o.workers !== undefined) arrayOptions.workers = o.workers;
    const openArray = (url: string) => (shared ? shared.open(url, arrayOptions) : CellMapArray.open(url, arrayOptions));
    if (o.gpu) arrayOptions.gpu = o.gpu;
    if (o.cacheBytes !== undefined) arrayOptions.cacheBytes = o.cacheBytes;
    if (o.cpuWorkers !== undefined) arrayOptions.cpuWorkers = o.cpuWorkers;
    if (o.storeOptions) arrayOptions.storeOptions = o.storeOptions;
    if (o.signal) arrayOptions.signal = o.signal;
    const wanted = classes.filter((c) => urls.has(c));
    const opened: CellMapArray[] = [];
    const opening = [o.inputPath, ...wanted.map((c) => urls.get(c)!)].map((url) => openArray(url).then((a) => (opened.push(a), a)));
    try {
      const [input, ...labelArrays] = await Promise.all(opening);
      const labels = new Map(wanted.map((c, i) => [c, labelArrays[i]!]));
      const ds = new CellMapDataset({ options: o, classes, inputArrays, targetArrays, cellposeTargets, input: input!, labels, valueSpecs, targetSpecs, pool: ownsPool ? pool : undefined, slicingAxis });
      return ds as unknown as CellMapDataset<I | T>;
    } catch (e) {
      await Promise.allSettled(opening); // so that no array opened after the failure is left behind
      for (const a of opened) {
        if (shared) shared.release(a);
        else a.destroy();
      }
      if (ownsPool) pool!.destroy();
      throw e;
    }
  }

  /** "gpu" or "cpu": where sampling runs. */
  get device(): "gpu" | "cpu" {
    return this.input.device;
  }

  /** True when the crop annotates at least one of `classes` (or there are no target arrays). */
  get hasData(): boolean {
    return this.#labels.size > 0 || Object.keys(this.targetArrays).length + Object.keys(this.cellposeTargets).length === 0;
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
    // A 2D dataset draws in its slice frame (z = slice normal), carried into world axes.
    const augment = planeToWorld(this.isTrain && this.spatial.steps.length > 0 ? drawSpatialMatrix(this.spatial, rng.split("spatial")) : undefined, this.slicingAxis);
    const deform = this.isTrain && this.deformGrid ? drawDeformField(this.deformGrid, rng.split("deform")) : undefined;
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
    return { center, augment, inputOps, targetOps, ...(deform ? { deform } : {}) };
  }

  /**
   * Sample `i`: inputs `[1, z, y, x]`, targets `[C, z, y, x]` (2D slices: `[1, h, w]`,
   * `[C, h, w]`). Augmentations are drawn from
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
    const targets = [...Object.values(this.targetArrays), ...Object.values(this.cellposeTargets)];
    const specs = targets.length ? targets : Object.values(this.inputArrays);
    const extent = [0, 1, 2].map((k) => Math.max(...specs.map((s) => s.shape[k]! * s.scale[k]!))) as Vec3;
    return this.grid.tiles(extent);
  }

  #checkIndex(i: number): void {
    if (this.#destroyed) throw new ArgumentError("dataset", "was destroyed");
    if (!(Number.isInteger(i) && i >= 0 && i < this.length)) throw new ArgumentError("index", `must be an integer in [0, ${this.length})`, i);
  }

  /**
   * Free every array's cache (and the worker pool if this dataset created it). Arrays shared
   * through `arrays` are released instead, and freed with their last dataset.
   */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    const free = (a: CellMapArray) => (this.#arrays ? this.#arrays.release(a) : a.destroy());
    free(this.input);
    for (const a of this.#labels.values()) free(a);
    this.#pool?.destroy();
  }
}
