/**
 * A batch as a plan: which array each output name reads, for which samples, into which rows of
 * which output, and which passes follow (value transforms, true negatives, cellpose flows). A
 * plan is data: the datasets make it (`dataset/batch-plan.ts`, touching no chunk, no device and no
 * memory of the batch), and an executor runs it: `cpu.ts` (twins, sample workers, batch arrays
 * written in place) or `gpu.ts` (one command buffer, one submit, one map for CPU output).
 *
 * Layout: one f32 array per output name, C-order, `[B, 1, z, y, x]` for inputs, `[B, C, z, y, x]`
 * for targets (C in the order of `classes`) and `[B, F, z, y, x]` for cellpose flows (F = 3, or 2
 * on 2D slices). A read covers one run of consecutive samples from one dataset (the loader
 * groups a batch by dataset), so a batch from one dataset is one resample call per array.
 * @module
 */

import type { CellMapArray, SampleSpec } from "../array/cellmap-array.ts";
import type { Interpolation, Vec3 } from "../geometry/types.ts";
import type { GpuContext } from "../gpu/context.ts";
import type { ValueOp } from "../kernels/value-transforms/contract.ts";
import type { CellposeLabels, CellposeTargetSpec } from "./types.ts";

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
  /** Whether the CPU executor's workers resample (the batch's arrays then go in shared memory). */
  sharedArrays: boolean;
  /** The CPU executor's worker count (0: the calling thread), for the passes of a CPU batch. */
  cpuWorkers: number;
  /** The GPU the batch's datasets sample on (GPU datasets). */
  gpu: GpuContext | undefined;
}
