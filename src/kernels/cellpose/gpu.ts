/**
 * Host side of `shaders/cellpose.wgsl`: cellpose flow targets on the GPU, from one channel of an
 * f32 label batch `[batch, channels, z, y, x]` into flows `[batch, 3, z, y, x]` (channels z, y, x),
 * e.g. a target batch the loader left on the device. A 2D `shape` `[h, w]` gives cellpose's 2D
 * flows `[batch, 2, h, w]` (channels y, x; 3x3 diffusion), Python's `CellposeFlow(ndim=2)`. The algorithm and its CPU twin are in
 * `src/reference/cellpose.ts`.
 *
 * One call records, per group of samples that fits the device's binding limits: eight passes that
 * find the objects (union-find) and their centers, a pass that writes the indirect arguments of
 * the diffusion steps (steps beyond every sample's iteration count dispatch no workgroups), one
 * dispatch per diffusion step, and the gradient pass. Scratch: 48 bytes per voxel of a group.
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

import { ArgumentError, GpuError, throwIfAborted } from "../../errors.ts";
import {
  cellposeFlowsReference,
  type CellposeFlowOptions,
  type CellposeLayout,
  planCellpose,
} from "./twin.ts";
import type { GpuContext } from "../../gpu/context.ts";
import { dispatchGrid, uploadBuffer, uploadUniforms, USAGE, WORKGROUP_SIZE } from "../../gpu/batch-dispatch.ts";
import { cellposeWgsl } from "./shader.gen.ts";
import type { EncodedWork } from "../value-transforms/gpu.ts";

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

const ENTRIES = ["initObjects", "merge", "compress", "accumulate", "centers", "nearest", "pick", "finalize"] as const;
type Entry = (typeof ENTRIES)[number] | "plan" | "diffuse" | "gradient";
const ALL_ENTRIES: readonly Entry[] = [...ENTRIES, "plan", "diffuse", "gradient"];

const PARAMS_BYTES = 80;
const STEP_BYTES = 16;
const ACC_BYTES = 36;
const SAMPLE_WORDS = 8;
const COMPUTE = 0x4;
const INDIRECT = 0x0100;
const COPY_DST = USAGE.COPY_DST;

interface Layouts {
  readonly main: GPUBindGroupLayout;
  readonly args: GPUBindGroupLayout;
  readonly module: GPUShaderModule;
}
const layoutCache = new WeakMap<GPUDevice, Layouts>();

function layoutsFor(device: GPUDevice): Layouts {
  let made = layoutCache.get(device);
  if (made !== undefined) return made;
  const storage = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry => ({
    binding,
    visibility: COMPUTE,
    buffer: { type },
  });
  made = {
    main: device.createBindGroupLayout({
      label: "cellpose flows bindings",
      entries: [
        { binding: 0, visibility: COMPUTE, buffer: { type: "uniform" } },
        { binding: 1, visibility: COMPUTE, buffer: { type: "uniform", hasDynamicOffset: true } },
        storage(2, "read-only-storage"),
        ...[3, 4, 5, 6, 7].map((b) => storage(b, "storage")),
      ],
    }),
    args: device.createBindGroupLayout({ label: "cellpose flows step arguments", entries: [storage(0, "storage")] }),
    module: device.createShaderModule({ label: "cellpose flows module", code: cellposeWgsl }),
  };
  layoutCache.set(device, made);
  return made;
}

function pipelineDescriptor(device: GPUDevice, label: string, entry: Entry): GPUComputePipelineDescriptor {
  const l = layoutsFor(device);
  const bindGroupLayouts = entry === "plan" ? [l.main, l.args] : [l.main];
  return {
    label: `${label} ${entry}`,
    layout: device.createPipelineLayout({ label: `${label} ${entry} layout`, bindGroupLayouts }),
    compute: { module: l.module, entryPoint: entry },
  };
}

const key = (entry: Entry) => `cellmap/cellpose/${entry}`;

function pipelineFor(ctx: GpuContext, entry: Entry): GPUComputePipeline {
  return ctx.pipeline(key(entry), (device) => device.createComputePipeline(pipelineDescriptor(device, `${ctx.label} cellpose`, entry)));
}

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
  for (const entry of ALL_ENTRIES) {
    const d = pipelineDescriptor(ctx.device, `${ctx.label} cellpose`, entry);
    const made = await ctx.createComputePipeline(d.label!, cellposeWgsl, entry, { layout: d.layout as GPUPipelineLayout });
    ctx.pipeline(key(entry), () => made);
  }
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

  const stepStride = Math.max(STEP_BYTES, device.limits.minUniformBufferOffsetAlignment);
  const paramStride = Math.max(PARAMS_BYTES, device.limits.minUniformBufferOffsetAlignment);
  const steps = new Uint32Array((iterations * stepStride) / 4);
  for (let i = 0; i < iterations; i++) steps[(i * stepStride) / 4] = i;
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
    return new Uint32Array([
      V, g.count, nz, ny, nx, channels, channel, ranges[i]!.labels.element,
      ranges[i]!.flows.element, plan.mode, plan.bits, plan.iterations, grid.rowWidth, iterations, grid.x, grid.y,
      C === 2 ? 1 : 0, 0, 0, 0,
    ]).buffer;
  });

  const scratch = (what: string, size: number, usage: number) =>
    device.createBuffer({ label: `${label} ${what}`, size: Math.max(16, size), usage: usage | COPY_DST });
  const made = {
    params: uploadUniforms(device, `${label} params`, params, paramStride),
    steps: uploadBuffer(device, `${label} steps`, USAGE.UNIFORM, new Uint8Array(steps.buffer)),
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
        { binding: 0, resource: { buffer: made.params, offset: gi * paramStride, size: PARAMS_BYTES } },
        { binding: 1, resource: { buffer: made.steps, offset: 0, size: STEP_BYTES } },
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
    for (const entry of ENTRIES) {
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
    dispatches: groups.length * (ENTRIES.length + 2 + iterations),
    release() {
      if (released) return;
      released = true;
      for (const b of Object.values(made)) b.destroy();
    },
  };
}

/**
 * Cellpose flows of one label volume `[z, y, x]` or one 2D image `[h, w]`: on the GPU when `gpu`
 * is given, else by the CPU twin. For batches already on the GPU use {@link encodeCellposeFlows}.
 *
 * @param labels f32 labels, `z * y * x` (or `h * w`) values (binary mask or instance ids; NaN = unknown)
 * @param shape (z, y, x), or (h, w) for cellpose's 2D flows
 * @param options object mode, iterations, the GPU context, abort signal
 * @returns f32 flows `[3, z, y, x]`, channels (z, y, x), or for a 2D shape `[2, h, w]`, channels
 *   (y, x): unit vectors towards each object's center
 * @throws {ArgumentError} naming the bad field
 * @example
 * ```ts
 * const flows = await cellposeFlows(mask, [32, 64, 64], { gpu: ctx });
 * const dz = flows.subarray(0, 32 * 64 * 64);
 * const flows2d = await cellposeFlows(image, [64, 64], { gpu: ctx }); // [2, 64, 64]: (y, x)
 * ```
 */
