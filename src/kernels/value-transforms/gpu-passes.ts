/**
 * The dispatches of the value-transform stage over one sample group, as {@link ValueStep}s: the
 * pointwise ops of a stage (one dispatch for all samples), a blur barrier (separable passes
 * through a scratch buffer, an odd count ending in a copy back), a mean barrier (a partial and a
 * final reduction) and custom-op barriers (one dispatch per distinct source). The built-in
 * pipelines are compiled once per device.
 *
 * @example
 * ```ts
 * steps.push(pointwiseStep(ctx, group, k, buffers));
 * steps.push(...blurSteps(ctx, group, k, axes, buffers));
 * ```
 * @module
 */

import type { SampleGroup } from "../../gpu/batch-dispatch.ts";
import { syncPipeline } from "../../gpu/batch-dispatch.ts";
import type { GpuContext } from "../../gpu/context.ts";
import { customParams } from "../custom-op/gpu.ts";
import type { FieldValues } from "../layout.ts";
import { COPY_AXIS } from "./contract.ts";
import type { ValueStep } from "./gpu-record.ts";
import { encodeValueParams, PARTIAL_BYTES } from "./gpu-tables.ts";
import { valueTransformsLayouts, valueTransformsWgsl } from "./shader.gen.ts";

/** The entry points of value-transforms.wgsl. */
export const ENTRY_POINTS = ["pointwise", "reducePartial", "reduceFinal", "blur"] as const;
type EntryPoint = (typeof ENTRY_POINTS)[number];

const key = (entry: EntryPoint) => `cellmap/value-transforms/${entry}`;
const pipelineLabel = (ctx: GpuContext, entry: EntryPoint) => `${ctx.label} value transforms ${entry}`;

/** Compile and validate the built-in pipelines now, so shader errors surface as a GpuError. */
export async function prepareValuePipelines(ctx: GpuContext): Promise<void> {
  for (const entry of ENTRY_POINTS) {
    const made = await ctx.createComputePipeline(pipelineLabel(ctx, entry), valueTransformsWgsl, entry);
    ctx.pipeline(key(entry), () => made);
  }
}

function pipe(ctx: GpuContext, entry: EntryPoint): { pipeline: GPUComputePipeline; name: string } {
  return { pipeline: syncPipeline(ctx, key(entry), pipelineLabel(ctx, entry), valueTransformsWgsl, entry), name: entry };
}

/** The buffers of one call that the passes bind. */
export interface ValueBuffers {
  readonly ops: GPUBuffer;
  readonly segs: GPUBuffer;
  readonly means: GPUBuffer;
  readonly blurTable?: GPUBuffer | undefined;
  readonly weights?: GPUBuffer | undefined;
  /** A group's worth of samples, the other side of each blur pass. */
  readonly scratch?: GPUBuffer | undefined;
  /** Partial sums of the mean reduction, `PARTIAL_BYTES` per (sample, block). */
  readonly partials?: GPUBuffer | undefined;
}

/** One sample group as the passes see it. */
export interface ValueGroup {
  readonly group: SampleGroup;
  /** The group's values. */
  readonly data: GPUBufferBinding;
  /** Bytes per sample. */
  readonly sampleBytes: number;
  /** Samples in the whole call. */
  readonly batch: number;
  /** Workgroups of a one-thread-per-voxel dispatch. */
  readonly grid: { readonly x: number; readonly y: number; readonly rowWidth: number };
  /** Every `Params` field of the group's dispatches; each pass overrides some. */
  readonly base: FieldValues<typeof valueTransformsLayouts.Params> & { readonly blocks: number; readonly voxels: number };
}

/** The pointwise ops of stage `k` of every sample of the group, in one dispatch. */
export function pointwiseStep(ctx: GpuContext, v: ValueGroup, k: number, buffers: ValueBuffers): ValueStep {
  return {
    ...pipe(ctx, "pointwise"),
    params: encodeValueParams({ ...v.base, stage: k, dstOffset: v.group.elementOffset }),
    bindings: (uniform) => [
      { binding: 0, resource: uniform },
      { binding: 1, resource: v.data },
      { binding: 2, resource: { buffer: buffers.ops } },
      { binding: 3, resource: { buffer: buffers.segs } },
      { binding: 4, resource: { buffer: buffers.means } },
    ],
    workgroups: [v.grid.x, v.grid.y],
  };
}

/**
 * The blur passes of barrier `k` along the axes some sample of the group blurs along, data ->
 * scratch -> data; an odd number of axes ends with a copy back.
 */
export function blurSteps(ctx: GpuContext, v: ValueGroup, k: number, axes: readonly boolean[], buffers: ValueBuffers): ValueStep[] {
  const g = v.group;
  const scratch = (): GPUBufferBinding => ({ buffer: buffers.scratch!, offset: 0, size: g.count * v.sampleBytes });
  const passes = [0, 1, 2].filter((a) => axes[a]);
  if (passes.length % 2 === 1) passes.push(COPY_AXIS);
  return passes.map((axis, i) => {
    const fromData = i % 2 === 0;
    const src = fromData ? v.data : scratch();
    const dst = fromData ? scratch() : v.data;
    return {
      ...pipe(ctx, "blur"),
      params: encodeValueParams({
        ...v.base,
        stage: axis,
        sampleBase: k * v.batch + g.first,
        srcOffset: fromData ? g.elementOffset : 0,
        dstOffset: fromData ? 0 : g.elementOffset,
      }),
      bindings: (uniform) => [
        { binding: 0, resource: uniform },
        { binding: 5, resource: src },
        { binding: 6, resource: dst },
        { binding: 7, resource: { buffer: buffers.blurTable! } },
        { binding: 8, resource: { buffer: buffers.weights! } },
      ],
      workgroups: [v.grid.x, v.grid.y],
    };
  });
}

/** The mean of every sample of the group (finite voxels only): per-block partial sums, then the means. */
export function meanSteps(ctx: GpuContext, v: ValueGroup, buffers: ValueBuffers): ValueStep[] {
  const g = v.group;
  const blocks = v.base.blocks;
  const partials: GPUBufferBinding = { buffer: buffers.partials!, offset: 0, size: Math.max(16, g.count * blocks * PARTIAL_BYTES) };
  return [
    {
      ...pipe(ctx, "reducePartial"),
      params: encodeValueParams({ ...v.base, srcOffset: g.elementOffset }),
      bindings: (uniform) => [
        { binding: 0, resource: uniform },
        { binding: 5, resource: v.data },
        { binding: 9, resource: partials },
      ],
      workgroups: [blocks, g.count],
    },
    {
      ...pipe(ctx, "reduceFinal"),
      params: encodeValueParams(v.base),
      bindings: (uniform) => [
        { binding: 0, resource: uniform },
        { binding: 10, resource: partials },
        { binding: 11, resource: { buffer: buffers.means } },
      ],
      workgroups: [g.count, 1],
    },
  ];
}

/** One custom op over the group: its own pipeline, its per-sample table of barrier `k`. */
export function customStep(v: ValueGroup, pipeline: GPUComputePipeline, table: GPUBuffer): ValueStep {
  const g = v.group;
  return {
    pipeline,
    name: "custom op",
    params: customParams({ voxels: v.base.voxels, count: g.count, sampleBase: g.first, rowWidth: v.grid.rowWidth, dataOffset: g.elementOffset }),
    bindings: (uniform) => [
      { binding: 0, resource: uniform },
      { binding: 1, resource: v.data },
      { binding: 2, resource: { buffer: table } },
    ],
    workgroups: [v.grid.x, v.grid.y],
  };
}
