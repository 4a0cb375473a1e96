/**
 * The CPU executor of a {@link BatchPlan}: every read writes into its batch array directly (in
 * shared memory when the CPU executor's workers resample, from a loader's `BatchArrayPool` when
 * one is given), then the value passes, true negatives and flows run on the CPU twins. Targets
 * without value passes go straight into `[B, C, z, y, x]`, each class's samples `C` rows apart,
 * and get their true negatives there; with value passes they are read class by class into a
 * `[C, B, z, y, x]` scratch (each class's samples contiguous for its pass) and copied into place.
 * @module
 */

import type { ArrayData } from "./types.ts";
import type { BatchPlan, PlannedRead, ReadBatchResult } from "./plan.ts";
import { batchArray, type BatchArrayPool } from "./arrays.ts";
import { cellposeTargetCpu } from "./flows.ts";
import { applyClassRelationships, applyValueOps } from "./passes.ts";

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

  for (const input of plan.inputs) {
    applyValueOps({ kind: "cpu", data: arrays[input.name]!.data }, { batch: B, ...input.ops, seed: plan.seed });
  }
  const rel = plan.relationships;
  for (const target of plan.targets) {
    const V = target.voxels;
    const s = scratch[target.name]!;
    if (!target.hasOps) {
      // The same rule per voxel whichever layout: [B, C, V] is `B` samples of `V` voxels.
      if (rel) applyClassRelationships({ kind: "cpu", data: s }, { batch: B, classes: C, voxels: V, ...rel });
      arrays[target.name] = { data: s, shape: target.shape };
      continue;
    }
    // True negatives first, on labels: the class-major scratch [C, B, V] is one sample of B * V voxels.
    if (rel) applyClassRelationships({ kind: "cpu", data: s }, { batch: 1, classes: C, voxels: B * V, ...rel });
    target.ops.forEach((ops, c) => {
      applyValueOps({ kind: "cpu", data: s.subarray(c * B * V, (c + 1) * B * V) }, { batch: B, ...ops, seed: plan.seed });
    });
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
