/**
 * Host side of `distance.wgsl`: the steps of a distance-transform barrier inside the
 * value-transform stage (`../value-transforms/gpu.ts` records them). Three dispatches per
 * barrier and sample group, one per axis, one thread per line; scratch: two squared-distance
 * channels per voxel (`work`) and `3 n` words per line for the lower envelope (`env`). The CPU
 * twin and the definitions are in `twin.ts`, the table's mode codes in `contract.ts`.
 *
 * @example
 * ```ts
 * await prepareDistance(ctx);   // optional: surfaces shader errors as a GpuError
 * const words = distanceScratchWords([64, 64, 64]); // per sample: { work, env }
 * ```
 * @module
 */

import { FLOAT32_MAX } from "../value-transforms/contract.ts";
import { DISTANCE_MODE, type DistanceSpec } from "./contract.ts";
import { type FieldValues, writeStruct } from "../layout.ts";
import type { GpuContext } from "../../gpu/context.ts";
import { dispatchGrid, syncPipeline } from "../../gpu/batch-dispatch.ts";
import { distanceLayouts, distanceWgsl } from "./shader.gen.ts";
import type { ValueStep } from "../value-transforms/gpu-record.ts";

type Shape = readonly [number, number, number];

const PARAMS = distanceLayouts.Params;
const ROW = distanceLayouts.DistSample;

/** Bytes of one row of the per-(barrier, sample) table (`DistSample` of distance.wgsl). */
export const DISTANCE_ROW_BYTES = ROW.size;

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

/** Write the table row of one sample: mode (none, distance, signed), clip bounds, tanh scale. */
export function writeDistanceRow(table: ArrayBuffer, row: number, op: DistanceSpec | undefined): void {
  const view = new DataView(table);
  if (op === undefined) {
    writeStruct(ROW, view, row * ROW.size, { head: [DISTANCE_MODE.none, 0, 0, 0], args: [0, 0, 0, 0] });
    return;
  }
  const [lo, hi] = op.clip ?? [-Infinity, Infinity];
  writeStruct(ROW, view, row * ROW.size, {
    head: [op.signed ? DISTANCE_MODE.signed : DISTANCE_MODE.distance],
    args: [Math.max(lo, -FLOAT32_MAX), Math.min(hi, FLOAT32_MAX), op.tanhScale ?? 0],
  });
}

/** The uniform block (`Params` of distance.wgsl) of one dispatch, its fields written by name. */
export function encodeDistanceParams(values: FieldValues<typeof PARAMS>): ArrayBuffer {
  const buffer = new ArrayBuffer(PARAMS.size);
  writeStruct(PARAMS, new DataView(buffer), 0, values);
  return buffer;
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
    const params = encodeDistanceParams({
      shape,
      voxels,
      count: g.count,
      sampleBase: g.first,
      rowWidth: grid.rowWidth,
      axis,
      tableBase: g.tableBase,
      dataOffset: g.elementOffset,
      lines,
      lineWords: 3 * n,
      spacing: scale,
    });
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
