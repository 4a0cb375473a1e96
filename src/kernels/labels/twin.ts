/**
 * CPU twin of `labels.wgsl`: class relationships on a target array
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
import { type ClassRelationshipsLayout, exclusionBits } from "./contract.ts";

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
