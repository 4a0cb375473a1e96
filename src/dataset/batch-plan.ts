/**
 * Planning a batch (the plan is `src/batch/plan.ts`): each sample's augmentation and value ops
 * are drawn from its generator, and each output's reads, fills and passes are read off the
 * datasets' configuration. Planning touches no chunk, no device and no memory of the batch, so
 * it can be tested without either.
 *
 * @example
 * ```ts
 * const plan = planBatch(items, { seed: 7 });
 * plan.inputs[0].reads; // [{ kind: "array", array, specs, grid, first: 0, count: 8 }]
 * ```
 * @module
 */

import type { CellMapArray, SampleSpec } from "../array/cellmap-array.ts";
import type { BatchPlan, PlannedFlows, PlannedInput, PlannedRead, PlannedRelationships, PlannedTarget, ReadGrid } from "../batch/plan.ts";
import { ArgumentError } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";
import type { CellMapDataset, SamplePlan } from "./dataset.ts";
import { type BatchItem, runsOf, sameConfig } from "./batch-items.ts";
import { cellposeLabels } from "./derived-targets.ts";
import { outputShape, sliceFrame, valueShape } from "./slicing.ts";
import type { ArraySpec } from "./types.ts";

export type { BatchPlan, PlannedFlows, PlannedInput, PlannedOps, PlannedRead, PlannedRelationships, PlannedTarget, ReadBatchResult, ReadGrid } from "../batch/plan.ts";

const voxels = (s: ArraySpec): number => s.shape[0] * s.shape[1] * s.shape[2];

/**
 * Plan a batch. Items must come grouped by dataset (the loader sorts them); each run of one
 * dataset is one read per array.
 *
 * @throws {ArgumentError} on an empty batch, datasets of different configurations, or class
 *   relationships that differ between the batch's datasets
 */
export function planBatch(items: readonly BatchItem[], options: { seed: number }): BatchPlan {
  if (items.length === 0) throw new ArgumentError("batch", "must hold at least one sample");
  sameConfig(items);
  const first = items[0]!.dataset;
  const B = items.length;
  const plans: SamplePlan[] = items.map((it) => it.dataset.plan(it.index, it.rng));
  const runs = runsOf(items);
  const specs: SampleSpec[] = plans.map((p) => ({ center: p.center, ...(p.augment ? { augment: p.augment } : {}), ...(p.deform ? { deform: p.deform } : {}) }));
  const classes = first.classes;
  const outShape = (spec: ArraySpec) => outputShape(spec, first.slicingAxis);
  const opsShape = (spec: ArraySpec) => valueShape(spec, first.slicingAxis);
  const opsScale = (spec: ArraySpec): Vec3 => (first.slicingAxis === undefined ? spec.scale : (sliceFrame(first.slicingAxis).map((i) => spec.scale[i]!) as Vec3));
  // deno-lint-ignore no-explicit-any
  const read = (r: { start: number; end: number }, array: CellMapArray | undefined, ds: CellMapDataset<any>, grid: ReadGrid): PlannedRead =>
    array
      ? { kind: "array", array, specs: specs.slice(r.start, r.end), grid, first: r.start, count: r.end - r.start }
      : { kind: "fill", fill: ds.emptyValue, first: r.start, count: r.end - r.start };

  const inputs: PlannedInput[] = Object.entries(first.inputArrays).map(([name, spec]) => ({
    name,
    voxels: voxels(spec),
    shape: [B, 1, ...outShape(spec)],
    reads: runs.map((r) => {
      const ds = items[r.start]!.dataset;
      return read(r, ds.input, ds, { ...ds.inputArrays[name]!, interp: "linear", pad: ds.inputPad });
    }),
    ops: { ops: plans.map((p) => p.inputOps[name]!), shape: opsShape(spec), scale: opsScale(spec) },
  }));

  const targets: PlannedTarget[] = Object.entries(first.targetArrays).map(([name, spec]) => {
    const ops = classes.map((cls) => ({ ops: plans.map((p) => p.targetOps[cls]!), shape: opsShape(spec), scale: opsScale(spec) }));
    return {
      name,
      voxels: voxels(spec),
      shape: [B, classes.length, ...outShape(spec)],
      reads: classes.map((cls) =>
        runs.map((r) => {
          const ds = items[r.start]!.dataset;
          return read(r, ds.classArray(cls), ds, { ...ds.targetArrays[name]!, interp: "nearest", pad: ds.emptyValue });
        })
      ),
      ops,
      hasOps: ops.some((o) => o.ops.some((l) => l.length > 0)),
    };
  });

  const leaves = [...new Set(items.map((it) => it.dataset))];
  const flows: PlannedFlows[] = Object.entries(first.cellposeTargets).map(([name, spec]) => {
    const labels = cellposeLabels(leaves, spec.class);
    return {
      name,
      voxels: voxels(spec),
      shape: [B, spec.flowShape.length, ...outShape(spec)],
      spec,
      labels,
      reads: labels.classes.map((cls) =>
        runs.map((r) => {
          const ds = items[r.start]!.dataset;
          const own = ds.cellposeTargets[name]!;
          return read(r, ds.classArray(cls), ds, { shape: own.shape, scale: own.scale, interp: "nearest", pad: ds.emptyValue });
        })
      ),
    };
  });

  const executor = first.device === "cpu" ? first.input.stats.executor : undefined;
  const workers = executor?.kind === "workers" ? executor.workers : 0;
  return {
    batch: B,
    device: first.device,
    classes,
    emptyValue: first.emptyValue,
    seed: options.seed,
    inputs,
    targets,
    flows,
    relationships: targets.length > 0 ? relationshipsOf(leaves, first.emptyValue) : undefined,
    centers: plans.map((p) => p.center),
    // Shared memory when the executor's workers resample: they write into the batch's arrays directly.
    sharedArrays: workers > 0,
    cpuWorkers: workers,
    gpu: first.device === "gpu" ? first.gpu : undefined,
  };
}

/**
 * The class relationships of a batch's datasets: undefined when none has any.
 *
 * @throws {ArgumentError} when they differ between datasets, or only some have them
 */
// deno-lint-ignore no-explicit-any
function relationshipsOf(leaves: readonly CellMapDataset<any>[], emptyValue: number): PlannedRelationships | undefined {
  const withRel = leaves.filter((d) => d.hasRelationships);
  if (withRel.length === 0) return undefined;
  const ref = JSON.stringify(withRel[0]!.exclusive);
  if (withRel.some((d) => JSON.stringify(d.exclusive) !== ref) || withRel.length !== leaves.length) {
    throw new ArgumentError("classRelationships", "must be the same for every dataset of a batch");
  }
  return { exclusive: withRel[0]!.exclusive, emptyValue };
}
