/**
 * GPU host of `resample.wgsl`: records one resample dispatch (one batch of one array) out of the
 * GPU chunk cache, with the buffers `gpu-encode.ts` fills and a pipeline of `gpu-pipeline.ts`.
 * Contract: `contract.ts` and `../chunks/contract.ts`; docs/architecture.md, "The chunk cache
 * layout" and "One resample dispatch". The CPU twin is `twin.ts`.
 *
 * @example
 * ```ts
 * const encoder = ctx.device.createCommandEncoder({ label: "batch" });
 * const dispatch = await dispatchResample(ctx, encoder, { cache, params, samples, table, out });
 * ctx.device.queue.submit([encoder.finish()]);
 * dispatch.release(); // after submit: frees the uniform, sample and table buffers
 * ```
 * @module
 */

import { ArgumentError, GpuError } from "../../errors.ts";
import type { GpuContext } from "../../gpu/context.ts";
import type { UploadPool } from "../../gpu/upload-pool.ts";
import { USAGE } from "../../gpu/usage.ts";
import { type ResampleParams, type ResampleSample, resampleVariant } from "./contract.ts";
import { encodeDisplacements, encodeParams, encodeSampleStructs, type ResampleGrid, resampleGrid } from "./gpu-encode.ts";
import { checkVariant, getResamplePipeline } from "./gpu-pipeline.ts";

/** Inputs of one resample dispatch. */
export interface ResampleDispatchOptions {
  /** The chunk cache: `slotCount * params.slotWords` u32 words, STORAGE usage. */
  readonly cache: GPUBuffer;
  readonly params: ResampleParams;
  /** One per batch item. */
  readonly samples: readonly ResampleSample[];
  /** The slot tables of all samples, concatenated. */
  readonly table: Uint32Array;
  /** Output buffer (STORAGE usage); receives `batch * prod(outShape)` f32 at `outOffset`. */
  readonly out: GPUBuffer;
  /** Byte offset into `out`, a multiple of the device's `minStorageBufferOffsetAlignment`. */
  readonly outOffset?: number;
}

/** A recorded dispatch. Call `release()` once its command buffer is submitted. */
export interface ResampleDispatch {
  readonly grid: ResampleGrid;
  /** Gives the uniform, sample, table and displacement buffers back to the context's pool (valid after submit). */
  release(): void;
}

/**
 * Record one resample dispatch into `encoder`: creates and fills the `Params`, `Sample`, table and
 * displacement buffers, binds them with the cache and the output, and dispatches (2D when the output needs more
 * than 65535 workgroups). Call `release()` on the result after submitting the command buffer.
 *
 * A chunk coordinate outside a sample's table reads as the fill value, like an absent chunk.
 *
 * @throws {ArgumentError} on inconsistent inputs (batch vs samples, tables out of range, misaligned offset, a pipeline specialized for another dispatch)
 * @throws {GpuError} when a binding exceeds the device's limits
 * @example
 * ```ts
 * const encoder = ctx.device.createCommandEncoder({ label: "batch" });
 * const d = await dispatchResample(ctx, encoder, { cache, params, samples, table, out });
 * ctx.device.queue.submit([encoder.finish()]);
 * d.release();
 * const values = new Float32Array(await ctx.readBuffer(out, 0, out.size));
 * ```
 */
export async function dispatchResample(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  options: ResampleDispatchOptions,
): Promise<ResampleDispatch> {
  const pipeline = await getResamplePipeline(ctx, resampleVariant(options.params, options.samples));
  return recordResample(ctx, pipeline, encoder, options);
}

/**
 * Synchronous {@link dispatchResample} for callers that already hold the pipeline
 * ({@link getResamplePipeline}), e.g. to record several arrays into one encoder. A specialized
 * pipeline must match the dispatch (interpolation, storage kind, displacement).
 *
 * @example
 * ```ts
 * const pipeline = await getResamplePipeline(ctx); // generic: serves every dispatch
 * const done = arrays.map((a) => recordResample(ctx, pipeline, encoder, a));
 * ctx.device.queue.submit([encoder.finish()]);
 * for (const d of done) d.release();
 * ```
 */
