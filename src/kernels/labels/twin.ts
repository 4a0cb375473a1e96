/**
 * CPU twin of `shaders/labels.wgsl`: class relationships on a target array
 * `[batch, classes, voxels]`. Wherever class `c` is unknown (`== emptyValue`, or NaN when
 * `emptyValue` is NaN) and a class `d` with `exclusive[c][d]` is present (`== 1`) at the same
 * voxel, `c` becomes 0: a true negative.
 *
 * @example
 * ```ts
 * // 1 sample, classes [mito, er], 2 voxels; mito unknown, er present at voxel 0.
 * const data = new Float32Array([NaN, NaN, 1, 0]);
 * applyClassRelationshipsReference(data, {
 *   batch: 1, classes: 2, voxels: 2, emptyValue: NaN,
 *   exclusive: [[false, true], [true, false]],
 * }); // data = [0, NaN, 1, 0]
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

/** The most classes one pass handles (the shader's bit set of present classes). */
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

/**
 * Apply class relationships in place, on the CPU.
 *
 * @param data `[batch, classes, voxels]` C-order values
 * @param options the layout, exclusion matrix and empty value
 * @returns `data`
 * @throws {ArgumentError} when the options or `data`'s length disagree
 */
export function applyClassRelationshipsReference(data: Float32Array, options: ClassRelationshipsLayout): Float32Array {
  const { batch, classes, voxels, exclusive, emptyValue } = options;
  exclusionBits(options);
  if (data.length !== batch * classes * voxels) {
    throw new ArgumentError("data", `must hold batch * classes * voxels = ${batch * classes * voxels} values`, data.length);
  }
  const unknown = Number.isNaN(emptyValue) ? (x: number) => Number.isNaN(x) : (x: number) => x === emptyValue;
  const present = new Array<boolean>(classes);
  for (let b = 0; b < batch; b++) {
    const base = b * classes * voxels;
    for (let v = 0; v < voxels; v++) {
      for (let c = 0; c < classes; c++) present[c] = data[base + c * voxels + v] === 1;
      for (let c = 0; c < classes; c++) {
        const i = base + c * voxels + v;
        if (!unknown(data[i]!)) continue;
        const row = exclusive[c]!;
        for (let d = 0; d < classes; d++) {
          if (row[d] === true && present[d] === true) {
            data[i] = 0;
            break;
          }
        }
      }
    }
  }
  return data;
}
