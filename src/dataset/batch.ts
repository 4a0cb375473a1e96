/**
 * Reading one batch: plan it (`batch-plan.ts`, pure: which array each output reads for which
 * samples, and which passes follow), then run the plan on the CPU (`src/batch/cpu.ts`: twins,
 * sample workers, batch arrays written in place) or on the datasets' GPU (`src/batch/gpu.ts`: one
 * command buffer, one submit, one map for CPU output). The layout of every output is in
 * `src/batch/plan.ts`.
 *
 * 2D slices: each dataset reads its own 3D spec (`[1, h, w]`, `[h, 1, w]` or `[h, w, 1]`, one per
 * slicing axis), all with the same voxel count, into the same `[h, w]` planes, so a batch may mix
 * slicing axes (one run per dataset); outputs are `[B, 1, h, w]` and `[B, C, h, w]`.
 * @module
 */

import { ArgumentError, throwIfAborted } from "../errors.ts";
import type { BatchArrayPool } from "../batch/arrays.ts";
import type { BatchBufferPool } from "../batch/buffers.ts";
import type { BatchItem } from "./batch-items.ts";
import { planBatch, type ReadBatchResult } from "./batch-plan.ts";
import { runBatchCpu } from "../batch/cpu.ts";
import { runBatchGpu } from "../batch/gpu.ts";
import type { ArrayData, GpuArrayData } from "./types.ts";

export type { BatchItem } from "./batch-items.ts";
export type { ReadBatchResult } from "./batch-plan.ts";

/** Options of {@link readBatch}. */
export interface ReadBatchOptions {
  /** "cpu": Float32Arrays; "gpu": GPUBuffers left on the device (GPU datasets only). */
  output: "cpu" | "gpu";
  /** Seed of the value passes' noise (a u32). */
  seed: number;
  /**
   * Where the batch's internal GPU buffers come from and go back to (a loader passes one per
   * epoch, so consecutive batches reuse them); fresh buffers without one.
   */
  buffers?: BatchBufferPool;
  /**
   * Where the Float32Arrays of a CPU batch come from (a loader passes one, and `batch.release()`
   * gives them back); fresh arrays without one.
   */
  arrays?: BatchArrayPool;
  signal?: AbortSignal;
}

/**
 * Read a batch. Items must come grouped by dataset (the loader sorts them); each run of one
 * dataset is one resample call per array.
 *
 * @param items The samples, in batch order.
 * @param options Output kind, noise seed, abort signal.
 */
export async function readBatch(
  items: readonly BatchItem[],
  options: ReadBatchOptions,
): Promise<ReadBatchResult<ArrayData | GpuArrayData>> {
  const plan = planBatch(items, { seed: options.seed });
  throwIfAborted(options.signal, "reading a batch");
  const signal = options.signal ? { signal: options.signal } : {};
  if (plan.device === "cpu") {
    if (options.output === "gpu") throw new ArgumentError("output", 'must be "cpu" for datasets on device "cpu"', options.output);
    return runBatchCpu(plan, { ...(options.arrays ? { arrays: options.arrays } : {}), ...signal });
  }
  return runBatchGpu(plan, { output: options.output, ...(options.buffers ? { buffers: options.buffers } : {}), ...(options.arrays ? { arrays: options.arrays } : {}), ...signal });
}
