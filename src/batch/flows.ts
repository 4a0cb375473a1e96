/**
 * Cellpose flow targets of a batch, on the CPU twin or recorded for the GPU. On the CPU the labels
 * are laid out per sample, `[batch, S, V]` (the flow class first, then the classes exclusive with
 * it), and each sample is one task ({@link flowsTasks}): true negatives, then the flows, written
 * into the batch's flows array; the CPU executor runs the tasks in its sample workers, or the
 * calling thread runs them, with the same bits. On the GPU the labels come class-major,
 * `[S, batch, V]`.
 *
 * @example
 * ```ts
 * const tasks = flowsTasks(labels, flows, { batch: 2, spec, labels: { classes: ["mito"], exclusive: [[false]] }, emptyValue: NaN });
 * for (const t of tasks) runSampleTask(t); // or: await executor.passes(tasks)
 * ```
 * @module
 */

import type { GpuContext } from "../gpu/context.ts";
import { encodeCellposeFlows } from "../kernels/cellpose/gpu.ts";
import type { CellposeMode } from "../kernels/cellpose/contract.ts";
import type { FlowsTask } from "../engine/sample-task.ts";
import { applyClassRelationships, type PassWork } from "./passes.ts";
import type { CellposeLabels, CellposeTargetSpec } from "./types.ts";

/**
 * The CPU tasks of a flow target, one per sample: sample `b`'s labels `[S, V]` at element
 * `b * S * V` of `labels` (`[batch, S, V]`, S = `labels.classes.length`, the flow class first)
 * get their true negatives in place, and its flows go to `flows` (`[batch, 3, z, y, x]`, or
 * `[batch, 2, h, w]` on a 2D slice dataset) from element `b * F * V`.
 *
 * @returns the tasks, for `CpuExecutor.passes` or `runSampleTask`
 */
export function flowsTasks(
  labels: Float32Array,
  flows: Float32Array,
  options: { batch: number; spec: CellposeTargetSpec; labels: CellposeLabels; emptyValue: number },
): FlowsTask[] {
  const { batch, spec } = options;
  const V = spec.shape[0] * spec.shape[1] * spec.shape[2];
  const S = options.labels.classes.length;
  const F = spec.flowShape.length;
  const tasks: FlowsTask[] = [];
  for (let b = 0; b < batch; b++) {
    tasks.push({
      kind: "flows",
      labels,
      labelsAt: b * S * V,
      classes: S,
      exclusive: options.labels.exclusive,
      emptyValue: options.emptyValue,
      flows,
      flowsAt: b * F * V,
      shape: spec.flowShape,
      ...flowOptions(spec),
    });
  }
  return tasks;
}

/**
 * Record the flows of class-major labels `[S, batch, V]` (in `scratch`, the flow class first)
 * into `flows` `[batch, 3, z, y, x]` (`[batch, 2, h, w]` on a 2D slice dataset): with exclusive classes, the labels are first laid out per
 * sample (`[batch, S, V]`, a buffer that `release()` destroys) and given their true negatives.
 *
 * @returns the recorded work; release it after submitting
 */
export function encodeCellposeTarget(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  options: {
    scratch: GPUBuffer;
    flows: GPUBuffer;
    batch: number;
    spec: CellposeTargetSpec;
    labels: CellposeLabels;
    emptyValue: number;
  },
): PassWork {
  const { batch: B, spec, labels } = options;
  const V = spec.shape[0] * spec.shape[1] * spec.shape[2];
  const S = labels.classes.length;
  let source = options.scratch;
  const works: PassWork[] = [];
  if (S > 1) {
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
    const made = ctx.uploads.acquire(`${ctx.label} cellpose ${spec.class} labels`, usage, B * S * V * 4);
    works.push({ release: () => ctx.uploads.release(made) });
    source = made;
    for (let b = 0; b < B; b++) for (let c = 0; c < S; c++) encoder.copyBufferToBuffer(options.scratch, (c * B + b) * V * 4, source, (b * S + c) * V * 4, V * 4);
    const target = { kind: "gpu" as const, ctx, encoder, buffer: source, byteOffset: 0 };
    works.push(applyClassRelationships(target, { batch: B, classes: S, voxels: V, exclusive: labels.exclusive, emptyValue: options.emptyValue }));
  }
  works.push(encodeCellposeFlows(ctx, encoder, { ...flowOptions(spec), labels: source, flows: options.flows, batch: B, channels: S, channel: 0, shape: spec.flowShape }));
  return { release: () => works.forEach((w) => w.release()) };
}

function flowOptions(spec: CellposeTargetSpec): { mode: CellposeMode; iterations?: number } {
  return { mode: spec.mode, ...(spec.iterations === undefined ? {} : { iterations: spec.iterations }) };
}
