/**
 * {@link openSlicedDatasets}: a 2D request turned into one dataset per slicing axis, read as one
 * multi-dataset, as the Python library's `CellMapDataset(...)` does when given 2D array shapes.
 * @module
 */

import { ArgumentError } from "../errors.ts";
import { WorkerPool } from "../worker/pool.ts";
import { ArrayRegistry } from "./array-registry.ts";
import { CellMapDataset } from "./dataset.ts";
import type { CellMapDatasetOptions } from "./dataset-options.ts";
import { CellMapMultiDataset } from "./multidataset.ts";
import { axisIndex, isArray2D, SLICING_AXES, type Axis } from "./slicing.ts";

/** Options of {@link openSlicedDatasets}: a dataset's options with 2D shapes and no `slicingAxis`. */
export type SlicedDatasetsOptions<I extends string, T extends string> = Omit<CellMapDatasetOptions<I, T>, "slicingAxis"> & {
  /** Axes to slice along, one dataset each, in this order (default `["z", "y", "x"]`). */
  slicingAxes?: readonly Axis[];
};

/**
 * Open one dataset of 2D slices per axis (z, y, x by default) over the same raw volume and crop,
 * concatenated in a multi-dataset. Every item is `[1, h, w]` (inputs) and `[C, h, w]` (targets),
 * whatever its axis, so a loader mixes the axes freely. The datasets share one worker pool
 * (created when `pool` is not given, and terminated by the multi-dataset's `destroy()`) and one
 * {@link ArrayRegistry} (`arrays`, created when not given): each array is opened once, with one
 * chunk cache (`cacheBytes`) that every axis reads, and freed with the last dataset using it.
 *
 * @throws {ArgumentError} when a shape is not 2D, `slicingAxis` is given, or `slicingAxes` is bad.
 * @example
 * ```ts
 * const slices = await openSlicedDatasets({
 *   inputPath: `${root}/em/fibsem-uint8`,
 *   targetPath: `${root}/labels/groundtruth/crop1/[mito,er]`,
 *   inputArrays: { raw: { shape: [128, 128], scale: [8, 8, 8] } },
 *   targetArrays: { gt: { shape: [64, 64], scale: [8, 8, 8] } },
 *   gpu,
 * });
 * slices.datasets.map((d) => d.slicingAxis); // ["z", "y", "x"]
 * const loader = new CellMapDataLoader(slices, { batchSize: 8 }); // raw [8, 1, 128, 128]
 * ```
 */
export async function openSlicedDatasets<I extends string, T extends string = never>(
  options: SlicedDatasetsOptions<I, T>,
): Promise<CellMapMultiDataset<I | T>> {
  if ((options as { slicingAxis?: unknown }).slicingAxis !== undefined) {
    throw new ArgumentError("slicingAxis", "is set per dataset by openSlicedDatasets (use slicingAxes); CellMapDataset.open slices along one axis", (options as { slicingAxis?: unknown }).slicingAxis);
  }
  const axes = options.slicingAxes ?? SLICING_AXES;
  if (!Array.isArray(axes) || axes.length === 0) throw new ArgumentError("slicingAxes", 'must list one or more of "z", "y", "x"', axes);
  axes.forEach((a, i) => axisIndex(a, `slicingAxes[${i}]`));
  if (new Set(axes).size !== axes.length) throw new ArgumentError("slicingAxes", "must not repeat an axis", axes);
  for (const [group, arrays] of [["inputArrays", options.inputArrays], ["targetArrays", options.targetArrays]] as const) {
    const flat = isArray2D(arrays ?? {});
    for (const [name, is2D] of Object.entries(flat || {})) {
      if (!is2D) throw new ArgumentError(`${group}.${name}.shape`, "must be 2D [h, w] to be sliced along each axis", arrays?.[name as never]);
    }
  }
  const rest: CellMapDatasetOptions<I, T> = { ...options };
  delete (rest as { slicingAxes?: unknown }).slicingAxes;
  const ownsPool = !options.pool;
  const pool = options.pool ?? (await WorkerPool.create(options.workers === undefined ? {} : { size: options.workers }));
  const arrays = options.arrays ?? new ArrayRegistry();
  const opened = await Promise.allSettled(axes.map((slicingAxis) => CellMapDataset.open<I, T>({ ...rest, pool, arrays, slicingAxis })));
  const datasets = opened.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = opened.find((r) => r.status === "rejected");
  if (failed) {
    for (const d of datasets) d.destroy();
    if (ownsPool) pool.destroy();
    throw (failed as PromiseRejectedResult).reason;
  }
  return new CellMapMultiDataset<I | T>(datasets, ownsPool ? { onDestroy: () => pool.destroy() } : {});
}
