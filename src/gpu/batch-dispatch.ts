/**
 * Helpers shared by the in-place batch passes (value transforms, class relationships): splitting
 * a batch into groups of samples whose binding fits the device's limits, aligning binding
 * offsets, 1D/2D dispatch grids, and small upload buffers.
 *
 * @example
 * ```ts
 * const groups = sampleGroups(ctx.device, buffer, { byteOffset: 0, batch: 8, sampleBytes: 4 * 64 ** 3 }, "value transforms");
 * for (const g of groups) console.log(g.first, g.count, g.bindOffset, g.elementOffset);
 * ```
 * @module
 */

import { ArgumentError, GpuError } from "../errors.ts";
import type { UploadPool } from "./upload-pool.ts";
import { USAGE } from "./usage.ts";

/** Threads per workgroup of the batch passes. */
export const WORKGROUP_SIZE = 64;

/** GPUBufferUsage values (spec constants; Node only gets the globals once Dawn is loaded). */
export { USAGE };

/** A run of consecutive samples bound at once. */
export interface SampleGroup {
  /** Index of the group's first sample. */
  readonly first: number;
  readonly count: number;
  /** Binding offset in the buffer, a multiple of `minStorageBufferOffsetAlignment`. */
  readonly bindOffset: number;
  /** Binding size in bytes. */
  readonly bindSize: number;
  /** f32 elements between the binding offset and the group's first value. */
  readonly elementOffset: number;
}

/**
 * Split `batch` samples of `sampleBytes` each, starting at `byteOffset` in `buffer`, into groups
 * whose binding fits `maxStorageBufferBindingSize`.
 *
 * @throws {ArgumentError} when the offset is not a multiple of 4 or the buffer is too small
 * @throws {GpuError} when one sample alone exceeds the binding limit
 */
export function sampleGroups(
  device: GPUDevice,
  buffer: GPUBuffer,
  layout: { readonly byteOffset: number; readonly batch: number; readonly sampleBytes: number },
  what: string,
): SampleGroup[] {
  const { byteOffset, batch, sampleBytes } = layout;
  if (!Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset % 4 !== 0) {
    throw new ArgumentError("byteOffset", "must be a non-negative multiple of 4", byteOffset);
  }
  const end = byteOffset + batch * sampleBytes;
  if (end > buffer.size) {
    throw new ArgumentError("buffer", `holds ${buffer.size} bytes; ${what} needs ${end} (byteOffset + batch * sample bytes)`, buffer.size);
  }
  const align = device.limits.minStorageBufferOffsetAlignment;
  const perGroup = Math.min(batch, 65535, Math.floor(maxSampleBytes(device) / sampleBytes));
  if (perGroup < 1) {
    throw new GpuError(
      `${what}: one sample is ${sampleBytes} bytes, more than this device binds at once ` +
        `(maxStorageBufferBindingSize ${device.limits.maxStorageBufferBindingSize}); use a smaller output shape`,
    );
  }
  const groups: SampleGroup[] = [];
  for (let first = 0; first < batch; first += perGroup) {
    const count = Math.min(perGroup, batch - first);
    const start = byteOffset + first * sampleBytes;
    const bindOffset = Math.floor(start / align) * align;
    groups.push({
      first,
      count,
      bindOffset,
      bindSize: start - bindOffset + count * sampleBytes,
      elementOffset: (start - bindOffset) / 4,
    });
  }
  return groups;
}

/**
 * The largest sample (bytes) that {@link sampleGroups} binds at any byte offset: the binding
 * limit less one offset alignment, and at most 2^30 - 1 f32 elements (the shaders' flat index).
 *
 * @example
 * ```ts
 * if (classes * batch * voxels * 4 <= maxSampleBytes(device)) bindAllAtOnce();
 * ```
 */
export function maxSampleBytes(device: GPUDevice): number {
  const max = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  return Math.min(max - device.limits.minStorageBufferOffsetAlignment, 0x3fffffff * 4);
}

/** Workgroup counts for `threads` threads, and the row width of the shader's flat index. */
export interface DispatchGrid {
  readonly x: number;
  readonly y: number;
  /** Threads per row: `x * WORKGROUP_SIZE`; flat index = `gid.y * rowWidth + gid.x`. */
  readonly rowWidth: number;
}

/** One row of workgroups while it fits `maxPerDimension`, else equal rows (2D). */
export function dispatchGrid(threads: number, maxPerDimension: number): DispatchGrid {
  const groups = Math.max(1, Math.ceil(threads / WORKGROUP_SIZE));
  const y = Math.ceil(groups / maxPerDimension);
  if (y > maxPerDimension) throw new GpuError(`a dispatch of ${threads} threads is too large; split the batch`);
  const x = Math.ceil(groups / y);
  return { x, y, rowWidth: x * WORKGROUP_SIZE };
}

/** A pooled buffer holding `bytes` (at least 16 bytes, a multiple of 4); give it back to `pool` after submit. */
export function uploadBuffer(pool: UploadPool, label: string, usage: number, bytes: Uint8Array): GPUBuffer {
  return pool.upload(label, usage, bytes);
}

/** The bytes of a typed array (a view, no copy). */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * A pooled uniform buffer holding `blocks` (each at most `stride` bytes) `stride` bytes apart, for one
 * bind group per dispatch at offset `i * stride`.
 */
export function uploadUniforms(pool: UploadPool, label: string, blocks: readonly ArrayBuffer[], stride: number): GPUBuffer {
  const all = new Uint8Array(Math.max(1, blocks.length) * stride);
  blocks.forEach((b, i) => all.set(new Uint8Array(b), i * stride));
  return uploadBuffer(pool, label, USAGE.UNIFORM, all);
}

/**
 * A synchronously created compute pipeline, cached per device under `key` through the context's
 * cache. The shaders it is used for are compiled and validated in the test suites.
 */
export function syncPipeline(
  ctx: { pipeline<T extends GPUComputePipeline | Promise<GPUComputePipeline>>(key: string, make: (device: GPUDevice) => T): T },
  key: string,
  label: string,
  code: string,
  entryPoint: string,
): GPUComputePipeline {
  return ctx.pipeline(key, (device) =>
    device.createComputePipeline({
      label,
      layout: "auto",
      compute: { module: device.createShaderModule({ label: `${label} module`, code }), entryPoint },
    }),
  );
}
