/**
 * The CPU executor of a {@link BatchPlan}: every read writes into its batch array directly (in
 * shared memory when the CPU executor's workers resample, from a loader's `BatchArrayPool` when
 * one is given), then the value passes and true negatives run on the CPU twins: in the sample
 * workers, a task per sample, when they resample (the arrays are then shared), else here. Value
 * ops with a custom op, the true negatives of targets with value passes and cellpose flows run
 * here. Targets without value passes go straight into `[B, C, z, y, x]`, each class's samples `C`
 * rows apart, and get their true negatives there; with value passes they are read class by class
 * into a `[C, B, z, y, x]` scratch (each class's samples contiguous for its pass) and copied into
 * place. Bits are the same wherever a pass runs: a sample's noise is keyed by its batch index.
 * @module
 */

import type { ArrayData } from "./types.ts";
import type { BatchPlan, PlannedRead, ReadBatchResult } from "./plan.ts";
import { batchArray, type BatchArrayPool } from "./arrays.ts";
import { cellposeTargetCpu } from "./flows.ts";
import { applyClassRelationships, applyValueOps } from "./passes.ts";
import { CpuExecutor } from "../engine/cpu-executor.ts";
import { type PassTask, runSampleTask, type ValuesTask } from "../engine/sample-task.ts";
import type { PlannedOps } from "./plan.ts";
import type { ValueOp } from "../kernels/value-transforms/contract.ts";

/**
 * Run `plan` on the CPU.
 *
 * @param arrays where the batch's arrays come from (fresh ones without a pool)
 */
export async function runBatchCpu(plan: BatchPlan, options: { arrays?: BatchArrayPool; signal?: AbortSignal }): Promise<ReadBatchResult<ArrayData>> {
  const B = plan.batch;
  const C = plan.classes.length;
  const signal = options.signal ? { signal: options.signal } : {};
  // Shared memory when the executor's workers resample: they write into these arrays directly.
  const shared = plan.sharedArrays;
  const pool = options.arrays;
  const take = (n: number): Float32Array => (pool ? pool.acquire(n, shared) : batchArray(n, shared));
  const work: Promise<void>[] = [];
  /** Run a read's samples into `data`: sample b at `at(b)`, samples `stride` apart. */
  const run = (r: PlannedRead, data: Float32Array, at: (b: number) => number, stride: number, V: number): void => {
    if (r.kind === "fill") {
      for (let b = r.first; b < r.first + r.count; b++) data.fill(r.fill, at(b), at(b) + V);
      return;
    }
    const out = data.subarray(at(r.first), at(r.first + r.count - 1) + V);
    work.push(r.array.sample(r.specs, { ...r.grid, out, outStride: stride, ...signal }).then(() => {}));
  };

  const arrays: Record<string, ArrayData> = {};
  for (const input of plan.inputs) {
    const V = input.voxels;
    const data = take(B * V);
    for (const r of input.reads) run(r, data, (b) => b * V, V, V);
    arrays[input.name] = { data, shape: input.shape };
  }
  const scratch: Record<string, Float32Array> = {};
  for (const target of plan.targets) {
    const V = target.voxels;
    const s = (scratch[target.name] = take(C * B * V));
    target.reads.forEach((reads, c) => {
      for (const r of reads) {
        if (target.hasOps) run(r, s, (b) => (c * B + b) * V, V, V);
        else run(r, s, (b) => (b * C + c) * V, C * V, V);
      }
    });
  }
  const flowLabels: Record<string, Float32Array> = {};
  for (const flows of plan.flows) {
    const V = flows.voxels;
    const s = (flowLabels[flows.name] = take(flows.labels.classes.length * B * V));
    flows.reads.forEach((reads, c) => {
      for (const r of reads) run(r, s, (b) => (c * B + b) * V, V, V);
    });
  }
  await Promise.all(work);

  // The passes: in the sample workers (a task per sample) when they resample, so the batch's
  // arrays are shared; value ops with a custom op run here (its CPU function cannot travel).
  const exec = plan.cpuWorkers > 0 && shared ? await CpuExecutor.acquire(plan.cpuWorkers) : undefined;
  try {
    const passes = (tasks: PassTask[], what: string) => (exec ? exec.passes(tasks, { what, ...signal }) : Promise.resolve(tasks.forEach(runSampleTask)));
    const first: PassTask[] = [];
    for (const input of plan.inputs) {
      const data = arrays[input.name]!.data;
      if (exec && !hasCustom(input.ops.ops)) first.push(...valueTasks(data, input.ops, plan.seed, (b) => b * input.voxels));
      else applyValueOps({ kind: "cpu", data }, { batch: B, ...input.ops, seed: plan.seed });
    }
    const rel = plan.relationships;
    for (const target of plan.targets) {
      // [B, C, V] is `B` samples of `C` classes of `V` voxels: the same rule per voxel as any layout.
      if (!target.hasOps && rel) {
        const s = scratch[target.name]!, CV = C * target.voxels;
        for (let b = 0; b < B; b++) first.push({ kind: "relationships", data: s, at: b * CV, batch: 1, classes: C, voxels: target.voxels, ...rel });
      }
    }
    await passes(first, "the value passes and true negatives of a batch");
    const second: PassTask[] = [];
    for (const target of plan.targets) {
      const V = target.voxels;
      const s = scratch[target.name]!;
      if (!target.hasOps) continue;
      // True negatives first, on labels: the class-major scratch [C, B, V] is one sample of B * V voxels.
      if (rel) applyClassRelationships({ kind: "cpu", data: s }, { batch: 1, classes: C, voxels: B * V, ...rel });
      target.ops.forEach((ops, c) => {
        if (exec && !hasCustom(ops.ops)) second.push(...valueTasks(s, ops, plan.seed, (b) => (c * B + b) * V));
        else applyValueOps({ kind: "cpu", data: s.subarray(c * B * V, (c + 1) * B * V) }, { batch: B, ...ops, seed: plan.seed });
      });
    }
    await passes(second, "the target value passes of a batch");
  } finally {
    exec?.release();
  }
  for (const target of plan.targets) {
    const V = target.voxels;
    const s = scratch[target.name]!;
    if (!target.hasOps) {
      arrays[target.name] = { data: s, shape: target.shape };
      continue;
    }
    const out = take(B * C * V);
    for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) out.set(s.subarray((c * B + b) * V, (c * B + b + 1) * V), (b * C + c) * V);
    pool?.release(s);
    arrays[target.name] = { data: out, shape: target.shape };
  }
  for (const flows of plan.flows) {
    const labels = flowLabels[flows.name]!;
    arrays[flows.name] = { data: cellposeTargetCpu(labels, { batch: B, spec: flows.spec, labels: flows.labels, emptyValue: plan.emptyValue }), shape: flows.shape };
    pool?.release(labels);
  }
  return { arrays, centers: plan.centers };
}

/** Whether any sample's ops hold a custom op (which runs on the calling thread). */
function hasCustom(ops: readonly (readonly ValueOp[])[]): boolean {
  return ops.some((l) => l.some((o) => o.kind === "custom"));
}

/** One values task per sample that has ops: sample `b` at element `at(b)`. */
function valueTasks(data: Float32Array, ops: PlannedOps, seed: number, at: (b: number) => number): ValuesTask[] {
  const tasks: ValuesTask[] = [];
  ops.ops.forEach((list, b) => {
    if (list.length > 0) tasks.push({ kind: "values", data, shape: ops.shape, scale: ops.scale, seed: seed >>> 0, samples: [{ b, at: at(b), ops: list }] });
  });
  return tasks;
}
