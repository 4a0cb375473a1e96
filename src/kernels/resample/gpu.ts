/**
 * Host side of `shaders/resample.wgsl`: encodes the `Params` uniform and the `Sample` structs,
 * and records one resample dispatch (one batch of one array) out of the GPU chunk cache.
 * Contract: docs/architecture.md, "The chunk cache layout" and "One resample dispatch". The CPU
 * twin is `src/reference/resample.ts`.
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
import { blendAtVoxelIsVoxel, type StorageKind, storageKindCode } from "../chunks/contract.ts";
import { axisPermutation } from "../../geometry/axis-permutation.ts";
import type { GpuContext } from "../../gpu/context.ts";
import { resampleWgsl } from "./shader.gen.ts";
import { USAGE } from "../../gpu/usage.ts";
import type { ReadonlyVec3 } from "../../geometry/types.ts";

/** z, y, x. */
/** A z, y, x vector the resample host only reads. */
export type Vec3 = ReadonlyVec3;

/** How source voxels are read: trilinear (raw intensities) or nearest (labels). */
export type Interpolation = "linear" | "nearest";

/** Everything of `Params` but `rowWidth`, which the dispatch geometry decides. */
export interface ResampleParams {
  /** Output extent per sample (z, y, x). */
  readonly outShape: Vec3;
  /** Samples in the dispatch; equals `samples.length`. */
  readonly batch: number;
  /** Chunk extent of the level (z, y, x). */
  readonly chunkShape: Vec3;
  /** Storage kind of the cache slots. */
  readonly kind: StorageKind;
  /** Level extent in voxels (z, y, x). */
  readonly volShape: Vec3;
  readonly interp: Interpolation;
  /** Value outside the volume (NaN allowed). */
  readonly pad: number;
  /** Value of chunks the store does not have (table entry 0xFFFFFFFF). */
  readonly fill: number;
  /** u32 words per cache slot (`slotWords(chunkShape, kind)`). */
  readonly slotWords: number;
}

/**
 * A sample's displacement field (elastic deformation), in this dispatch's output voxels: output
 * voxel `j` is read at `j + d(j)` through the sample's affine, where `d` is the cubic B-spline of
 * the control values at control-grid coordinate `u = j * step + start` (per axis; control indices
 * clamped to the grid). See `src/augment/deform.ts` for how a dataset builds one.
 */
export interface ResampleDisplacement {
  /** Control points per axis (z, y, x), each >= 1. */
  readonly dims: Vec3;
  /** Control-grid units per output voxel (z, y, x). */
  readonly step: Vec3;
  /** Control-grid coordinate of output voxel 0 (z, y, x). */
  readonly start: Vec3;
  /** Displacements in output voxels, `(dz, dy, dx)` per control point, C order over `dims`. */
  readonly values: ArrayLike<number>;
}

/** One batch item: its affine and where its slot table lies. */
export interface ResampleSample {
  /**
   * 3x4 row-major affine, rows z, y, x: output index `j` -> source voxel position relative to
   * `origin` (`v = origin + matrix · [jz, jy, jx, 1]`). Composed in float64, written as f32.
   */
  readonly matrix: Float64Array;
  /** Integer source-box origin in voxels (z, y, x). */
  readonly origin: Vec3;
  /** Chunk-grid coordinate of the table's first entry (z, y, x). */
  readonly chunkLo: Vec3;
  /** Table extent in chunks (z, y, x); the table holds their product of slot indices, C-order. */
  readonly chunkDims: Vec3;
  /** Word offset of this sample's table in the concatenated table. */
  readonly tableOffset: number;
  /** Elastic deformation of this sample; none reads every voxel straight through the affine. */
  readonly displacement?: ResampleDisplacement;
}

/** Slot-table entry of a chunk the store does not have: it reads as the fill value. */
export const ABSENT_SLOT = 0xffffffff;
/** Threads per workgroup (`@workgroup_size` of the shader). */
export const RESAMPLE_WORKGROUP_SIZE = 64;
/** Byte size of the WGSL `Params` struct. */
export const PARAMS_BYTES = 64;
/** Byte size (and array stride) of the WGSL `Sample` struct. */
export const SAMPLE_BYTES = 144;

const INTERP_CODE: Readonly<Record<Interpolation, number>> = { linear: 0, nearest: 1 };

