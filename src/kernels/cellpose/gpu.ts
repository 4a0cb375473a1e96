/**
 * Host side of `cellpose.wgsl`: cellpose flow targets on the GPU, from one channel of an
 * f32 label batch `[batch, channels, z, y, x]` into flows `[batch, 3, z, y, x]` (channels z, y, x),
 * e.g. a target batch the loader left on the device. A 2D `shape` `[h, w]` gives cellpose's 2D
 * flows `[batch, 2, h, w]` (channels y, x; 3x3 diffusion), Python's `CellposeFlow(ndim=2)`. The algorithm and its CPU twin are in
 * `twin.ts`; the checks of a call (`planCellpose`) and the scratch records in `contract.ts`.
 *
 * One call records, per group of samples that fits the device's binding limits: eight passes that
 * find the objects (union-find) and their centers, a pass that writes the indirect arguments of
 * the diffusion steps (steps beyond every sample's iteration count dispatch no workgroups), one
 * dispatch per diffusion step, and the gradient pass. Scratch: 48 bytes per voxel of a group.
 * The pipelines and their bind group layouts are in `gpu-pipelines.ts`.
 *
 * @example
 * ```ts
 * // Flows of class 0 of a target batch [B, C, z, y, x] left on the GPU by the loader.
 * const [B, C, z, y, x] = batch.gt.shape;
 * const flows = ctx.device.createBuffer({ size: B * 3 * z * y * x * 4,
 *   usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
 * const encoder = ctx.device.createCommandEncoder();
 * const work = encodeCellposeFlows(ctx, encoder, {
 *   labels: batch.gt.buffer, flows, batch: B, channels: C, channel: 0, shape: [z, y, x],
 * });
 * ctx.device.queue.submit([encoder.finish()]);
 * work.release();
 * ```
 * @module
 */

import { ArgumentError, GpuError } from "../../errors.ts";
import { ACC_WORDS, type CellposeFlowOptions, type CellposeLayout, planCellpose, SAMPLE_WORDS } from "./contract.ts";
import type { GpuContext } from "../../gpu/context.ts";
import { dispatchGrid, uploadBuffer, uploadUniforms, USAGE, WORKGROUP_SIZE } from "../../gpu/batch-dispatch.ts";
import { cellposeLayouts } from "./shader.gen.ts";
import { layoutsFor, OBJECT_ENTRIES, pipelineFor, preparePipelines } from "./gpu-pipelines.ts";
import { type FieldValues, writeStruct } from "../layout.ts";
import type { EncodedWork } from "../value-transforms/gpu-record.ts";

/** Inputs of {@link encodeCellposeFlows}. */
export interface CellposeFlowsDispatchOptions extends CellposeLayout, CellposeFlowOptions {
  /** f32 labels `[batch, channels, z, y, x]` (2D `shape`: `[batch, channels, y, x]`) from `labelsByteOffset`; needs STORAGE usage. */
  readonly labels: GPUBuffer;
  /** Byte offset of the labels, a multiple of 4 (default 0). */
  readonly labelsByteOffset?: number;
  /**
   * Receives f32 flows `[batch, 3, z, y, x]` (2D `shape` `[h, w]`: `[batch, 2, h, w]`, the row and
   * column components) from `flowsByteOffset`; STORAGE usage, not `labels`.
   */
  readonly flows: GPUBuffer;
  /** Byte offset of the flows, a multiple of 4 (default 0). */
  readonly flowsByteOffset?: number;
}

const PARAMS = cellposeLayouts.Params;
const STEP = cellposeLayouts.Step;
const ACC_BYTES = 4 * ACC_WORDS;
const INDIRECT = 0x0100;
const COPY_DST = USAGE.COPY_DST;

/**
 * Compile and validate the cellpose pipelines, so shader errors surface as a {@link GpuError}
 * with the compiler's messages. Optional: {@link encodeCellposeFlows} compiles on first use.
 *
 * @throws {GpuError} when a pipeline fails validation
 * @example
 * ```ts
 * await prepareCellposeFlows(ctx);
 * ```
 */
export async function prepareCellposeFlows(ctx: GpuContext): Promise<void> {
  await preparePipelines(ctx);
}

function byteOffset(value: number | undefined, field: string): number {
  const v = value ?? 0;
  if (!Number.isInteger(v) || v < 0 || v % 4 !== 0) throw new ArgumentError(field, "must be a non-negative multiple of 4", v);
  return v;
}

