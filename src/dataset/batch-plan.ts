/**
 * A batch as a plan: which array each output name reads, for which samples, into which rows of
 * which output, and which passes follow (value transforms, true negatives, cellpose flows).
 * Planning is pure: it draws each sample's augmentation and value ops from its generator and
 * reads the datasets' configuration, but touches no chunk, no device and no memory of the batch,
 * so it can be tested without either. The executors (`batch-cpu.ts`, `batch-gpu.ts`) run a plan;
 * `readBatch` (`batch.ts`) is the two together.
 *
 * Layout: one f32 array per output name, C-order, `[B, 1, z, y, x]` for inputs, `[B, C, z, y, x]`
 * for targets (C in the order of `classes`) and `[B, F, z, y, x]` for cellpose flows (F = 3, or 2
 * on 2D slices). A read covers one run of consecutive samples from one dataset (the loader
 * groups a batch by dataset), so a batch from one dataset is one resample call per array.
 *
 * @example
 * ```ts
 * const plan = planBatch(items, { seed: 7 });
 * plan.inputs[0].reads; // [{ array, specs, read, first: 0, count: 8 }]
 * ```
 * @module
 */

import type { CellMapArray, SampleSpec } from "../array/cellmap-array.ts";
import { ArgumentError } from "../errors.ts";
import type { Interpolation, Vec3 } from "../geometry/types.ts";
import type { ValueOp } from "../kernels/value-transforms/contract.ts";
import type { CellMapDataset, SamplePlan } from "./dataset.ts";
import { type BatchItem, runsOf, sameConfig } from "./batch-items.ts";
import { cellposeLabels, type CellposeLabels, type CellposeTargetSpec } from "./derived-targets.ts";
import { outputShape, sliceFrame, valueShape } from "./slicing.ts";
import type { ArraySpec } from "./types.ts";

/** The output grid of a read: what `CellMapArray.sample` is given besides the specs. */
export interface ReadGrid {
  shape: readonly number[];
  scale: readonly number[];
  interp: Interpolation;
  pad: number;
}

/**
 * Samples `[first, first + count)` of the batch read from one array, or filled with `fill` where
 * the dataset has no array for the class (a class its crop does not annotate).
 */
export type PlannedRead =
  | { kind: "array"; array: CellMapArray; specs: SampleSpec[]; grid: ReadGrid; first: number; count: number }
  | { kind: "fill"; fill: number; first: number; count: number };

/** The value passes of one output's samples: one op list per sample, and the grid they see. */
export interface PlannedOps {
  ops: ValueOp[][];
  /** The grid of the pass (`[1, h, w]` of a 2D slice). */
  shape: Vec3;
  /** The voxel size along `shape`'s axes, the spacing of distance transforms. */
  scale: Vec3;
}

/** An input array: `[B, 1, z, y, x]`. */
export interface PlannedInput {
  name: string;
  /** Voxels per sample. */
  voxels: number;
  shape: number[];
  reads: PlannedRead[];
  ops: PlannedOps;
}

/** A target array: `[B, C, z, y, x]`, read class by class. */
export interface PlannedTarget {
  name: string;
  voxels: number;
  shape: number[];
  /** Per class (in the order of `classes`): its reads. */
  reads: PlannedRead[][];
  /** Per class: its value passes. */
  ops: PlannedOps[];
  /** Whether any sample of any class has a value pass. */
  hasOps: boolean;
}

/** A cellpose flow target: `[B, F, z, y, x]`, from its class and the classes exclusive with it. */
export interface PlannedFlows {
  name: string;
  voxels: number;
  shape: number[];
  spec: CellposeTargetSpec;
  labels: CellposeLabels;
  /** Per label class (the flow class first): its reads. */
  reads: PlannedRead[][];
}

/** True negatives of the targets: which classes exclude which, and the value of unknown voxels. */
export interface PlannedRelationships {
  exclusive: boolean[][];
  emptyValue: number;
}

/** A batch as read: arrays by name, and the samples' world centers. */
export interface ReadBatchResult<A> {
  arrays: Record<string, A>;
  centers: Vec3[];
}

/** A planned batch (see the module's documentation). */
export interface BatchPlan {
  batch: number;
  device: "cpu" | "gpu";
  classes: readonly string[];
  emptyValue: number;
  /** Seed of the value passes' noise (a u32). */
  seed: number;
  inputs: PlannedInput[];
  targets: PlannedTarget[];
  flows: PlannedFlows[];
  /** Undefined when no dataset of the batch has class relationships. */
  relationships: PlannedRelationships | undefined;
  centers: Vec3[];
  /** The first dataset of the batch (its GPU context, for the GPU executor). */
  // deno-lint-ignore no-explicit-any
  first: CellMapDataset<any>;
}

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
    first,
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
