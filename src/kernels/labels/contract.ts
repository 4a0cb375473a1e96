/**
 * The contract of `labels.wgsl` (class relationships), shared by the GPU host (`gpu.ts`) and the
 * CPU twin (`twin.ts`): the layout of a target batch `[batch, classes, voxels]` and the exclusion
 * matrix as the bit rows the shader reads.
 *
 * @example
 * ```ts
 * const { words, bits } = exclusionBits({
 *   batch: 1, classes: 2, voxels: 8, emptyValue: NaN, exclusive: [[false, true], [true, false]],
 * }); // words 1, bits [0b10, 0b01]
 * ```
 * @module
 */

import { ArgumentError } from "../../errors.ts";

/** Everything of the class-relationship pass but the GPU buffer. */
export interface ClassRelationshipsLayout {
  readonly batch: number;
  /** Classes per sample, C. */
  readonly classes: number;
  /** Voxels per class per sample. */
  readonly voxels: number;
  /** C x C; `exclusive[c][d]` true: where d is present, an unknown c is a true negative. */
  readonly exclusive: readonly (readonly boolean[])[];
  /** The value of unknown labels (NaN allowed). */
  readonly emptyValue: number;
}

/**
 * The most classes one pass handles: the shader's bit set of present classes, `32 * MAX_WORDS`
 * (`const MAX_WORDS` in labels.wgsl).
 */
export const MAX_RELATED_CLASSES = 256;

/**
 * Check a layout and return the exclusion matrix as bit rows: `ceil(C / 32)` u32 words per class,
 * bit d of row c set when `exclusive[c][d]`.
 *
 * @throws {ArgumentError} naming the bad field
 */
export function exclusionBits(layout: ClassRelationshipsLayout): { words: number; bits: Uint32Array } {
  const { batch, classes, voxels, exclusive } = layout;
  if (!Number.isInteger(batch) || batch < 1) throw new ArgumentError("batch", "must be a positive integer", batch);
  if (!Number.isInteger(classes) || classes < 1 || classes > MAX_RELATED_CLASSES) {
    throw new ArgumentError("classes", `must be an integer from 1 to ${MAX_RELATED_CLASSES}`, classes);
  }
  if (!Number.isInteger(voxels) || voxels < 1) throw new ArgumentError("voxels", "must be a positive integer", voxels);
  if (typeof layout.emptyValue !== "number") throw new ArgumentError("emptyValue", "must be a number (NaN allowed)", layout.emptyValue);
  if (exclusive.length !== classes) throw new ArgumentError("exclusive", `must have ${classes} rows`, exclusive.length);
  const words = Math.ceil(classes / 32);
  const bits = new Uint32Array(classes * words);
  exclusive.forEach((row, c) => {
    if (row.length !== classes) throw new ArgumentError(`exclusive[${c}]`, `must have ${classes} entries`, row.length);
    row.forEach((x, d) => {
      if (x === true) bits[c * words + (d >> 5)]! |= 1 << (d & 31);
      else if (x !== false) throw new ArgumentError(`exclusive[${c}][${d}]`, "must be true or false", x);
    });
  });
  return { words, bits };
}
