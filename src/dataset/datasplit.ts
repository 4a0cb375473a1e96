/**
 * {@link CellMapDataSplit}: training and validation datasets from a datasplit CSV (the Python
 * library's 3- and 5-column layouts), a `{ train, validate }` dict, or opened datasets, with one
 * shared worker pool, combined multi-datasets and non-overlapping validation tiles.
 * @module
 */

import { ARRAY_OPEN_KEYS, checkArrayOpenOptions, checkOptions } from "../arguments.ts";
import { ArgumentError, isCellMapError } from "../errors.ts";
import type { SpatialTransformsConfig } from "../augment/spatial.ts";
import { WorkerPool } from "../worker/pool.ts";
import { ArrayRegistry } from "./array-registry.ts";
import type { ClassCounts } from "./class-counts.ts";
import { parseDatasplitCsv, readText, type DatasetDict, type DatasplitEntry } from "./csv.ts";
import { CellMapDataset, type ArrayOpenOptions, type CellMapDatasetOptions } from "./dataset.ts";
import { CellMapMultiDataset } from "./multidataset.ts";
import { openSlicedDatasets } from "./sliced-datasets.ts";
import { isArray2D, type Axis } from "./slicing.ts";
import { CellMapSubset } from "./subset.ts";
import type { ArrayRequest, TargetArrayRequest } from "./types.ts";

/** Every option of {@link CellMapDataSplit.open}, for naming unknown keys. */
const DATASPLIT_OPTION_KEYS: readonly string[] = [
  ...ARRAY_OPEN_KEYS, "arrays", "csvPath", "csv", "datasetDict", "datasets", "inputArrays", "targetArrays", "slicingAxes", "classes",
  "spatialTransforms", "trainValueTransforms", "validateValueTransforms", "targetValueTransforms", "classRelationships", "emptyValue",
  "inputPad", "pad", "forceHasData", "seed",
];

/** Options of {@link CellMapDataSplit.open}. Give exactly one of `csvPath`, `csv`, `datasetDict`, `datasets`. */
export interface CellMapDataSplitOptions<I extends string, T extends string> extends ArrayOpenOptions {
  /** A datasplit CSV file (path or URL). */
  csvPath?: string;
  /** Datasplit CSV text. */
  csv?: string;
  /** `{ train: [{ raw, gt }], validate: [...] }`. */
  datasetDict?: Partial<DatasetDict>;
  /**
   * Datasets already opened. The split owns them: `destroy()` destroys them, and those dropped at
   * `open` (no samples, without `forceHasData`) are destroyed there, as is every one of them when
   * `open` throws.
   */
  datasets?: { train: CellMapDataset<NoInfer<I | T>>[]; validate?: CellMapDataset<NoInfer<I | T>>[] };
  /**
   * `{ name: { shape, scale } }`, z, y, x. 2D shapes (`[h, w]`, every array then 2D) open each
   * row or entry as one dataset of 2D slices per axis of `slicingAxes` (see `openSlicedDatasets`).
   */
  inputArrays: Readonly<Record<I, ArrayRequest>>;
  targetArrays?: Readonly<Record<T, TargetArrayRequest>>;
  /** With 2D shapes: the axes to slice along, one dataset each per entry (default z, y, x). */
  slicingAxes?: readonly Axis[];
  classes: readonly string[];
  /** Applied to training datasets only. */
  spatialTransforms?: SpatialTransformsConfig;
  /** Value transforms of the training inputs, per input array. */
  trainValueTransforms?: Readonly<Partial<Record<I, unknown>>>;
  /** Value transforms of the validation inputs, per input array. */
  validateValueTransforms?: Readonly<Partial<Record<I, unknown>>>;
  targetValueTransforms?: unknown;
  classRelationships?: Readonly<Record<string, readonly string[]>>;
  emptyValue?: number;
  inputPad?: number;
  /** `true`/`false` for both, or `"train"` / `"validate"` to pad only those (default true). */
  pad?: boolean | "train" | "validate";
  forceHasData?: boolean;
  seed?: number;
}

/** A dataset that could not be opened, and why. */
export interface SkippedDataset {
  usage: "train" | "validate";
  entry: DatasplitEntry;
  error: Error;
}