/**
 * Encode the `Params` uniform.
 *
 * @param params dispatch parameters plus `rowWidth` (threads per dispatch row, from {@link resampleGrid})
 * @returns {@link PARAMS_BYTES} bytes
 * @example
 * ```ts
 * const bytes = encodeParams({ ...params, rowWidth: resampleGrid(total).rowWidth });
 * device.queue.writeBuffer(uniform, 0, bytes);
 * ```
 */
export function encodeParams(params: ResampleParams & { readonly rowWidth: number }): ArrayBuffer {
  const buffer = new ArrayBuffer(PARAMS_BYTES);
  const u = new Uint32Array(buffer);
  const i = new Int32Array(buffer);
  const f = new Float32Array(buffer);
  u.set(params.outShape, 0);
  u[3] = params.batch;
  u.set(params.chunkShape, 4);
  u[7] = storageKindCode(params.kind);
  i.set(params.volShape, 8);
  u[11] = INTERP_CODE[params.interp];
  f[12] = params.pad;
  f[13] = params.fill;
  u[14] = params.slotWords;
  u[15] = params.rowWidth;
  return buffer;
}

/**
 * Encode the `Sample` structs, one per batch item, {@link SAMPLE_BYTES} apart. A sample's
 * displacement points start where {@link encodeDisplacements} puts them (samples in order).
 *
 * @returns `samples.length * SAMPLE_BYTES` bytes
 * @example
 * ```ts
 * const identity = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
 * encodeSampleStructs([{ matrix: identity, origin: [10, 20, 30], chunkLo: [0, 0, 0], chunkDims: [1, 1, 1], tableOffset: 0 }]);
 * ```
 */
export function encodeSampleStructs(samples: readonly ResampleSample[]): ArrayBuffer {
  const buffer = new ArrayBuffer(samples.length * SAMPLE_BYTES);
  const f = new Float32Array(buffer);
  const i = new Int32Array(buffer);
  const u = new Uint32Array(buffer);
  let point = 0;
  samples.forEach((s, k) => {
    if (s.matrix.length !== 12) throw new ArgumentError(`samples[${k}].matrix`, "must hold 12 numbers (3x4)", s.matrix.length);
    const w = (k * SAMPLE_BYTES) / 4;
    f.set(s.matrix, w); // m0, m1, m2: rows z, y, x
    i.set(s.origin, w + 12);
    i.set(s.chunkLo, w + 16);
    u[w + 19] = s.tableOffset;
    u.set(s.chunkDims, w + 20);
    const d = s.displacement;
    if (d) {
      f.set(d.step, w + 24);
      f.set(d.start, w + 28);
      u.set(d.dims, w + 32);
      u[w + 35] = point;
      point += d.dims[0] * d.dims[1] * d.dims[2];
    }
  });
  return buffer;
}

/**
 * Encode the displacement control points of every sample that has some, concatenated in sample
 * order (3 f32 per point), as the shader's `disp` binding reads them.
 *
 * @returns the f32 words; empty when no sample is displaced
 * @example
 * ```ts
 * const words = encodeDisplacements(samples); // bind as binding 5
 * ```
 */
export function encodeDisplacements(samples: readonly ResampleSample[]): Float32Array {
  let total = 0;
  for (const s of samples) if (s.displacement) total += s.displacement.values.length;
  const out = new Float32Array(total);
  let at = 0;
  for (const s of samples) {
    if (!s.displacement) continue;
    out.set(s.displacement.values, at);
    at += s.displacement.values.length;
  }
  return out;
}

/** Dispatch geometry: workgroup counts and the `rowWidth` the shader's flat index uses. */
export interface ResampleGrid {
  readonly x: number;
  readonly y: number;
  /** Threads per row: `x * 64`. */
  readonly rowWidth: number;
}

/**
 * Workgroups for `total` output voxels: one row while it fits in `maxPerDimension`, else as many
 * equal rows as needed (2D dispatch).
 *
 * @throws {GpuError} when even `maxPerDimension`² workgroups are not enough
 * @example
 * ```ts
 * resampleGrid(1000); // { x: 16, y: 1, rowWidth: 1024 }
 * resampleGrid(65535 * 64 + 1); // { x: 32768, y: 2, rowWidth: 2097152 }
 * ```
 */
export function resampleGrid(total: number, maxPerDimension = 65535): ResampleGrid {
  const groups = Math.max(1, Math.ceil(total / RESAMPLE_WORKGROUP_SIZE));
  const y = Math.ceil(groups / maxPerDimension);
  if (y > maxPerDimension || total > 0xffffffff) {
    throw new GpuError(`a resample dispatch of ${total} voxels is too large; split the batch`);
  }
  const x = Math.ceil(groups / y);
  return { x, y, rowWidth: x * RESAMPLE_WORKGROUP_SIZE };
}

