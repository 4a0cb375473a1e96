import type { Vec3 } from "./types.ts";

/**
 * A 3x4 affine in float64, row-major: rows z, y, x; columns z, y, x, translation.
 * `apply(m, j)` = m[0:3, 0:3] · j + m[:, 3].
 */
export type Affine = Float64Array;

/** A new identity 3x4 affine. */
export function identityAffine(dst: Affine = new Float64Array(12)): Affine {
  dst.fill(0);
  dst[0] = dst[5] = dst[10] = 1;
  return dst;
}

/** Apply a 3x4 affine to a point. */
export function applyAffine(m: Affine, p: Readonly<Vec3>, dst: Vec3 = [0, 0, 0]): Vec3 {
  const [a, b, c] = p;
  dst[0] = m[0]! * a + m[1]! * b + m[2]! * c + m[3]!;
  dst[1] = m[4]! * a + m[5]! * b + m[6]! * c + m[7]!;
  dst[2] = m[8]! * a + m[9]! * b + m[10]! * c + m[11]!;
  return dst;
}

/** Multiply two 3x3 matrices given row-major (9 numbers each). */
export function mul3(a: ArrayLike<number>, b: ArrayLike<number>, dst: Float64Array = new Float64Array(9)): Float64Array {
  const r = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      r[i * 3 + j] = a[i * 3]! * b[j]! + a[i * 3 + 1]! * b[3 + j]! + a[i * 3 + 2]! * b[6 + j]!;
    }
  }
  dst.set(r);
  return dst;
}

/** The 3x3 identity, row-major. */
export const IDENTITY3: readonly number[] = Object.freeze([1, 0, 0, 0, 1, 0, 0, 0, 1]);