/**
 * Training and validation datasets.
 *
 * @example
 * ```ts
 * const split = await CellMapDataSplit.open({
 *   csvPath: "datasplit.csv", classes: ["mito", "er"], gpu,
 *   inputArrays: { raw: { shape: [64, 64, 64], scale: [8, 8, 8] } },
 *   targetArrays: { gt: { shape: [32, 32, 32], scale: [8, 8, 8] } },
 *   spatialTransforms: { mirror: { axes: { x: 0.5, y: 0.5 } } },
 * });
 * const loader = new CellMapDataLoader(split.train, { batchSize: 4 });
 * const tiles = split.validationBlocks; // non-overlapping validation samples
 * ```
 */
export class CellMapDataSplit<N extends string = string> {
  readonly trainDatasets: readonly CellMapDataset<N>[];
  readonly validationDatasets: readonly CellMapDataset<N>[];
  /** The training datasets combined. */
  readonly train: CellMapMultiDataset<N>;
  /** The validation datasets combined. */
  readonly validate: CellMapMultiDataset<N>;
  /** Datasets that failed to open (skipped, as the Python library does). */
  readonly skipped: readonly SkippedDataset[];
  readonly classes: readonly string[];
  readonly #pool: WorkerPool | undefined;
  #blocks: CellMapSubset<N> | undefined;

  private constructor(train: CellMapDataset<N>[], validate: CellMapDataset<N>[], classes: readonly string[], skipped: SkippedDataset[], pool: WorkerPool | undefined) {
    this.trainDatasets = Object.freeze(train);
    this.validationDatasets = Object.freeze(validate);
    this.classes = Object.freeze([...classes]);
    this.train = new CellMapMultiDataset(train, { classes });
    this.validate = new CellMapMultiDataset(validate, { classes });
    this.skipped = Object.freeze(skipped);
    this.#pool = pool;
  }