/**
 * What a resample pipeline is specialized for. A field left out keeps the generic path, which
 * reads it from the dispatch's `Params`; a field given is folded in at compile time through the
 * shader's override constants (`INTERP`, `KIND`, `DEFORM`, `COPY`), so the other paths cost nothing. On
 * software adapters, which execute every branch whether taken or not, a nearest pipeline runs
 * about twice as fast as the generic one; on a GPU the kernel gets shorter.
 */
export interface ResampleVariant {
  /** Interpolation of every dispatch on the pipeline. */
  readonly interp?: Interpolation;
  /** Storage kind of the cache it reads. */
  readonly kind?: StorageKind;
  /** `false`: no sample on the pipeline has a displacement field. Default `true` (allowed). */
  readonly deform?: boolean;
  /**
   * `true`: every sample is a copy ({@link isCopyDispatch}): its affine a signed axis permutation
   * with integer offsets, no displacement, and a blend at a voxel that voxel. The pipeline reads
   * one voxel per output voxel. Default `false`.
   */
  readonly copy?: boolean;
}

/** Offsets beyond this would round in the shader's float32 affine. */
const F32_EXACT = 2 ** 24;

/**
 * Whether every output voxel of the dispatch lies exactly on a source voxel whose value it is,
 * bit for bit, so that a `copy` pipeline gives the generic pipeline's output: each sample's affine
 * is a signed axis permutation with integer offsets (`src/geometry/axis-permutation.ts`) that
 * float32 holds exactly, no sample is displaced, and for linear dispatches a blend at a voxel is
 * that voxel (integer storage kinds, a finite fill other than -0).
 *
 * @example
 * ```ts
 * isCopyDispatch(params, samples); // true for unaugmented samples at the level's voxel size
 * ```
 */
export function isCopyDispatch(params: ResampleParams, samples: readonly ResampleSample[]): boolean {
  if (params.interp === "linear" && !blendAtVoxelIsVoxel(params.kind, params.fill)) return false;
  const reach = Math.max(...params.outShape);
  return samples.every((s) => {
    if (s.displacement !== undefined || axisPermutation(s.matrix, s.origin) === undefined) return false;
    for (let a = 0; a < 3; a++) if (Math.abs(s.matrix[4 * a + 3]!) + reach >= F32_EXACT) return false;
    return true;
  });
}

/**
 * The fully specialized variant for one dispatch: its interpolation and storage kind, and
 * whether any of its samples is displaced.
 *
 * @example
 * ```ts
 * const pipeline = await getResamplePipeline(ctx, resampleVariant(params, samples));
 * ```
 */
export function resampleVariant(params: ResampleParams, samples: readonly ResampleSample[]): ResampleVariant {
  const variant = { interp: params.interp, kind: params.kind, deform: samples.some((s) => s.displacement !== undefined) };
  return isCopyDispatch(params, samples) ? { ...variant, copy: true } : variant;
}

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
  if (variant.interp !== undefined) constants["INTERP"] = INTERP_CODE[variant.interp];
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
function checkVariant(pipeline: GPUComputePipeline, params: ResampleParams, samples: readonly ResampleSample[]): void {
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
  /** Destroys the uniform, sample, table and displacement buffers made for this dispatch (valid after submit). */
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
  const made = [
    upload(device, `${label} params`, USAGE.UNIFORM, encodeParams({ ...params, rowWidth: grid.rowWidth })),
    upload(device, `${label} samples`, USAGE.STORAGE, encodeSampleStructs(samples)),
    upload(device, `${label} table`, USAGE.STORAGE, table),
    upload(device, `${label} displacements`, USAGE.STORAGE, displacements),
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
      for (const b of made) b.destroy();
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

/** A fresh buffer holding `data` (at least 16 bytes, so empty tables still bind). */
function upload(device: GPUDevice, label: string, usage: number, data: ArrayBuffer | Uint32Array | Float32Array): GPUBuffer {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const size = Math.max(16, Math.ceil(bytes.byteLength / 4) * 4);
  const buffer = device.createBuffer({ label, size, usage, mappedAtCreation: true });
  new Uint8Array(buffer.getMappedRange()).set(bytes);
  buffer.unmap();
  return buffer;
}