export function recordResample(
  ctx: GpuContext,
  pipeline: GPUComputePipeline,
  encoder: GPUCommandEncoder,
  options: ResampleDispatchOptions,
): ResampleDispatch {
  ctx.assertAlive();
  const { params, samples, table, cache, out } = options;
  const outOffset = options.outOffset ?? 0;
  const device = ctx.device;
  const limits = device.limits;
  validate(params, samples, table);
  checkVariant(pipeline, params, samples);

  const total = params.batch * params.outShape[0] * params.outShape[1] * params.outShape[2];
  const outBytes = total * 4;
  if (!Number.isInteger(outOffset) || outOffset < 0 || outOffset % limits.minStorageBufferOffsetAlignment !== 0) {
    throw new ArgumentError("outOffset", `must be a multiple of ${limits.minStorageBufferOffsetAlignment}`, outOffset);
  }
  if (outOffset + outBytes > out.size) {
    throw new ArgumentError("out", `holds ${out.size} bytes, the dispatch writes ${outBytes} at offset ${outOffset}`);
  }
  const maxBinding = limits.maxStorageBufferBindingSize;
  checkBinding("output", outBytes, maxBinding, "use a smaller batch or output shape");
  checkBinding("chunk cache", cache.size, maxBinding, "lower the cache budget");
  checkBinding("slot table", table.byteLength, maxBinding, "use a smaller batch");
  const displacements = encodeDisplacements(samples);
  checkBinding("displacement", displacements.byteLength, maxBinding, "use a smaller batch or a coarser deformation grid");

  const grid = resampleGrid(total, limits.maxComputeWorkgroupsPerDimension);
  const label = `${ctx.label} resample`;
  const pool = ctx.uploads;
  const made = [
    upload(pool, `${label} params`, USAGE.UNIFORM, encodeParams({ ...params, rowWidth: grid.rowWidth })),
    upload(pool, `${label} samples`, USAGE.STORAGE, encodeSampleStructs(samples)),
    upload(pool, `${label} table`, USAGE.STORAGE, table),
    upload(pool, `${label} displacements`, USAGE.STORAGE, displacements),
  ] as const;
  const bindGroup = device.createBindGroup({
    label: `${label} bind group`,
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: made[0] } },
      { binding: 1, resource: { buffer: made[1] } },
      { binding: 2, resource: { buffer: made[2] } },
      { binding: 3, resource: { buffer: cache } },
      { binding: 4, resource: { buffer: out, offset: outOffset, size: outBytes } },
      { binding: 5, resource: { buffer: made[3] } },
    ],
  });
  const pass = encoder.beginComputePass({ label: `${label} pass` });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(grid.x, grid.y);
  pass.end();

  let released = false;
  return {
    grid,
    release() {
      if (released) return;
      released = true;
      for (const b of made) pool.release(b);
    },
  };
}

function validate(params: ResampleParams, samples: readonly ResampleSample[], table: Uint32Array): void {
  if (!Number.isInteger(params.batch) || params.batch < 1 || params.batch !== samples.length) {
    throw new ArgumentError("params.batch", `must equal samples.length (${samples.length}) and be >= 1`, params.batch);
  }
  for (const [field, v] of [
    ["params.outShape", params.outShape],
    ["params.chunkShape", params.chunkShape],
    ["params.volShape", params.volShape],
  ] as const) {
    if (!v.every((n) => Number.isInteger(n) && n >= 1)) throw new ArgumentError(field, "must hold positive integers", v);
  }
  samples.forEach((s, k) => {
    const entries = s.chunkDims[0] * s.chunkDims[1] * s.chunkDims[2];
    if (!Number.isInteger(s.tableOffset) || s.tableOffset < 0 || s.tableOffset + entries > table.length) {
      throw new ArgumentError(
        `samples[${k}].tableOffset`,
        `plus ${entries} entries must lie within the table of ${table.length} words`,
        s.tableOffset,
      );
    }
    const d = s.displacement;
    if (d) {
      const field = `samples[${k}].displacement`;
      if (!d.dims.every((n) => Number.isInteger(n) && n >= 1)) throw new ArgumentError(`${field}.dims`, "must hold positive integers", d.dims);
      if (![...d.step, ...d.start].every(Number.isFinite)) throw new ArgumentError(`${field}.step`, "and start must hold finite numbers", [d.step, d.start]);
      const n = 3 * d.dims[0] * d.dims[1] * d.dims[2];
      if (d.values.length !== n) throw new ArgumentError(`${field}.values`, `must hold 3 numbers per control point (${n})`, d.values.length);
    }
  });
}

function checkBinding(what: string, bytes: number, max: number, fix: string): void {
  if (bytes > max) {
    throw new GpuError(
      `the resample ${what} binding needs ${bytes} bytes, more than this device's ` +
        `maxStorageBufferBindingSize of ${max}; ${fix}`,
    );
  }
}

/** A pooled buffer holding `data` (at least 16 bytes, so empty tables still bind). */
function upload(pool: UploadPool, label: string, usage: number, data: ArrayBuffer | Uint32Array | Float32Array): GPUBuffer {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return pool.upload(label, usage, bytes);
}
