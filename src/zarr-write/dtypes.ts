/**
 * The numeric data types the writer supports and how each is named in zarr v2 and v3 metadata.
 * @module
 */

import { ArgumentError } from "../errors.ts";

/** Element type of a written array, named as in zarr v3. */
export type DataType =
  | "uint8"
  | "uint16"
  | "uint32"
  | "uint64"
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "float32"
  | "float64";

/** Typed array of any supported data type. */
export type NumericArray =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/** Scalar of a data type: `bigint` for the 64-bit integers, `number` otherwise. */
export type Scalar = number | bigint;

interface DataTypeInfo {
  readonly v2: string;
  readonly bytes: number;
  readonly make: (length: number) => NumericArray;
  readonly big: boolean;
}

const INFO: Record<DataType, DataTypeInfo> = {
  uint8: { v2: "|u1", bytes: 1, make: (n) => new Uint8Array(n), big: false },
  uint16: { v2: "<u2", bytes: 2, make: (n) => new Uint16Array(n), big: false },
  uint32: { v2: "<u4", bytes: 4, make: (n) => new Uint32Array(n), big: false },
  uint64: { v2: "<u8", bytes: 8, make: (n) => new BigUint64Array(n), big: true },
  int8: { v2: "|i1", bytes: 1, make: (n) => new Int8Array(n), big: false },
  int16: { v2: "<i2", bytes: 2, make: (n) => new Int16Array(n), big: false },
  int32: { v2: "<i4", bytes: 4, make: (n) => new Int32Array(n), big: false },
  int64: { v2: "<i8", bytes: 8, make: (n) => new BigInt64Array(n), big: true },
  float32: { v2: "<f4", bytes: 4, make: (n) => new Float32Array(n), big: false },
  float64: { v2: "<f8", bytes: 8, make: (n) => new Float64Array(n), big: false },
};

/** Every supported data type. */
export const DATA_TYPES: readonly DataType[] = Object.keys(INFO) as DataType[];

function info(dtype: DataType): DataTypeInfo {
  const i = INFO[dtype];
  if (i === undefined) throw new ArgumentError("dtype", `must be one of ${DATA_TYPES.join(", ")}`, dtype);
  return i;
}

/** Size of one element in bytes. */
export function bytesPerElement(dtype: DataType): number {
  return info(dtype).bytes;
}

/** The zarr v2 `dtype` string (little-endian), e.g. `"<u2"`. */
export function v2TypeString(dtype: DataType): string {
  return info(dtype).v2;
}

/** A zero-filled typed array of `length` elements of `dtype`. */
export function allocate(dtype: DataType, length: number): NumericArray {
  return info(dtype).make(length);
}

/** True when `data` is the typed array class that holds `dtype`. */
export function matchesDataType(data: NumericArray, dtype: DataType): boolean {
  return data.constructor === info(dtype).make(0).constructor;
}

/** Convert a fill value to the scalar kind the typed array of `dtype` stores. */
export function toScalar(dtype: DataType, value: Scalar): Scalar {
  if (info(dtype).big) return typeof value === "bigint" ? value : BigInt(value);
  return typeof value === "bigint" ? Number(value) : value;
}

/**
 * A fill value as zarr metadata JSON writes it: numbers stay numbers, NaN and the infinities
 * become the strings `"NaN"`, `"Infinity"`, `"-Infinity"`, bigints become numbers.
 */
export function fillValueJson(value: Scalar): number | string {
  if (typeof value === "bigint") return Number(value);
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  return value;
}
