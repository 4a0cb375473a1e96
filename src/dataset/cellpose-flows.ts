/**
 * Cellpose flows of one volume or image, on whichever device the caller has: the GPU host
 * (`src/kernels/cellpose/gpu.ts`) when a GPU context is given, else the CPU twin
 * (`src/kernels/cellpose/twin.ts`). Batches already on the GPU go through `encodeCellposeFlows`;
 * datasets derive flow targets in `derived-targets.ts`.
 *
 * @example
 * ```ts
 * const flows = await cellposeFlows(mask, [32, 64, 64], { gpu: ctx }); // [3, 32, 64, 64]
 * ```
 * @module
 */

import { ArgumentError, throwIfAborted } from "../errors.ts";
import type { GpuContext } from "../gpu/context.ts";
import { USAGE } from "../gpu/usage.ts";
import { type CellposeFlowOptions, planCellpose } from "../kernels/cellpose/contract.ts";
import { encodeCellposeFlows } from "../kernels/cellpose/gpu.ts";
import { cellposeFlowsReference } from "../kernels/cellpose/twin.ts";

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
  const input = device.createBuffer({ label: `${gpu.label} cellpose labels`, size: labels.byteLength, usage: USAGE.STORAGE | USAGE.COPY_DST });
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
