/**
 * Recognising an output -> source affine that is a signed axis permutation with integer offsets
 * (identity, mirrors, transposes, 90° rotations at the level's voxel size): every output voxel
 * then lies exactly on a source voxel, so resampling is a strided copy. The CPU twin
 * (`src/kernels/resample/twin-permuted.ts`) and the GPU host (the `COPY` pipeline) both ask this
 * module through the resample contract (`sampleAxisPermutation`), so they agree on which samples
 * qualify.
 *
 * @example
 * ```ts
 * axisPermutation(new Float64Array([0, 0, -1, 9, 0, 1, 0, 0, 1, 0, 0, 2]), [1, 2, 3]);
 * // { from: [2, 1, 0], sign: [-1, 1, 1], offset: [10, 2, 5] }
 * ```
 * @module
 */

/**
 * A signed axis permutation: source voxel `i[a] = offset[a] + sign[a] * j[from[a]]` for output
 * voxel `j`, per source axis `a` (z, y, x).
 */
export interface AxisPermutation {
  /** The output axis that feeds each source axis. */
  readonly from: readonly [0 | 1 | 2, 0 | 1 | 2, 0 | 1 | 2];
  readonly sign: readonly [1 | -1, 1 | -1, 1 | -1];
  /** `origin[a] + matrix[4a + 3]`, an integer. */
  readonly offset: readonly [number, number, number];
}

/** Beyond this the float64 sums of a general resampling path could round: keep to exact integers. */
const EXACT = 2 ** 50;

/**
 * A 3x4 row-major affine (rows z, y, x; output index -> source voxel relative to `origin`) as a
 * signed axis permutation with integer offsets, or `undefined` when it is anything else: a scale,
 * a rotation by other than a multiple of 90°, a fractional offset or origin, an entry 1e-9 off.
 *
 * @example
 * ```ts
 * axisPermutation(new Float64Array([1, 0, 0, 0.5, 0, 1, 0, 0, 0, 0, 1, 0]), [0, 0, 0]); // undefined: half a voxel
 * ```
 */
export function axisPermutation(matrix: ArrayLike<number>, origin: readonly number[]): AxisPermutation | undefined {
  const from: (0 | 1 | 2)[] = [];
  const sign: (1 | -1)[] = [];
  const offset: number[] = [];
  let used = 0;
  for (let a = 0; a < 3; a++) {
    let k = -1;
    for (let c = 0; c < 3; c++) {
      const e = matrix[4 * a + c]!;
      if (e === 0) continue;
      if ((e !== 1 && e !== -1) || k >= 0) return undefined;
      k = c;
    }
    if (k < 0 || used & (1 << k)) return undefined;
    used |= 1 << k;
    const o = origin[a]!, t = matrix[4 * a + 3]!;
    if (!Number.isInteger(o) || !Number.isInteger(t) || Math.abs(o) + Math.abs(t) > EXACT) return undefined;
    from.push(k as 0 | 1 | 2);
    sign.push(matrix[4 * a + k]! as 1 | -1);
    offset.push(o + t);
  }
  return { from: from as [0 | 1 | 2, 0 | 1 | 2, 0 | 1 | 2], sign: sign as [1 | -1, 1 | -1, 1 | -1], offset: offset as [number, number, number] };
}