/**
 * Record the cellpose flows of channel `channel` of `labels` into `flows`.
 *
 * @param ctx the GPU context (its device owns both buffers)
 * @param encoder where the passes are recorded
 * @param options buffers, offsets, layout, object mode and iterations
 * @returns the recorded work; call `release()` after submitting
 * @throws {ArgumentError} naming the bad field (layout, options, offsets, buffers too small or the same)
 * @throws {GpuError} when one sample's scratch exceeds the device's binding limit
 * @example
 * ```ts
 * const work = encodeCellposeFlows(ctx, encoder, { labels, flows, batch: 4, shape: [32, 32, 32], mode: "instances" });
 * ctx.device.queue.submit([encoder.finish()]);
 * work.release();
 * ```
 */
export function encodeCellposeFlows(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  options: CellposeFlowsDispatchOptions,
): EncodedWork {
  ctx.assertAlive();
  const plan = planCellpose(options, options);
  const { labels, flows } = options;
  const inBytes = byteOffset(options.labelsByteOffset, "labelsByteOffset");
  const outBytes = byteOffset(options.flowsByteOffset, "flowsByteOffset");
  if (typeof labels?.size !== "number") throw new ArgumentError("labels", "must be a GPUBuffer", labels);
  if (typeof flows?.size !== "number") throw new ArgumentError("flows", "must be a GPUBuffer", flows);
  if (flows === labels) throw new ArgumentError("flows", "must be a different buffer from labels");
  const { batch, channels, channel, voxels: V } = plan;
  const inNeed = inBytes + batch * channels * V * 4;
  if (inNeed > labels.size) throw new ArgumentError("labels", `holds ${labels.size} bytes; the layout needs ${inNeed}`, labels.size);
  const C = plan.ndim; // flow channels
  const outNeed = outBytes + batch * C * V * 4;
  if (outNeed > flows.size) throw new ArgumentError("flows", `holds ${flows.size} bytes; the flows need ${outNeed}`, flows.size);

  const device = ctx.device;
  const align = device.limits.minStorageBufferOffsetAlignment;
  const maxBind = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  const perVoxel = Math.max(ACC_BYTES, 4 * channels, 12);
  const perGroup = Math.min(batch, Math.floor((maxBind - align) / (V * perVoxel)), Math.floor(0x7fffffff / V));
  if (perGroup < 1) {
    throw new GpuError(
      `cellpose flows: one sample of ${V} voxels needs ${V * perVoxel} bytes in one binding, more than this device ` +
        `binds at once (maxStorageBufferBindingSize ${device.limits.maxStorageBufferBindingSize}); use a smaller shape`,
    );
  }
  const label = `${ctx.label} cellpose`;
  const maxDim = device.limits.maxComputeWorkgroupsPerDimension;
  const groups: { first: number; count: number }[] = [];
  for (let first = 0; first < batch; first += perGroup) groups.push({ first, count: Math.min(perGroup, batch - first) });
  const N = perGroup * V;
  const grids = groups.map((g) => dispatchGrid(g.count * V, maxDim));
  const iterations = plan.maxIterations;

  const stepStride = Math.max(STEP.size, device.limits.minUniformBufferOffsetAlignment);
  const paramStride = Math.max(PARAMS.size, device.limits.minUniformBufferOffsetAlignment);
  const steps = encodeCellposeSteps(iterations, stepStride);
  const bindRange = (start: number, bytes: number) => {
    const offset = Math.floor(start / align) * align;
    return { offset, size: start - offset + bytes, element: (start - offset) / 4 };
  };
  const ranges = groups.map((g) => ({
    labels: bindRange(inBytes + g.first * channels * V * 4, g.count * channels * V * 4),
    flows: bindRange(outBytes + g.first * C * V * 4, g.count * C * V * 4),
  }));
  const params = groups.map((g, i) => {
    const [nz, ny, nx] = plan.shape;
    const grid = grids[i]!;
    return encodeCellposeParams({
      voxels: V,
      count: g.count,
      nz,
      ny,
      nx,
      channels,
      channel,
      inOffset: ranges[i]!.labels.element,
      outOffset: ranges[i]!.flows.element,
      mode: plan.mode,
      bits: plan.bits,
      iterations: plan.iterations,
      rowWidth: grid.rowWidth,
      maxIterations: iterations,
      gridX: grid.x,
      gridY: grid.y,
      planar: C === 2 ? 1 : 0,
    });
  });

  const pool = ctx.uploads;
  const scratch = (what: string, size: number, usage: number) => pool.scratch(encoder, `${label} ${what}`, usage | COPY_DST, Math.max(16, size));
  const made = {
    params: uploadUniforms(pool, `${label} params`, params, paramStride),
    steps: uploadBuffer(pool, `${label} steps`, USAGE.UNIFORM, new Uint8Array(steps)),
    comp: scratch("objects", 4 * N, USAGE.STORAGE),
    acc: scratch("centers", ACC_BYTES * N, USAGE.STORAGE),
    perSample: scratch("per-sample", 4 * (SAMPLE_WORDS * perGroup + 1), USAGE.STORAGE),
    heat: scratch("heat", 8 * N, USAGE.STORAGE),
    args: scratch("step arguments", 12 * iterations, USAGE.STORAGE | INDIRECT),
  };
  const layouts = layoutsFor(device);
  const argsGroup = device.createBindGroup({
    label: `${label} step arguments`,
    layout: layouts.args,
    entries: [{ binding: 0, resource: { buffer: made.args } }],
  });

  groups.forEach((g, gi) => {
    const n = g.count * V;
    const r = ranges[gi]!;
    const grid = grids[gi]!;
    const bindGroup = device.createBindGroup({
      label: `${label} bind group`,
      layout: layouts.main,
      entries: [
        { binding: 0, resource: { buffer: made.params, offset: gi * paramStride, size: PARAMS.size } },
        { binding: 1, resource: { buffer: made.steps, offset: 0, size: STEP.size } },
        { binding: 2, resource: { buffer: labels, offset: r.labels.offset, size: r.labels.size } },
        { binding: 3, resource: { buffer: made.comp, offset: 0, size: 4 * n } },
        { binding: 4, resource: { buffer: made.acc, offset: 0, size: ACC_BYTES * n } },
        { binding: 5, resource: { buffer: made.perSample, offset: 0, size: 4 * (SAMPLE_WORDS * g.count + 1) } },
        { binding: 6, resource: { buffer: made.heat, offset: 0, size: 8 * n } },
        { binding: 7, resource: { buffer: flows, offset: r.flows.offset, size: r.flows.size } },
      ],
    });
    encoder.clearBuffer(made.acc, 0, ACC_BYTES * n);
    encoder.clearBuffer(made.perSample);
    const objects = encoder.beginComputePass({ label: `${label} objects and centers` });
    for (const entry of OBJECT_ENTRIES) {
      objects.setPipeline(pipelineFor(ctx, entry));
      objects.setBindGroup(0, bindGroup, [0]);
      objects.dispatchWorkgroups(grid.x, grid.y);
    }
    objects.setPipeline(pipelineFor(ctx, "plan"));
    objects.setBindGroup(0, bindGroup, [0]);
    objects.setBindGroup(1, argsGroup);
    objects.dispatchWorkgroups(Math.ceil(iterations / WORKGROUP_SIZE));
    objects.end();
    encoder.clearBuffer(made.heat, 0, 8 * n);
    const heat = encoder.beginComputePass({ label: `${label} heat and flows` });
    heat.setPipeline(pipelineFor(ctx, "diffuse"));
    for (let i = 0; i < iterations; i++) {
      heat.setBindGroup(0, bindGroup, [i * stepStride]);
      heat.dispatchWorkgroupsIndirect(made.args, 12 * i);
    }
    heat.setPipeline(pipelineFor(ctx, "gradient"));
    heat.setBindGroup(0, bindGroup, [0]);
    heat.dispatchWorkgroups(grid.x, grid.y);
    heat.end();
  });

  let released = false;
  return {
    dispatches: groups.length * (OBJECT_ENTRIES.length + 2 + iterations),
    release() {
      if (released) return;
      released = true;
      for (const b of Object.values(made)) pool.release(b);
    },
  };
}

/** The uniform block (`Params` of cellpose.wgsl) of one sample group, its fields written by name. */
export function encodeCellposeParams(values: FieldValues<typeof PARAMS>): ArrayBuffer {
  const buffer = new ArrayBuffer(PARAMS.size);
  writeStruct(PARAMS, new DataView(buffer), 0, values);
  return buffer;
}

/**
 * The diffusion steps' uniform blocks (`Step` of cellpose.wgsl), `stride` bytes apart (a dynamic
 * offset each): `index.x` is the step number.
 */
export function encodeCellposeSteps(iterations: number, stride: number): ArrayBuffer {
  const buffer = new ArrayBuffer(iterations * stride);
  const view = new DataView(buffer);
  for (let i = 0; i < iterations; i++) writeStruct(STEP, view, i * stride, { index: [i] });
  return buffer;
}
