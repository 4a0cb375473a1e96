/**
 * Copying boxes between C-order arrays and checking for all-fill chunks: the only per-element
 * work the writer does besides compression.
 * @module
 */

import type { NumericArray, Scalar } from "./dtypes.ts";

/** Row-major strides of a shape, in elements. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** Number of elements in a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Copy a box of `size` elements per axis from `src` (shaped `srcShape`, box starting at
 * `srcOrigin`) into `dst` (shaped `dstShape`, box starting at `dstOrigin`). Both arrays must hold
 * the same element type; boxes must lie inside both arrays.
 */
export function copyBox(
  src: NumericArray,
  srcShape: readonly number[],
  srcOrigin: readonly number[],
  dst: NumericArray,
  dstShape: readonly number[],
  dstOrigin: readonly number[],
  size: readonly number[],
): void {
  const n = size.length;
  if (n === 0) {
    dst[0] = src[0]!;
    return;
  }
  if (size.some((d) => d <= 0)) return;
  const ss = stridesOf(srcShape);
  const ds = stridesOf(dstShape);
  const row = size[n - 1]!;
  const idx = new Array<number>(n - 1).fill(0);
  const s = src as Uint8Array;
  const d = dst as Uint8Array;
  for (;;) {
    let a = srcOrigin[n - 1]!;
    let b = dstOrigin[n - 1]!;
    for (let i = 0; i < n - 1; i++) {
      a += (srcOrigin[i]! + idx[i]!) * ss[i]!;
      b += (dstOrigin[i]! + idx[i]!) * ds[i]!;
    }
    if (row < 16) {
      for (let k = 0; k < row; k++) d[b + k] = s[a + k]!;
    } else {
      d.set(s.subarray(a, a + row), b);
    }
    let axis = n - 2;
    while (axis >= 0) {
      idx[axis]!++;
      if (idx[axis]! < size[axis]!) break;
      idx[axis] = 0;
      axis--;
    }
    if (axis < 0) return;
  }
}

/** True when every element equals `fill` (NaN matches NaN). */
export function isAllFill(data: NumericArray, fill: Scalar): boolean {
  if (typeof fill === "number" && Number.isNaN(fill)) {
    for (let i = 0; i < data.length; i++) if (!Number.isNaN(data[i] as number)) return false;
    return true;
  }
  for (let i = 0; i < data.length; i++) if (data[i] !== fill) return false;
  return true;
}

/** The bytes of a typed array, little-endian (the platform order, checked). */
export function bytesOf(data: NumericArray): Uint8Array {
  if (!LITTLE_ENDIAN) throw new Error("zarr-write needs a little-endian platform");
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
