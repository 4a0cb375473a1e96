/**
 * Figure 4, data-split rows: chunk-cache bytes allocated by a data split whose crops read one raw
 * volume (arrays shared through one `ArrayRegistry`), against the same datasets opened one by
 * one, each with its own arrays, in the same run.
 * @module
 */
import type { CellMapArray } from "../../src/array/cellmap-array.ts";
import { CellMapDataset } from "../../src/dataset/dataset.ts";
import { CellMapDataSplit } from "../../src/dataset/datasplit.ts";
import type { Vec3 } from "../../src/geometry/types.ts";
import type { WorkerPool } from "../../src/worker/pool.ts";
import type { BenchContext } from "../context.ts";
import { LABEL_PREFIX, RAW_PATH } from "../dataset.ts";
import { row } from "../lib/report.ts";
import { summarize } from "../lib/stats.ts";
import type { Row } from "../schema.ts";

const MIB = 2 ** 20;

/** Cache bytes allocated by the distinct arrays of some datasets (the GPU buffer when there is one). */
function allocated<N extends string>(datasets: readonly CellMapDataset<N>[]): { bytes: number; arrays: number } {
  const arrays = new Set<CellMapArray>();
  for (const d of datasets) {
    arrays.add(d.input);
    for (const c of d.annotatedClasses) arrays.add(d.classArray(c)!);
  }
  let bytes = 0;
  for (const a of arrays) bytes += a.gpuCache?.size ?? a.stats.budgetBytes;
  return { bytes, arrays: arrays.size };
}

/** The two rows: a shared split, and its entries opened as separate datasets (the baseline). */
export async function splitMemoryRows(ctx: BenchContext, base: string, pool: WorkerPool, scale: Vec3): Promise<Row[]> {
  const raw = `${base}/${RAW_PATH}`;
  const crop = `${base}/${LABEL_PREFIX}`;
  const entries = { train: [{ raw, gt: `${crop}/[mito,er]` }, { raw, gt: `${crop}/[nucleus,ves]` }], validate: [{ raw, gt: `${crop}/[mito]` }] };
  const common = {
    classes: ["mito", "er", "nucleus", "ves"],
    inputArrays: { raw: { shape: [8, 8, 8] as Vec3, scale } },
    targetArrays: { gt: { shape: [8, 8, 8] as Vec3, scale } },
    pool,
    ...(ctx.gpu ? { gpu: ctx.gpu } : { device: "cpu" as const }),
  };
  const split = await CellMapDataSplit.open({ ...common, datasetDict: entries });
  const shared = allocated([...split.trainDatasets, ...split.validationDatasets]);
  split.destroy();
  const separate = await Promise.all([...entries.train, ...entries.validate].map((e) => CellMapDataset.open({ ...common, inputPath: e.raw, targetPath: e.gt })));
  const alone = allocated(separate);
  for (const d of separate) d.destroy();
  const name = `data split: ${entries.train.length + entries.validate.length} entries over one raw (cache bytes allocated)`;
  const baseline = row(name, "datasets opened one by one", "MiB", "lower", summarize([alone.bytes / MIB]), [], { extra: { arrays: alone.arrays } });
  const ours = row(name, "CellMapDataSplit (shared arrays)", "MiB", "lower", summarize([shared.bytes / MIB]), [baseline], { extra: { arrays: shared.arrays } });
  return [ours, baseline];
}
