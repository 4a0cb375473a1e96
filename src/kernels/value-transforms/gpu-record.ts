/**
 * Recording of the value-transform stage: the steps (one dispatch each) that the passes of
 * `gpu-passes.ts`, the distance host and the custom-op host produce, written in order into one
 * compute pass with their uniforms in one buffer; and the recorded work handed back to callers.
 *
 * @example
 * ```ts
 * const made: GPUBuffer[] = [];
 * recordSteps(ctx, encoder, "value transforms", steps, made);
 * const work = encodedWork(made, steps.length); // work.release() after submit
 * ```
 * @module
 */

import type { GpuContext } from "../../gpu/context.ts";
import { uploadUniforms } from "../../gpu/batch-dispatch.ts";
import type { UploadPool } from "../../gpu/upload-pool.ts";
import { distanceLayouts } from "../distance/shader.gen.ts";
import { valueTransformsLayouts } from "./shader.gen.ts";

/** One recorded dispatch: its pipeline, uniform block (at most {@link STEP_UNIFORM_BYTES}) and bindings. */
export interface ValueStep {
  readonly pipeline: GPUComputePipeline;
  /** What it does, for labels. */
  readonly name: string;
  readonly params: ArrayBuffer;
  readonly bindings: (uniform: GPUBufferBinding) => GPUBindGroupEntry[];
  readonly workgroups: readonly [number, number];
}

/** Recorded work; call `release()` once the command buffer is submitted. */
export interface EncodedWork {
  /** Destroys the buffers made for the work (valid after submit). */
  release(): void;
  /** Compute dispatches recorded (0 when there was nothing to do). */
  readonly dispatches: number;
}

/**
 * Uniform bytes bound per step: the largest uniform block among the steps' shaders, the `Params`
 * of value-transforms.wgsl and distance.wgsl (a custom op's `CellmapParams` is smaller).
 */
export const STEP_UNIFORM_BYTES = Math.max(valueTransformsLayouts.Params.size, distanceLayouts.Params.size);

/** Upload the steps' uniforms and record them, in order, in one compute pass. */
export function recordSteps(ctx: GpuContext, encoder: GPUCommandEncoder, label: string, steps: readonly ValueStep[], made: GPUBuffer[]): void {
  if (steps.length === 0) return;
  const device = ctx.device;
  const stride = Math.max(STEP_UNIFORM_BYTES, device.limits.minUniformBufferOffsetAlignment);
  const uniforms = uploadUniforms(ctx.uploads, `${label} params`, steps.map((s) => s.params), stride);
  made.push(uniforms);
  const pass = encoder.beginComputePass({ label: `${label} pass` });
  steps.forEach((s, i) => {
    const pipeline = s.pipeline;
    const bindGroup = device.createBindGroup({
      label: `${label} ${s.name} bind group`,
      layout: pipeline.getBindGroupLayout(0),
      entries: s.bindings({ buffer: uniforms, offset: i * stride, size: STEP_UNIFORM_BYTES }),
    });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(s.workgroups[0], s.workgroups[1]);
  });
  pass.end();
}

/** The work of `dispatches` recorded dispatches whose buffers `made` are destroyed on release (once). */
export function encodedWork(pool: UploadPool, made: readonly GPUBuffer[], dispatches: number): EncodedWork {
  let released = false;
  return {
    dispatches,
    release() {
      if (released) return;
      released = true;
      for (const b of made) pool.release(b);
    },
  };
}
