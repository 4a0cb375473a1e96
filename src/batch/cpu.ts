/**
 * The CPU executor of a {@link BatchPlan}: every read writes into its batch array directly (in
 * shared memory when the CPU executor's workers resample, from a loader's `BatchArrayPool` when
 * one is given), then the value passes, true negatives and cellpose flows run on the CPU twins:
 * in the sample workers, a task per sample, when they resample (the arrays are then shared), else
 * here. Only value ops with a custom op run here either way. Targets go straight into
 * `[B, C, z, y, x]`, each class's samples `C` rows apart, and get their true negatives and value
 * passes there: a class of a sample is a contiguous block. A flow target's labels go into
 * `[B, S, z, y, x]` (the flow class first, then the classes exclusive with it), and each sample's
 * flows task gives them their true negatives and writes the sample's flows into the batch's flows
 * array `[B, F, z, y, x]`. Bits are the same wherever a pass runs: a sample's noise is keyed by
 * its batch index, and true negatives and flows depend on the sample alone.
 * @module
 */

import type { ArrayData } from "./types.ts";
import type { BatchPlan, PlannedRead, ReadBatchResult } from "./plan.ts";
import { batchArray, type BatchArrayPool } from "./arrays.ts";
import { flowsTasks } from "./flows.ts";
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
  for (const target of plan.targets) {
    const V = target.voxels;
    const data = take(B * C * V);
    target.reads.forEach((reads, c) => {
      for (const r of reads) run(r, data, (b) => (b * C + c) * V, C * V, V);
    });
    arrays[target.name] = { data, shape: target.shape };
  }
  // A flow target's labels per sample, `[B, S, V]` (the flow class first): a sample's labels are
  // one contiguous block, which its flows task reads.
  const flowLabels: Float32Array[] = [];
  for (const flows of plan.flows) {
    const V = flows.voxels, S = flows.labels.classes.length;
    const labels = take(B * S * V);
    flowLabels.push(labels);
    flows.reads.forEach((reads, c) => {
      for (const r of reads) run(r, labels, (b) => (b * S + c) * V, S * V, V);
    });
    arrays[flows.name] = { data: take(B * flows.spec.flowShape.length * V), shape: flows.shape };
  }
  await Promise.all(work);

  // The passes, a task per sample: in the sample workers when they resample (the batch's arrays
  // are then shared), else here; a sample with a custom op runs here either way (its CPU function
  // cannot travel). Flows, input value passes and true negatives come first; then the target
  // value passes, each on one class of one sample, a contiguous block of [B, C, V] (its noise
  // keyed by the sample).
  const exec = plan.cpuWorkers > 0 && shared ? await CpuExecutor.acquire(plan.cpuWorkers) : undefined;
  try {
    const passes = async (tasks: PassTask[], what: string): Promise<void> => {
      const here = exec ? tasks.filter(hasCustomTask) : tasks;
      const there = exec ? tasks.filter((t) => !hasCustomTask(t)) : [];
      for (const t of here) runSampleTask(t);
      if (exec) await exec.passes(there, { what, ...signal });
    };
    // Flows first: a sample's flows take longest, so they start before the short passes.
    const first: PassTask[] = plan.flows.flatMap((flows, k) =>
      flowsTasks(flowLabels[k]!, arrays[flows.name]!.data, { batch: B, spec: flows.spec, labels: flows.labels, emptyValue: plan.emptyValue })
    );
    for (const input of plan.inputs) first.push(...valueTasks(arrays[input.name]!.data, input.ops, plan.seed, (b) => b * input.voxels));
    const rel = plan.relationships;
    if (rel) {
      for (const target of plan.targets) {
        const data = arrays[target.name]!.data, V = target.voxels;
        for (let b = 0; b < B; b++) first.push({ kind: "relationships", data, at: b * C * V, batch: 1, classes: C, voxels: V, ...rel });
      }
    }
    await passes(first, "the value passes, true negatives and cellpose flows of a batch");
    const second: PassTask[] = [];
    for (const target of plan.targets) {
      const data = arrays[target.name]!.data, V = target.voxels;
      if (target.hasOps) target.ops.forEach((ops, c) => second.push(...valueTasks(data, ops, plan.seed, (b) => (b * C + c) * V)));
    }
    await passes(second, "the target value passes of a batch");
  } finally {
    exec?.release();
  }
  for (const labels of flowLabels) pool?.release(labels);
  return { arrays, centers: plan.centers };
}

/** Whether a task holds a custom op (which runs on the calling thread). */
function hasCustomTask(t: PassTask): boolean {
  return t.kind === "values" && t.samples.some((s) => s.ops.some((o: ValueOp) => o.kind === "custom"));
}

/** One values task per sample that has ops: sample `b` at element `at(b)`. */
function valueTasks(data: Float32Array, ops: PlannedOps, seed: number, at: (b: number) => number): ValuesTask[] {
  const tasks: ValuesTask[] = [];
  ops.ops.forEach((list, b) => {
    if (list.length > 0) tasks.push({ kind: "values", data, shape: ops.shape, scale: ops.scale, seed: seed >>> 0, samples: [{ b, at: at(b), ops: list }] });
  });
  return tasks;
}
