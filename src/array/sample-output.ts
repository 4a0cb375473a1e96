import { ArgumentError, BudgetError } from "../errors.ts";
import type { GpuContext } from "../gpu/context.ts";
import type { BackendOutput } from "./backend.ts";
import type { CheckedRead } from "./read-options.ts";

/** Bytes one `sample()` call may return on the CPU device at most (4 GiB): past that, a BudgetError. */
const MAX_CPU_OUTPUT_BYTES = 2 ** 32;

/**
 * Check the output of a `sample()` of `count` samples: the caller's `out` (exactly the batch's
 * values) and the size against what one call may return. Returns the number of values.
 *
 * @throws {ArgumentError} when `out` has another length
 * @throws {BudgetError} when the output exceeds the limit of `device`
 */
export function checkSampleOutput(count: number, read: CheckedRead, given: Float32Array | undefined, device: "gpu" | "cpu", gpu: () => GpuContext): number {
  const n = read.shape[0] * read.shape[1] * read.shape[2] * count;
  if (given !== undefined && !(given instanceof Float32Array && given.length === n)) {
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
 * Run a read into a GPU buffer of its own and read the whole batch back once: into `given`, or
 * a new array of `n` values.
 */
export async function readBack(ctx: GpuContext, url: string, n: number, given: Float32Array | undefined, run: (out: BackendOutput) => Promise<void>): Promise<Float32Array> {
  const buffer = ctx.device.createBuffer({
    label: `${url} sample output`,
    size: Math.max(4, n * 4),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  try {
    await run({ kind: "gpu", buffer, byteOffset: 0 });
    const bytes = await ctx.track(ctx.readBuffer(buffer, 0, n * 4));
    if (given === undefined) return new Float32Array(bytes);
    given.set(new Float32Array(bytes));
    return given;
  } finally {
    buffer.destroy();
  }
}
