/**
 * Predictions left on the GPU: {@link CellMapDatasetWriter.write} takes a `GPUBuffer` holding a
 * model's f32 output and reads it back here, on the writer's `GpuContext`.
 * @module
 */

import { ArgumentError, throwIfAborted } from "../errors.ts";
import type { GpuContext } from "../gpu/context.ts";
import { MAP_MODE, USAGE } from "../gpu/usage.ts";


/**
 * A prediction in a GPU buffer: f32 values `[B, C, z, y, x]` (or `[C, z, y, x]` for one tile),
 * tightly packed from `byteOffset` (default 0, a multiple of 4). The buffer needs `COPY_SRC`
 * usage, or `MAP_READ` (it is then mapped directly, and must not be mapped already); it may be
 * larger than the prediction. A batch from the loader's `output: "gpu"` (`{ buffer, ... }`) has
 * this shape too.
 *
 * @example
 * ```ts
 * const out = gpu.device.createBuffer({ size: 4 * B * C * 32 ** 3, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
 * // ... the model's compute passes write `out` ...
 * await writer.write(batch.idx, { pred: { buffer: out } });
 * ```
 */
export interface GpuPrediction {
  readonly buffer: GPUBuffer;
  readonly byteOffset?: number;
}

/** One target array's prediction: values on the CPU, or left in a GPU buffer. */
export type Prediction = Float32Array | GpuPrediction;

/** True for `{ buffer: GPUBuffer }` (a Float32Array, whose `buffer` is an ArrayBuffer, is not). */
export function isGpuPrediction(value: unknown): value is GpuPrediction {
  if (value === null || typeof value !== "object" || ArrayBuffer.isView(value)) return false;
  const buffer = (value as { buffer?: unknown }).buffer;
  return buffer !== null && typeof buffer === "object" && typeof (buffer as GPUBuffer).mapAsync === "function" && typeof (buffer as GPUBuffer).size === "number";
}

/**
 * The predictions with every GPU buffer read back into a Float32Array of `values.get(name)`
 * values; Float32Arrays, and entries `values` does not name, pass through unchanged (the caller
 * checks those). Reads run concurrently, one copy or map per buffer.
 *
 * @param arrays the predictions, by target array name
 * @param values f32 values expected per target array name
 * @param gpu the writer's GPU context
 * @param signal stops waiting for the reads
 * @throws {ArgumentError} naming `gpu` when a GPU buffer is given and there is no context, or
 *   `arrays.<name>.buffer` / `arrays.<name>.byteOffset` for a buffer that cannot be read so
 */
export async function readPredictions(
  arrays: Readonly<Record<string, unknown>>,
  values: ReadonlyMap<string, number>,
  gpu: GpuContext | undefined,
  signal: AbortSignal | undefined,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { ...arrays };
  // Check every buffer before reading any, so that a bad one leaves no read running.
  const reads: Array<() => Promise<void>> = [];
  for (const [name, value] of Object.entries(arrays)) {
    const n = values.get(name);
    if (n === undefined || !isGpuPrediction(value)) continue;
    const field = `arrays.${name}`;
    if (gpu === undefined) {
      throw new ArgumentError("gpu", `is not set, and ${field} is a GPU buffer: create the writer with the GpuContext whose device holds it (gpu), or pass a Float32Array`);
    }
    const { buffer } = value;
    const offset = value.byteOffset ?? 0;
    if (!Number.isInteger(offset) || offset < 0 || offset % 4 !== 0) {
      throw new ArgumentError(`${field}.byteOffset`, "must be a non-negative multiple of 4", offset);
    }
    const bytes = 4 * n;
    if (offset + bytes > buffer.size) {
      throw new ArgumentError(`${field}.buffer`, `is too small: ${n} f32 values (${bytes} bytes) from byte ${offset} need ${offset + bytes} bytes, it has ${buffer.size}`, buffer.size);
    }
    const canCopy = (buffer.usage & USAGE.COPY_SRC) !== 0;
    const canMap = (buffer.usage & USAGE.MAP_READ) !== 0;
    if (!canCopy && !canMap) {
      throw new ArgumentError(`${field}.buffer`, "needs COPY_SRC usage (or MAP_READ) to be read back", buffer.label || buffer.usage);
    }
    if (!canCopy && buffer.mapState !== undefined && buffer.mapState !== "unmapped") {
      throw new ArgumentError(`${field}.buffer`, `is ${buffer.mapState}: unmap it before passing it (or give it COPY_SRC usage)`, buffer.label || buffer.mapState);
    }
    reads.push(async () => {
      out[name] = await (canCopy ? copyBack(gpu, buffer, offset, bytes, signal) : mapBack(gpu, buffer, offset, bytes));
    });
  }
  if (reads.length === 0) return out;
  throwIfAborted(signal, "reading predictions back from the GPU");
  await Promise.all(reads.map((read) => read()));
  throwIfAborted(signal, "reading predictions back from the GPU");
  return out;
}

async function copyBack(gpu: GpuContext, buffer: GPUBuffer, offset: number, bytes: number, signal: AbortSignal | undefined): Promise<Float32Array> {
  return new Float32Array(await gpu.readBuffer(buffer, offset, bytes, signal === undefined ? {} : { signal }));
}

/** Map a MAP_READ buffer (from an offset rounded down to 8 bytes, as mapAsync asks), copy, unmap. */
async function mapBack(gpu: GpuContext, buffer: GPUBuffer, offset: number, bytes: number): Promise<Float32Array> {
  if (bytes === 0) return new Float32Array(0);
  const start = offset - (offset % 8);
  await gpu.track(buffer.mapAsync(MAP_MODE.READ, start, offset + bytes - start));
  try {
    const range = buffer.getMappedRange(start, offset + bytes - start);
    return new Float32Array(range.slice(offset - start, offset - start + bytes));
  } finally {
    buffer.unmap();
  }
}
