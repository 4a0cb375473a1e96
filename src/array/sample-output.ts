import { ArgumentError, BudgetError } from "../errors.ts";
import type { GpuContext } from "../gpu/context.ts";
import type { BackendOutput } from "./backend.ts";
import type { CheckedRead } from "./read-options.ts";

/** Bytes one `sample()` call may return on the CPU device at most (4 GiB): past that, a BudgetError. */
const MAX_CPU_OUTPUT_BYTES = 2 ** 32;

/**
 * Check the output of a `sample()` of `count` samples: the caller's `out` (exactly the batch's
 * values, or with `outStride` at least up to the last sample's end) and the size against what
 * one call may return. Returns the number of values sampled.
 *
 * @throws {ArgumentError} when `out` has another length, or `outStride` is not an integer of at
 *   least one sample's voxels (or comes without `out`)
 * @throws {BudgetError} when the output exceeds the limit of `device`
 */
export function checkSampleOutput(count: number, read: CheckedRead, given: Float32Array | undefined, device: "gpu" | "cpu", gpu: () => GpuContext, outStride?: number): number {
  const per = read.shape[0] * read.shape[1] * read.shape[2];
  const n = per * count;
  if (outStride !== undefined) {
    if (given === undefined) throw new ArgumentError("outStride", "needs out (the array the samples are written into)", outStride);
    if (!(Number.isSafeInteger(outStride) && outStride >= per)) {
      throw new ArgumentError("outStride", `must be an integer of at least one sample's ${per} values`, outStride);
    }
    const span = count === 0 ? 0 : (count - 1) * outStride + per;
    if (!(given instanceof Float32Array && given.length >= span)) {
      throw new ArgumentError("out", `must be a Float32Array of at least ${span} values (${count} samples of ${per}, ${outStride} apart)`, given instanceof Float32Array ? given.length : typeof given);
    }
  } else if (given !== undefined && !(given instanceof Float32Array && given.length === n)) {
    throw new ArgumentError("out", `must be a Float32Array of ${n} values`, given instanceof Float32Array ? given.length : typeof given);
  }
  const limit = device === "cpu" ? MAX_CPU_OUTPUT_BYTES : gpu().device.limits.maxBufferSize;
  if (n * 4 > limit) {
    throw new BudgetError(
      `sample() of ${count} × ${read.shape.join("×")} voxels needs ${n * 4} bytes of output, more than the ${limit} one ${device === "cpu" ? "call may return" : "GPU buffer may hold"}; ` +
        "ask for fewer samples or a smaller shape per call",
      n * 4,
      limit,
    );
  }
  return n;
}

/**
 * Run a read into a GPU buffer of its own and read the whole batch back once: into `given`
 * (samples of `per` values `stride` apart when a stride is given), or a new array of `n` values.
 */
export async function readBack(ctx: GpuContext, url: string, n: number, given: Float32Array | undefined, run: (out: BackendOutput) => Promise<void>, spacing?: { per: number; stride: number }): Promise<Float32Array> {
  const buffer = ctx.device.createBuffer({
    label: `${url} sample output`,
    size: Math.max(4, n * 4),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  try {
    await run({ kind: "gpu", buffer, byteOffset: 0 });
    const bytes = await ctx.track(ctx.readBuffer(buffer, 0, n * 4));
    if (given === undefined) return new Float32Array(bytes);
    const values = new Float32Array(bytes);
    if (!spacing || spacing.stride === spacing.per) given.set(values);
    else for (let b = 0; b * spacing.per < n; b++) given.set(values.subarray(b * spacing.per, (b + 1) * spacing.per), b * spacing.stride);
    return given;
  } finally {
    buffer.destroy();
  }
}
