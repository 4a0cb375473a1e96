/**
 * Cellpose flow targets of a batch: from class-major labels `[S, batch, V]` (the flow class
 * first, then the classes exclusive with it), true negatives, then the flows, on the CPU twin or
 * recorded for the GPU.
 * @module
 */

import type { GpuContext } from "../gpu/context.ts";
import { encodeCellposeFlows } from "../kernels/cellpose/gpu.ts";
import type { CellposeMode } from "../kernels/cellpose/contract.ts";
import { cellposeFlowsReference } from "../kernels/cellpose/twin.ts";
import { applyClassRelationships, type PassWork } from "./passes.ts";
import type { CellposeLabels, CellposeTargetSpec } from "./types.ts";

/**
 * Flows on the CPU from class-major labels `[S, batch, V]` (S = `labels.classes.length`, the
 * flow class first): true negatives in place, then the CPU twin.
 *
 * @returns f32 flows `[batch, 3, z, y, x]` (`[batch, 2, h, w]` on a 2D slice dataset)
 */
export function cellposeTargetCpu(
  scratch: Float32Array,
  options: { batch: number; spec: CellposeTargetSpec; labels: CellposeLabels; emptyValue: number },
): Float32Array {
  const { batch, spec, labels } = options;
  const V = spec.shape[0] * spec.shape[1] * spec.shape[2];
  const S = labels.classes.length;
  if (S > 1) {
    applyClassRelationships({ kind: "cpu", data: scratch }, { batch: 1, classes: S, voxels: batch * V, exclusive: labels.exclusive, emptyValue: options.emptyValue });
  }
  return cellposeFlowsReference(scratch.subarray(0, batch * V), { batch, shape: spec.flowShape }, flowOptions(spec));
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
