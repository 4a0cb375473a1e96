/**
 * Host side of `shaders/distance.wgsl`: the steps of a distance-transform barrier inside the
 * value-transform stage (`src/gpu/value-transforms.ts` records them). Three dispatches per
 * barrier and sample group, one per axis, one thread per line; scratch: two squared-distance
 * channels per voxel (`work`) and `3 n` words per line for the lower envelope (`env`). The CPU
 * twin and the definitions are in `src/reference/distance.ts`.
 *
 * @example
 * ```ts
 * await prepareDistance(ctx);   // optional: surfaces shader errors as a GpuError
 * const words = distanceScratchWords([64, 64, 64]); // per sample: { work, env }
 * ```
 * @module
 */

import { FLOAT32_MAX, type ValueOp } from "../../augment/value.ts";
import type { GpuContext } from "../../gpu/context.ts";
import { dispatchGrid, syncPipeline } from "../../gpu/batch-dispatch.ts";
import { distanceWgsl } from "./shader.gen.ts";
import type { ValueStep } from "../value-transforms/gpu.ts";

type DistanceOp = Extract<ValueOp, { kind: "distance" }>;
type Shape = readonly [number, number, number];

/** Words of one row of the per-sample table (`DistSample`: head vec4u, args vec4f). */
export const DISTANCE_ROW_WORDS = 8;

const KEY = "cellmap/distance/edt";
const label = (ctx: GpuContext) => `${ctx.label} distance transform`;

/** Compile and validate the pipeline now (optional; it is otherwise made on first use). */
export async function prepareDistance(ctx: GpuContext): Promise<void> {
  const made = await ctx.createComputePipeline(label(ctx), distanceWgsl, "edt");
  ctx.pipeline(KEY, () => made);
}

/** Scratch words per sample: `work` (two channels of squared distances) and `env` (envelopes). */
export function distanceScratchWords(shape: Shape): { work: number; env: number } {
  const voxels = shape[0] * shape[1] * shape[2];
  // lines * 3n = 3 * voxels on every axis.
  return { work: 2 * voxels, env: 3 * voxels };
}

/** Write the table row of one sample: mode (0 none, 1 distance, 2 signed), clip bounds, tanh scale. */
export function writeDistanceRow(table: ArrayBuffer, row: number, op: DistanceOp | undefined): void {
  const u = new Uint32Array(table, row * DISTANCE_ROW_WORDS * 4, DISTANCE_ROW_WORDS);
  const f = new Float32Array(table, row * DISTANCE_ROW_WORDS * 4, DISTANCE_ROW_WORDS);
  if (op === undefined) {
    u.fill(0);
    return;
  }
  const [lo, hi] = op.clip ?? [-Infinity, Infinity];
  u[0] = op.signed ? 2 : 1;
  f[4] = Math.max(lo, -FLOAT32_MAX);
  f[5] = Math.min(hi, FLOAT32_MAX);
  f[6] = op.tanhScale ?? 0;
}

/** What {@link distanceSteps} needs about one sample group. */
export interface DistanceGroup {
  readonly count: number;
  /** Index of the group's first sample in the call. */
  readonly first: number;
  /** The group's values (`count` samples from element `elementOffset`). */
  readonly data: GPUBufferBinding;
  readonly elementOffset: number;
  readonly work: GPUBufferBinding;
  readonly env: GPUBufferBinding;
  /** The per-(barrier, sample) table. */
  readonly table: GPUBuffer;
  /** Row of the call's first sample at this barrier (`barrier * batch`). */
  readonly tableBase: number;
}

/** The three dispatches (z, y, x) of one distance barrier over one sample group. */
export function distanceSteps(ctx: GpuContext, shape: Shape, scale: Shape, g: DistanceGroup): ValueStep[] {
  const pipeline = syncPipeline(ctx, KEY, label(ctx), distanceWgsl, "edt");
  const voxels = shape[0] * shape[1] * shape[2];
  const steps: ValueStep[] = [];
  for (let axis = 0; axis < 3; axis++) {
    const n = shape[axis]!;
    const lines = voxels / n;
    const grid = dispatchGrid(g.count * lines, ctx.device.limits.maxComputeWorkgroupsPerDimension);
    const params = new ArrayBuffer(64);
    const u = new Uint32Array(params);
    u.set([...shape, voxels, g.count, g.first, grid.rowWidth, axis, g.tableBase, g.elementOffset, lines, 3 * n], 0);
    new Float32Array(params).set(scale, 12);
    steps.push({
      pipeline,
      name: `distance axis ${axis}`,
      params,
      bindings: (uniform) => [
        { binding: 0, resource: uniform },
        { binding: 1, resource: g.data },
        { binding: 2, resource: g.work },
        { binding: 3, resource: g.env },
        { binding: 4, resource: { buffer: g.table } },
      ],
      workgroups: [grid.x, grid.y],
    });
  }
  return steps;
}