  /**
   * Open every dataset of the split. Datasets whose arrays cannot be opened are skipped (listed
   * in `skipped`); datasets with no samples are dropped unless `forceHasData`.
   *
   * @throws {ArgumentError} when no source or several are given, or no training dataset remains
   *   (unless `forceHasData`).
   */
  static async open<I extends string, T extends string = never>(options: CellMapDataSplitOptions<I, T>): Promise<CellMapDataSplit<I | T>> {
    checkOptions("CellMapDataSplit.open", options, DATASPLIT_OPTION_KEYS);
    checkArrayOpenOptions(options as unknown as Record<string, unknown>);
    const sources = ["csvPath", "csv", "datasetDict", "datasets"].filter((k) => (options as unknown as Record<string, unknown>)[k] !== undefined);
    if (sources.length !== 1) {
      throw new ArgumentError("options", "must give exactly one of csvPath, csv, datasetDict or datasets", sources);
    }
    const force = options.forceHasData ?? false;
    if (options.datasets) {
      const given = [...options.datasets.train, ...(options.datasets.validate ?? [])];
      const keep = (l: CellMapDataset<I | T>[] | undefined) => (l ?? []).filter((d) => force || d.length > 0);
      const [train, validate] = [keep(options.datasets.train), keep(options.datasets.validate)];
      if (!force && train.length === 0) {
        for (const d of given) d.destroy();
        throw new ArgumentError("datasets.train", "holds no dataset with samples");
      }
      for (const d of given) if (!train.includes(d) && !validate.includes(d)) d.destroy();
      return new CellMapDataSplit<I | T>(train, validate, options.classes, [], undefined);
    }
    let dict: Partial<DatasetDict>;
    if (options.datasetDict) dict = options.datasetDict;
    else if (options.csv !== undefined) dict = parseDatasplitCsv(options.csv);
    else {
      const fetchFn = options.storeOptions?.fetch;
      dict = parseDatasplitCsv(await readText(options.csvPath!, { ...(options.signal ? { signal: options.signal } : {}), ...(fetchFn ? { fetch: fetchFn } : {}) }));
    }
    const sliced = isArray2D(options.inputArrays, "any") || isArray2D(options.targetArrays, "any");
    if (!sliced && options.slicingAxes !== undefined) {
      throw new ArgumentError("slicingAxes", "applies only to 2D array shapes ([h, w])", options.slicingAxes);
    }
    const ownsPool = !options.pool;
    const pool = options.pool ?? (await WorkerPool.create(options.workers === undefined ? {} : { size: options.workers }));
    // Every dataset reads through one registry: crops over one raw volume share its array and cache.
    const arrays = options.arrays ?? new ArrayRegistry();
    const padFor = (usage: "train" | "validate") => {
      const p = options.pad ?? true;
      return typeof p === "boolean" ? p : p === usage;
    };
    const skipped: SkippedDataset[] = [];
    const openAll = async (usage: "train" | "validate"): Promise<CellMapDataset<I | T>[]> => {
      const opened = await Promise.all((dict[usage] ?? []).map(async (entry): Promise<CellMapDataset<I | T>[] | undefined> => {
        const o: CellMapDatasetOptions<I, T> = {
          inputPath: entry.raw,
          targetPath: entry.gt,
          classes: options.classes,
          inputArrays: options.inputArrays,
          pad: padFor(usage),
          isTrain: usage === "train",
          forceHasData: force,
          pool,
          arrays,
        };
        if (options.targetArrays) o.targetArrays = options.targetArrays;
        if (usage === "train" && options.spatialTransforms) o.spatialTransforms = options.spatialTransforms;
        const vt = usage === "train" ? options.trainValueTransforms : options.validateValueTransforms;
        if (vt) o.valueTransforms = vt;
        if (options.targetValueTransforms !== undefined) o.targetValueTransforms = options.targetValueTransforms;
        if (options.classRelationships) o.classRelationships = options.classRelationships;
        if (options.emptyValue !== undefined) o.emptyValue = options.emptyValue;
        if (options.inputPad !== undefined) o.inputPad = options.inputPad;
        if (options.seed !== undefined) o.seed = options.seed;
        if (options.gpu) o.gpu = options.gpu;
        if (options.device) o.device = options.device;
        if (options.cacheBytes !== undefined) o.cacheBytes = options.cacheBytes;
        if (options.cpuWorkers !== undefined) o.cpuWorkers = options.cpuWorkers;
        if (options.storeOptions) o.storeOptions = options.storeOptions;
        if (options.signal) o.signal = options.signal;
        try {
          if (!sliced) return [await CellMapDataset.open(o)];
          const slices = await openSlicedDatasets<I, T>({ ...o, ...(options.slicingAxes ? { slicingAxes: options.slicingAxes } : {}) });
          return [...slices.datasets];
        } catch (e) {
          // Bad metadata or an unreachable array skips the dataset; bad options and aborts do not.
          if (isCellMapError(e) && (e.tag === "metadata" || e.tag === "http" || e.tag === "chunk-decode")) {
            skipped.push({ usage, entry, error: e });
            return undefined;
          }
          throw e;
        }
      }));
      const keep: CellMapDataset<I | T>[] = [];
      for (const d of opened.flatMap((l) => l ?? [])) {
        if (force || d.length > 0) keep.push(d);
        else d.destroy();
      }
      return keep;
    };
    try {
      const [train, validate] = await Promise.all([openAll("train"), openAll("validate")]);
      if (!force && train.length === 0) {
        for (const d of validate) d.destroy();
        throw new ArgumentError("train", `holds no dataset with samples (${skipped.length} could not be opened)`, skipped.map((s) => s.error.message));
      }
      return new CellMapDataSplit<I | T>(train, validate, options.classes, skipped, ownsPool ? pool : undefined);
    } catch (e) {
      if (ownsPool) pool.destroy();
      throw e;
    }
  }

  /** The validation datasets tiled with non-overlapping samples (lazy). */
  get validationBlocks(): CellMapSubset<N> {
    this.#blocks ??= new CellMapSubset(this.validate, this.validate.validationIndices);
    return this.#blocks;
  }

  /** Class counts of the training and validation sets. */
  get classCounts(): Promise<{ train: ClassCounts; validate: ClassCounts }> {
    return Promise.all([this.train.classCounts, this.validate.classCounts]).then(([train, validate]) => ({ train, validate }));
  }

  /** Destroy every dataset (and the worker pool the split created). */
  destroy(): void {
    this.train.destroy();
    this.validate.destroy();
    this.#pool?.destroy();
  }
}
