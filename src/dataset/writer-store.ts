/**
 * What {@link CellMapDatasetWriter} stores besides the zarr metadata: predictions converted to
 * the output's type, and the progress file that records finished tiles (a base64 bitmap and
 * the fingerprint of the options it was written with).
 * @module
 */

import { MetadataError } from "../errors.ts";
import { allocate, type DataType, type NumericArray } from "../zarr-write/index.ts";

/** The progress file, next to the class groups. */
export const PROGRESS = ".cellmap-progress.json";

/** The value range of the integer types, for rounding and clamping predictions. */
const INT_RANGE: Readonly<Partial<Record<DataType, readonly [number, number]>>> = {
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 4294967295],
  uint64: [0, Number.MAX_SAFE_INTEGER],
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** `values` in the stored type: floats as they are, integers rounded and clamped, NaN as 0. */
export function toStored(dtype: DataType, values: Float32Array): NumericArray {
  const out = allocate(dtype, values.length);
  const range = INT_RANGE[dtype];
  if (range === undefined) {
    (out as Float64Array).set(values);
    return out;
  }
  const big = dtype === "int64" || dtype === "uint64";
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const r = Number.isNaN(v) ? 0 : Math.min(range[1], Math.max(range[0], Math.round(v)));
    if (big) (out as BigInt64Array)[i] = BigInt(r);
    else (out as Int32Array)[i] = r;
  }
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function parseProgress(bytes: Uint8Array, url: string): { fingerprint: string; done: Uint8Array } {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new MetadataError(url, "(file)", "is not JSON", undefined, { cause: e });
  }
  const d = doc as { fingerprint?: unknown; done?: unknown };
  if (typeof d.fingerprint !== "string") throw new MetadataError(url, "fingerprint", "must be a string", d.fingerprint);
  if (typeof d.done !== "string") throw new MetadataError(url, "done", "must be a base64 string", d.done);
  const bin = atob(d.done);
  return { fingerprint: d.fingerprint, done: Uint8Array.from(bin, (ch) => ch.charCodeAt(0)) };
}