export async function cellposeFlows(
  labels: Float32Array,
  shape: readonly [number, number, number] | readonly [number, number],
  options: CellposeFlowOptions & { gpu?: GpuContext; signal?: AbortSignal } = {},
): Promise<Float32Array> {
  throwIfAborted(options.signal, "cellposeFlows");
  const { gpu, signal, ...rest } = options;
  const plan = planCellpose({ batch: 1, shape }, rest);
  if (gpu === undefined) return cellposeFlowsReference(labels, { batch: 1, shape }, rest);
  if (!(labels instanceof Float32Array) || labels.length !== plan.voxels) {
    throw new ArgumentError("labels", `must be a Float32Array of ${plan.voxels} values`, labels?.length);
  }
  const device = gpu.device;
  const input = device.createBuffer({ label: `${gpu.label} cellpose labels`, size: labels.byteLength, usage: USAGE.STORAGE | COPY_DST });
  const output = device.createBuffer({ label: `${gpu.label} cellpose flows`, size: plan.ndim * labels.byteLength, usage: USAGE.STORAGE | USAGE.COPY_SRC });
  try {
    device.queue.writeBuffer(input, 0, labels.buffer instanceof ArrayBuffer ? (labels as Float32Array<ArrayBuffer>) : labels.slice());
    const encoder = device.createCommandEncoder({ label: `${gpu.label} cellpose` });
    const work = encodeCellposeFlows(gpu, encoder, { ...rest, labels: input, flows: output, batch: 1, shape });
    device.queue.submit([encoder.finish()]);
    work.release();
    return new Float32Array(await gpu.readBuffer(output, 0, output.size, signal === undefined ? {} : { signal }));
  } finally {
    input.destroy();
    output.destroy();
  }
}
