/**
 * The resample compute pipelines of a device, one per variant: the generic pipeline, which serves
 * every dispatch, and those specialized through the shader's override constants (`INTERP`,
 * `KIND`, `DEFORM`, `COPY`) for one kind of dispatch ({@link resampleVariant} picks it). Part of
 * the GPU host (`gpu.ts` records the dispatch and refuses a pipeline made for another one).
 *
 * @example
 * ```ts
 * const pipeline = await getResamplePipeline(ctx, resampleVariant(params, samples));
 * ```
 * @module
 */

import { ArgumentError } from "../../errors.ts";
import type { GpuContext } from "../../gpu/context.ts";
import { storageKindCode } from "../chunks/contract.ts";
import {
  INTERPOLATION_CODES,
  isCopyDispatch,
  type ResampleParams,
  type ResampleSample,
  type ResampleVariant,
} from "./contract.ts";
import { resampleWgsl } from "./shader.gen.ts";

const pipelineVariants = new WeakMap<GPUComputePipeline, ResampleVariant>();

/**
 * The resample compute pipeline of the context's device for `variant`, compiled once per device
 * and variant. With no variant: the generic pipeline, which serves every dispatch.
 *
 * @param variant what to specialize for ({@link resampleVariant} gives the best one for a dispatch)
 * @throws {GpuError} when the shader fails validation
 * @example
 * ```ts
 * const pipeline = await getResamplePipeline(ctx, { interp: "nearest", kind: "u8", deform: false });
 * recordResample(ctx, pipeline, encoder, options); // options must be nearest, u8, undisplaced
 * ```
 */
export function getResamplePipeline(ctx: GpuContext, variant: ResampleVariant = {}): Promise<GPUComputePipeline> {
  const constants: Record<string, number> = {};
  if (variant.interp !== undefined) constants["INTERP"] = INTERPOLATION_CODES[variant.interp];
  if (variant.kind !== undefined) constants["KIND"] = storageKindCode(variant.kind);
  const deform = variant.deform ?? true;
  if (!deform) constants["DEFORM"] = 0;
  const copy = variant.copy ?? false;
  if (copy) constants["COPY"] = 1;
  const key = `cellmap/resample/${variant.interp ?? "any"}/${variant.kind ?? "any"}/${deform ? "deform" : "rigid"}${copy ? "/copy" : ""}`;
  const label = `${ctx.label} resample${variant.interp ? ` ${variant.interp}` : ""}${variant.kind ? ` ${variant.kind}` : ""}${deform ? "" : " rigid"}${copy ? " copy" : ""}`;
  return ctx.pipeline(key, async () => {
    const pipeline = await ctx.createComputePipeline(label, resampleWgsl, "main", { constants });
    pipelineVariants.set(pipeline, { ...variant, deform, copy });
    return pipeline;
  });
}

/** Throws when `pipeline` was specialized for something else than this dispatch. */
export function checkVariant(pipeline: GPUComputePipeline, params: ResampleParams, samples: readonly ResampleSample[]): void {
  const v = pipelineVariants.get(pipeline);
  if (v === undefined) return;
  const wrong = (what: string, made: string, asked: string) =>
    new ArgumentError("pipeline", `was specialized for ${what} ${made}, the dispatch has ${asked}; get it with getResamplePipeline(ctx, resampleVariant(params, samples))`);
  if (v.interp !== undefined && v.interp !== params.interp) throw wrong("interpolation", v.interp, params.interp);
  if (v.kind !== undefined && v.kind !== params.kind) throw wrong("storage kind", v.kind, params.kind);
  if (v.deform === false) {
    const k = samples.findIndex((s) => s.displacement !== undefined);
    if (k >= 0) throw wrong("samples", "without displacement", `a displacement field at samples[${k}]`);
  }
  if (v.copy === true && !isCopyDispatch(params, samples)) throw wrong("samples", "that are copies (signed axis permutations, integer offsets)", "others");
}
