/**
 * Host side of `labels.wgsl`: class relationships on a target buffer
 * `[batch, classes, voxels]`, in place, in one dispatch per group of samples that fits the
 * device's binding limit. Wherever class `c` is unknown (`== emptyValue`, or NaN when
 * `emptyValue` is NaN) and a class `d` with `exclusive[c][d]` is present (`== 1`), `c` becomes 0,
 * a true negative. The matrix is used as given: make it symmetric for mutually exclusive pairs.
 * The CPU twin is `twin.ts`; the layout and the exclusion bits are the contract's (`contract.ts`).
 *
 * A class-major buffer `[classes, batch, voxels]` (each class's samples contiguous, as a batch's
 * targets are resampled) is the same pass with `batch: 1` and `voxels: batch * voxels`: a voxel's
 * classes are `batch * voxels` values apart either way. That needs the whole buffer in one
 * binding (at most `maxSampleBytes(device)` from `batch-dispatch.ts`).
 *
 * @example
 * ```ts
 * const encoder = ctx.device.createCommandEncoder();
 * const work = encodeClassRelationships(ctx, encoder, {
 *   buffer: targets, byteOffset: 0, batch: 4, classes: 2, voxels: 32 ** 3, emptyValue: NaN,
 *   exclusive: [[false, true], [true, false]], // mito <-> er
 * });
 * ctx.device.queue.submit([encoder.finish()]);
 * work.release();
 * ```
 * @module
 */

import { type ClassRelationshipsLayout, exclusionBits } from "./contract.ts";
import type { GpuContext } from "../../gpu/context.ts";
import {
  bytesOf,
  dispatchGrid,
  sampleGroups,
  syncPipeline,
  uploadBuffer,
  uploadUniforms,
  USAGE,
} from "../../gpu/batch-dispatch.ts";
import { labelsLayouts, labelsWgsl } from "./shader.gen.ts";
import { type FieldValues, writeStruct } from "../layout.ts";
import type { EncodedWork } from "../value-transforms/gpu-record.ts";

/** Inputs of {@link encodeClassRelationships}. */
export interface ClassRelationshipsOptions extends ClassRelationshipsLayout {
  /** f32 targets `[batch, classes, voxels]` at `byteOffset`; needs STORAGE usage. */
  readonly buffer: GPUBuffer;
  /** Byte offset of the first value, a multiple of 4. */
  readonly byteOffset: number;
}

const PARAMS = labelsLayouts.Params;
const KEY = "cellmap/labels/class-relationships";

/**
 * Compile and validate the class-relationship pipeline (optional: it is compiled on first use).
 *
 * @throws {GpuError} when the pipeline fails validation
 */
export async function prepareClassRelationships(ctx: GpuContext): Promise<void> {
  const made = await ctx.createComputePipeline(`${ctx.label} class relationships`, labelsWgsl, "main");
  ctx.pipeline(KEY, () => made);
}

/**
 * Record the class-relationship pass into `encoder`, in place on `buffer`.
 *
 * @param ctx the GPU context (its device owns `buffer`)
 * @param encoder where the compute pass is recorded
 * @param options buffer, layout, exclusion matrix and empty value
 * @returns the recorded work; call `release()` after submitting
 * @throws {ArgumentError} on a malformed matrix or layout, or a buffer too small
 * @throws {GpuError} when one sample exceeds the device's binding limit
 * @example
 * ```ts
 * encodeClassRelationships(ctx, encoder, { buffer, byteOffset: 0, batch: 1, classes: 3,
 *   voxels: 512, emptyValue: NaN, exclusive: [[false, true, true], [true, false, false], [true, false, false]] });
 * ```
 */
export function encodeClassRelationships(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  options: ClassRelationshipsOptions,
): EncodedWork {
  ctx.assertAlive();
  const { words, bits } = exclusionBits(options);
  const { buffer, classes, voxels } = options;
  const device = ctx.device;
  const groups = sampleGroups(
    device,
    buffer,
    { byteOffset: options.byteOffset, batch: options.batch, sampleBytes: classes * voxels * 4 },
    "class relationships",
  );
  if (bits.every((w) => w === 0)) return { release() {}, dispatches: 0 };

  const label = `${ctx.label} class relationships`;
  const pipeline = syncPipeline(ctx, KEY, label, labelsWgsl, "main");
  const maxDim = device.limits.maxComputeWorkgroupsPerDimension;
  const stride = Math.max(PARAMS.size, device.limits.minUniformBufferOffsetAlignment);
  const grids = groups.map((g) => dispatchGrid(g.count * voxels, maxDim));
  const emptyIsNan = Number.isNaN(options.emptyValue);
  const params = groups.map((g, i) =>
    encodeLabelsParams({
      voxels,
      batch: g.count,
      classes,
      words,
      rowWidth: grids[i]!.rowWidth,
      offset: g.elementOffset,
      emptyIsNan: emptyIsNan ? 1 : 0,
      empty: emptyIsNan ? 0 : options.emptyValue,
    }),
  );
  const made = [
    uploadUniforms(ctx.uploads, `${label} params`, params, stride),
    uploadBuffer(ctx.uploads, `${label} exclusion bits`, USAGE.STORAGE, bytesOf(bits)),
  ] as const;
  const pass = encoder.beginComputePass({ label: `${label} pass` });
  pass.setPipeline(pipeline);
  groups.forEach((g, i) => {
    const bindGroup = device.createBindGroup({
      label: `${label} bind group`,
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: made[0], offset: i * stride, size: PARAMS.size } },
        { binding: 1, resource: { buffer, offset: g.bindOffset, size: g.bindSize } },
        { binding: 2, resource: { buffer: made[1] } },
      ],
    });
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(grids[i]!.x, grids[i]!.y);
  });
  pass.end();
  let released = false;
  return {
    dispatches: groups.length,
    release() {
      if (released) return;
      released = true;
      for (const b of made) ctx.uploads.release(b);
    },
  };
}

/** The uniform block (`Params` of labels.wgsl) of one dispatch, its fields written by name. */
export function encodeLabelsParams(values: FieldValues<typeof PARAMS>): ArrayBuffer {
  const buffer = new ArrayBuffer(PARAMS.size);
  writeStruct(PARAMS, new DataView(buffer), 0, values);
  return buffer;
}
