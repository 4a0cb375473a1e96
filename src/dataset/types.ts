/**
 * Types shared by the dataset classes, the samplers and the loader.
 * @module
 */

import type { Vec3 } from "../geometry/types.ts";
import type { ArrayData } from "../batch/types.ts";

export type { ArrayData, ArraySpec, GpuArrayData } from "../batch/types.ts";
import type { CellposeMode } from "../kernels/cellpose/contract.ts";
import type { ClassCounts } from "./class-counts.ts";
import type { CellMapDataset } from "./dataset.ts";

/**
 * One output array as the options ask for it: `shape` 3D `[z, y, x]`, or 2D `[h, w]` for a
 * dataset of 2D slices (see `slicingAxis`); `scale` always the voxel size along z, y and x (for a
 * slice, the sliced axis's entry is the slice's thickness).
 */
export interface ArrayRequest {
  /** `[z, y, x]` or `[h, w]`: positive integers (`as const` tuples and readonly arrays accepted). */
  shape: readonly number[];
  /** `[z, y, x]`: positive numbers, world units per voxel. */
  scale: readonly number[];
}

/**
 * A cellpose flow target (Python's `CellposeFlow` target transform): the array holds the flows
 * `[3, z, y, x]` of one class's labels instead of the classes (on a 2D slice dataset cellpose's 2D
 * flows `[2, h, w]`, Python's `CellposeFlow(ndim=2)`).
 *
 * @example
 * ```ts
 * const ds = await CellMapDataset.open({
 *   inputPath, targetPath: ".../crop1/[mito,er]",
 *   inputArrays: { raw: { shape: [32, 64, 64], scale: [8, 4, 4] } },
 *   targetArrays: { flows: { shape: [16, 32, 32], scale: [8, 8, 8], cellpose: { class: "mito" } } },
 * });
 * (await ds.get(0)).flows.shape; // [3, 16, 32, 32]
 * ```
 */
export interface CellposeTargetOptions {
  /** The class whose labels give the objects; one of `classes`. */
  class: string;
  /** `"binary"` (default): face-connected components of the voxels > 0; `"instances"`: values > 0 are object ids. */
  mode?: CellposeMode;
  /** Diffusion steps (default: 6 × Σ(foreground bounding-box extent + 1), per sample). */
  iterations?: number;
}

/** A target array as the options ask for it: class labels, or derived from them (`cellpose`). */
export interface TargetArrayRequest extends ArrayRequest {
  /** Make this array the cellpose flows `[3, z, y, x]` of one class (`[2, h, w]` on 2D slice datasets). */
  cellpose?: CellposeTargetOptions;
}

/**
 * One sample: its index, world center and one entry per array (inputs `[1, z, y, x]`, targets
 * `[C, z, y, x]` with C in the order of `classes`; for a dataset of 2D slices `[1, h, w]` and
 * `[C, h, w]`). `N` is the union of the array names.
 */
export type DatasetItem<N extends string = string> = { idx: number; center: Vec3 } & { [K in N]: ArrayData };

/** Per-call options of `get()`. */
export interface GetOptions {
  /** Epoch of the augmentation draw (default 0). */
  epoch?: number;
  signal?: AbortSignal;
}

/** A contiguous run of a source's indices that all belong to one dataset. */
export interface SampleGroup {
  /** First index of the run in the source. */
  start: number;
  length: number;
  // deno-lint-ignore no-explicit-any
  dataset: CellMapDataset<any>;
}

/**
 * What the loader and samplers need from a dataset, a multi-dataset or a subset: a length, a
 * way from an index to (leaf dataset, local index), and class statistics.
 */
export interface SampleSource<N extends string = string> {
  readonly length: number;
  readonly classes: readonly string[];
  /** Every leaf dataset, in order. */
  readonly datasets: readonly CellMapDataset<N>[];
  /** The leaf dataset and its local index of index `i`. */
  locate(i: number): { dataset: CellMapDataset<N>; index: number };
  /** Runs of indices by leaf dataset (for weighted and class-balanced sampling). */
  groups(): readonly SampleGroup[];
  get(i: number, options?: GetOptions): Promise<DatasetItem<N>>;
  /** Foreground/background volume per class (cached). */
  readonly classCounts: Promise<ClassCounts>;
  /** `background / foreground` per class (cached). */
  readonly classWeights: Promise<Record<string, number>>;
}
