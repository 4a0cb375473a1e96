import { BudgetError } from "../errors.ts";
import type { CellposeTargetSpec } from "./derived-targets.ts";
import type { ArraySpec } from "./types.ts";

/** Bytes one array of one sample may take on the CPU (4 GiB); on the GPU, the device's buffer limit. */
export const MAX_SAMPLE_BYTES = 2 ** 32;

/**
 * Refuse arrays whose one sample cannot be held in memory (a 2048³ request), before anything is
 * opened or allocated.
 *
 * @throws {BudgetError} naming the array and the bytes it needs
 */
export function checkSampleBytes(
  inputs: Record<string, ArraySpec>,
  targets: Record<string, ArraySpec>,
  cellpose: Record<string, CellposeTargetSpec>,
  classCount: number,
  limit: number,
): void {
  const channels: Array<[string, ArraySpec, number]> = [
    ...Object.entries(inputs).map(([n, s]): [string, ArraySpec, number] => [`inputArrays.${n}`, s, 1]),
    ...Object.entries(targets).map(([n, s]): [string, ArraySpec, number] => [`targetArrays.${n}`, s, Math.max(1, classCount)]),
    ...Object.entries(cellpose).map(([n, s]): [string, ArraySpec, number] => [`targetArrays.${n}`, s, 3]),
  ];
  for (const [field, spec, c] of channels) {
    const bytes = spec.shape[0] * spec.shape[1] * spec.shape[2] * c * 4;
    if (bytes > limit) {
      throw new BudgetError(
        `${field}: one sample of shape ${spec.shape.join("×")}${c > 1 ? ` × ${c} channels` : ""} needs ${bytes} bytes, more than the ${limit} one array may take; ask for a smaller shape`,
        bytes,
        limit,
      );
    }
  }
}
