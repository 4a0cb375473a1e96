/**
 * Opening what `cellmap-data batch` draws from: one `CellMapDataset`, a `CellMapMultiDataset` of
 * a config's `datasets`, or one side of a `CellMapDataSplit` of its `split`. Datasets of a list
 * read through one `ArrayRegistry`, so crops over one raw volume share its array and cache.
 * @module
 */

import type { DeviceChoice } from "../array/device.ts";
import { ArrayRegistry } from "../dataset/array-registry.ts";
import { CellMapDataset } from "../dataset/dataset.ts";
import { CellMapDataSplit } from "../dataset/datasplit.ts";
import { CellMapMultiDataset } from "../dataset/multidataset.ts";
import { ArgumentError } from "../errors.ts";
import type { GpuContext } from "../gpu/context.ts";
import type { BatchDatasetEntry, ParsedBatchConfig } from "./batch-config.ts";

/** What a batch is drawn from, and the config entry of each of its datasets. */
export interface BatchSource {
  source: CellMapDataset | CellMapMultiDataset;
  /** The config entry each dataset of `source` was opened from. */
  entryOf: ReadonlyMap<CellMapDataset, BatchDatasetEntry>;
  /** Destroy every dataset opened (arrays, pools). */
  destroy(): void;
}

/** Options of {@link openBatchSource}. */
export interface OpenBatchSourceOptions {
  seed: number;
  device: DeviceChoice;
  gpu?: GpuContext;
  /** The side of a split to draw from (default "train"). */
  split?: "train" | "validate";
}

/** An entry's error with the entry's place in front of the field it names. */
function inEntry(entry: BatchDatasetEntry, e: unknown): unknown {
  if (!entry.field || !(e instanceof ArgumentError)) return e;
  return new ArgumentError(`${entry.field}.${e.field}`, e.message.slice(e.field.length + 1));
}

/**
 * Open the datasets of a checked config.
 *
 * @throws {ArgumentError} when the datasets cannot be combined (naming the entry), or the split
 *   has no training dataset with samples.
 * @throws whatever `CellMapDataset.open` throws (MetadataError, HttpError) for an entry.
 * @example
 * ```ts
 * const { source, entryOf, destroy } = await openBatchSource(await readBatchConfig("config.json"), { seed: 0, device: "cpu" });
 * ```
 */
export async function openBatchSource(config: ParsedBatchConfig, options: OpenBatchSourceOptions): Promise<BatchSource> {
  const runtime = { seed: options.seed, device: options.device, ...(options.gpu ? { gpu: options.gpu } : {}) };
  if (config.form === "dataset") {
    const entry = config.entries[0]!;
    const ds = await CellMapDataset.open({ ...entry.options, ...runtime });
    return { source: ds, entryOf: new Map([[ds, entry]]), destroy: () => ds.destroy() };
  }
  const arrays = new ArrayRegistry();
  const settled = await Promise.allSettled(config.entries.map((e) => CellMapDataset.open({ ...e.options, ...runtime, arrays })));
  const opened = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = settled.findIndex((s) => s.status === "rejected");
  if (failed >= 0) {
    for (const d of opened) d.destroy();
    throw inEntry(config.entries[failed]!, (settled[failed] as PromiseRejectedResult).reason);
  }
  const entryOf = new Map(opened.map((d, i) => [d, config.entries[i]!]));
  if (config.form === "datasets") {
    let multi: CellMapMultiDataset;
    try {
      multi = new CellMapMultiDataset(opened);
    } catch (e) {
      for (const d of opened) d.destroy();
      throw e;
    }
    return { source: multi, entryOf, destroy: () => multi.destroy() };
  }
  const side = (usage: "train" | "validate") => opened.filter((d) => entryOf.get(d)!.usage === usage);
  let split: CellMapDataSplit;
  try {
    split = await CellMapDataSplit.open({
      datasets: { train: side("train"), validate: side("validate") },
      classes: opened[0]!.classes,
      inputArrays: opened[0]!.inputArrays,
      ...(config.forceHasData !== undefined ? { forceHasData: config.forceHasData } : {}),
    });
  } catch (e) {
    for (const d of opened) d.destroy();
    if (e instanceof ArgumentError) throw new ArgumentError("split.train", "holds no dataset with samples (set forceHasData: true to sample anyway)");
    throw e;
  }
  // The split leaves out datasets with no samples; they are destroyed with the rest.
  const kept = new Set([...split.trainDatasets, ...split.validationDatasets]);
  const dropped = opened.filter((d) => !kept.has(d));
  return {
    source: options.split === "validate" ? split.validate : split.train,
    entryOf,
    destroy: () => {
      split.destroy();
      for (const d of dropped) d.destroy();
    },
  };
}
