/**
 * The pipelines of cellpose.wgsl: explicit bind group layouts (the diffusion steps' uniform block
 * is bound with a dynamic offset; the `plan` entry writes the steps' indirect arguments through a
 * second group), one shader module and one pipeline per entry point, cached per device.
 *
 * @example
 * ```ts
 * await preparePipelines(ctx);                 // optional: surfaces shader errors as a GpuError
 * const pipeline = pipelineFor(ctx, "diffuse");
 * ```
 * @module
 */

import type { GpuContext } from "../../gpu/context.ts";
import { cellposeWgsl } from "./shader.gen.ts";

/** The entry points that find the objects and their centers, in dispatch order. */
export const OBJECT_ENTRIES = ["initObjects", "merge", "compress", "accumulate", "centers", "nearest", "pick", "finalize"] as const;
type Entry = (typeof OBJECT_ENTRIES)[number] | "plan" | "diffuse" | "gradient";
const ALL_ENTRIES: readonly Entry[] = [...OBJECT_ENTRIES, "plan", "diffuse", "gradient"];

const COMPUTE = 0x4;

/** The bind group layouts and the shader module of one device. */
export interface Layouts {
  readonly main: GPUBindGroupLayout;
  readonly args: GPUBindGroupLayout;
  readonly module: GPUShaderModule;
}
const layoutCache = new WeakMap<GPUDevice, Layouts>();

/** The bind group layouts (the step block takes a dynamic offset) and module, made once per device. */
export function layoutsFor(device: GPUDevice): Layouts {
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

/** The pipeline of one entry point, made on first use and cached per device. */
export function pipelineFor(ctx: GpuContext, entry: Entry): GPUComputePipeline {
  return ctx.pipeline(key(entry), (device) => device.createComputePipeline(pipelineDescriptor(device, `${ctx.label} cellpose`, entry)));
}

/** Compile and validate every entry point's pipeline now (see `prepareCellposeFlows`). */
export async function preparePipelines(ctx: GpuContext): Promise<void> {
  for (const entry of ALL_ENTRIES) {
    const d = pipelineDescriptor(ctx.device, `${ctx.label} cellpose`, entry);
    const made = await ctx.createComputePipeline(d.label!, cellposeWgsl, entry, { layout: d.layout as GPUPipelineLayout });
    ctx.pipeline(key(entry), () => made);
  }
}
