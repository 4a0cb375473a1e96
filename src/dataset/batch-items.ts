import type { Rng } from "../augment/rng.ts";
import { ArgumentError } from "../errors.ts";
import type { CellMapDataset } from "./dataset.ts";
import { outputShape } from "./slicing.ts";
import type { ArraySpec } from "./types.ts";

/** One sample to read: a dataset, its local index, and the generator its draws come from. */
export interface BatchItem {
  // deno-lint-ignore no-explicit-any
  dataset: CellMapDataset<any>;
  index: number;
  rng: Rng;
}

/** Consecutive items from the same dataset: `[start, end)`. */
export function runsOf(items: readonly BatchItem[]): Array<{ start: number; end: number }> {
  const runs: Array<{ start: number; end: number }> = [];
  items.forEach((it, b) => {
    const last = runs[runs.length - 1];
    if (last && items[last.start]!.dataset === it.dataset) last.end = b + 1;
    else runs.push({ start: b, end: b + 1 });
  });
  return runs;
}

/** Check that the items of one batch come from datasets of one configuration and one GPU device. */
export function sameConfig(items: readonly BatchItem[]): void {
  const a = items[0]!.dataset;
  // Output shapes, not 3D specs: slices along different axes share a batch.
  const outputs = (d: CellMapDataset, arrays: Readonly<Record<string, ArraySpec>>) =>
    Object.entries(arrays).map(([name, spec]) => [name, outputShape(spec, d.slicingAxis), spec.scale]);
  const key = (d: CellMapDataset) =>
    JSON.stringify([d.classes, outputs(d, d.inputArrays), outputs(d, d.targetArrays), d.device, Number.isNaN(d.emptyValue) ? "NaN" : d.emptyValue,
      Object.entries(d.cellposeTargets).map(([name, s]) => [name, outputShape(s, d.slicingAxis), s.scale, s.class, s.mode, s.iterations ?? 0])]);
  const k0 = key(a);
  for (const it of items) {
    if (it.dataset !== a && key(it.dataset) !== k0) {
      throw new ArgumentError("datasets", "of one batch must share classes, array specs, device and emptyValue");
    }
    if (it.dataset.device === "gpu" && it.dataset.gpu?.device !== a.gpu?.device) {
      throw new ArgumentError("datasets", "of one batch must sample on the same GPU device");
    }
  }
}
