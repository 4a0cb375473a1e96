/**
 * Storage kinds: the 32-bit-or-narrower element types a chunk has once it sits in a GPU cache slot,
 * and the packing of a decoded zarr chunk into a slot's u32 words (see docs/architecture.md, "The
 * chunk cache layout"). The resample kernel's shader (`src/kernels/resample/resample.wgsl`) and CPU
 * twin (`src/kernels/resample/twin.ts`) decode the same words; the chunk reader packs them.
 *
 * @example
 * ```ts
 * const kind = storageKindForDtype("int16"); // "i16"
 * const words = packChunk(new Int16Array([-1, 2, 3]), kind); // 2 words
 * readPacked(words, kind, 0); // -1
 * ```
 * @module
 */

import { ArgumentError, ValueRangeError } from "../../errors.ts";

/** The element type of a cache slot. */
export type StorageKind = "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "f32";

/** What the shader needs to know about a storage kind: its `Params.kind` code and element size. */
export interface StorageKindInfo {
  /** The value of `Params.kind` in `src/kernels/resample/resample.wgsl`. */
  readonly code: number;
  /** Bytes per element in a slot (1, 2 or 4). */
  readonly bytes: 1 | 2 | 4;
  /** Smallest and largest value the kind holds (for f32, the finite range). */
  readonly min: number;
  readonly max: number;
}

/** The storage-kind table, in code order. */
export const STORAGE_KINDS: Readonly<Record<StorageKind, StorageKindInfo>> = Object.freeze({
  u8: { code: 0, bytes: 1, min: 0, max: 0xff },
  i8: { code: 1, bytes: 1, min: -0x80, max: 0x7f },
  u16: { code: 2, bytes: 2, min: 0, max: 0xffff },
  i16: { code: 3, bytes: 2, min: -0x8000, max: 0x7fff },
  u32: { code: 4, bytes: 4, min: 0, max: 0xffffffff },
  i32: { code: 5, bytes: 4, min: -0x80000000, max: 0x7fffffff },
  f32: { code: 6, bytes: 4, min: -3.4028234663852886e38, max: 3.4028234663852886e38 },
});

const DTYPE_KINDS: Readonly<Record<string, StorageKind>> = {
  uint8: "u8",
  bool: "u8",
  int8: "i8",
  uint16: "u16",
  int16: "i16",
  uint32: "u32",
  uint64: "u32",
  int32: "i32",
  int64: "i32",
  float32: "f32",
  float64: "f32",
};

/**
 * The `Params.kind` code of a storage kind.
 *
 * @example
 * ```ts
 * storageKindCode("f32"); // 6
 * ```
 */
export function storageKindCode(kind: StorageKind): number {
  return STORAGE_KINDS[kind].code;
}

/**
 * Bytes per element of a storage kind in a cache slot.
 *
 * @example
 * ```ts
 * bytesPerElement("i16"); // 2
 * ```
 */
export function bytesPerElement(kind: StorageKind): 1 | 2 | 4 {
  return STORAGE_KINDS[kind].bytes;
}

/**
 * The storage kind a zarr data type is cached as (zarrita dtype names: "uint8", "int64",
 * "float64", "bool", ...). 64-bit integers are stored in 32 bits and checked when packed; float64
 * is rounded to float32.
 *
 * @throws {ArgumentError} for data types the GPU path cannot hold (strings, float16, complex...).
 * @example
 * ```ts
 * storageKindForDtype("uint64"); // "u32"
 * ```
 */
export function storageKindForDtype(zarrDtype: string): StorageKind {
  const kind = Object.hasOwn(DTYPE_KINDS, zarrDtype) ? DTYPE_KINDS[zarrDtype] : undefined;
  if (kind === undefined) {
    throw new ArgumentError(
      "dtype",
      `is not supported for GPU sampling; use one of ${Object.keys(DTYPE_KINDS).join(", ")}`,
      zarrDtype,
    );
  }
  return kind;
}

/**
 * u32 words of one cache slot: `ceil(prod(chunkShape) * bytes / 4)`.
 *
 * @example
 * ```ts
 * slotWords([3, 5, 7], "u8"); // 27
 * ```
 */
export function slotWords(chunkShape: readonly number[], kind: StorageKind): number {
  let n = 1;
  for (const c of chunkShape) {
    if (!Number.isInteger(c) || c < 1) throw new ArgumentError("chunkShape", "must hold positive integers", chunkShape);
    n *= c;
  }
  return Math.ceil((n * bytesPerElement(kind)) / 4);
}

/** A zarrita `BoolArray` or anything else exposing one byte per element. */
export interface ByteBackedBools {
  readonly buffer: ArrayBufferLike;
  readonly byteOffset: number;
  readonly length: number;
  get(index: number): boolean;
}

/** A decoded chunk as zarrita returns it for the supported data types. */
export type ChunkData =
  | Uint8Array
  | Uint8ClampedArray
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array
  | ByteBackedBools;

type NumberArray = Exclude<ChunkData, BigInt64Array | BigUint64Array | ByteBackedBools>;

function viewOf(kind: StorageKind, buffer: ArrayBuffer, length: number): NumberArray {
  switch (kind) {
    case "u8":
      return new Uint8Array(buffer, 0, length);
    case "i8":
      return new Int8Array(buffer, 0, length);
    case "u16":
      return new Uint16Array(buffer, 0, length);
    case "i16":
      return new Int16Array(buffer, 0, length);
    case "u32":
      return new Uint32Array(buffer, 0, length);
    case "i32":
      return new Int32Array(buffer, 0, length);
    case "f32":
      return new Float32Array(buffer, 0, length);
  }
}

/** The value range of an integer array's element type; undefined for float arrays. */
function integerRange(data: NumberArray): readonly [number, number] | undefined {
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return [0, 0xff];
  if (data instanceof Int8Array) return [-0x80, 0x7f];
  if (data instanceof Uint16Array) return [0, 0xffff];
  if (data instanceof Int16Array) return [-0x8000, 0x7fff];
  if (data instanceof Uint32Array) return [0, 0xffffffff];
  if (data instanceof Int32Array) return [-0x80000000, 0x7fffffff];
  return undefined;
}

/** Whether every value of `data` converts to `kind` without a per-element range check. */
function fitsWithoutCheck(data: NumberArray, kind: StorageKind): boolean {
  if (kind === "f32") return true;
  const r = integerRange(data);
  const { min, max } = STORAGE_KINDS[kind];
  return r !== undefined && r[0] >= min && r[1] <= max;
}

function isBoolLike(data: ChunkData): data is ByteBackedBools {
  return !ArrayBuffer.isView(data);
}

/**
 * Pack a decoded C-order (z, y, x) chunk into the u32 words of a cache slot: element `e` at byte
 * `e * bytes`, little-endian (typed arrays use the host's byte order, little-endian on every
 * WebGPU platform). float64 is rounded to float32; bool becomes 0/1 bytes; 64-bit and
 * mismatched integer arrays are range-checked.
 *
 * @param data the decoded chunk (edge chunks full size, as zarr stores them)
 * @param kind the storage kind of the array ({@link storageKindForDtype})
 * @param key chunk key, named in errors
 * @param url array URL, named in errors
 * @returns `ceil(data.length * bytes / 4)` words, trailing bytes zero
 * @throws {ValueRangeError} when a value does not fit `kind` (e.g. a uint64 above 2^32 - 1)
 * @example
 * ```ts
 * packChunk(new Float64Array([0.1, 2]), "f32"); // 2 words, 0.1 rounded to float32
 * ```
 */
export function packChunk(data: ChunkData, kind: StorageKind, key = "?", url = "?"): Uint32Array<ArrayBuffer> {
  const n = data.length;
  const words = new Uint32Array(Math.ceil((n * bytesPerElement(kind)) / 4));
  const dst = viewOf(kind, words.buffer, n);
  if (isBoolLike(data)) {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, n);
    for (let i = 0; i < n; i++) dst[i] = bytes[i] === 0 ? 0 : 1;
    return words;
  }
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    const { min, max } = STORAGE_KINDS[kind];
    const lo = BigInt(Math.ceil(min));
    const hi = BigInt(Math.floor(max));
    for (let i = 0; i < n; i++) {
      const v = data[i] as bigint;
      if (kind !== "f32" && (v < lo || v > hi)) throw outOfRange(v, i, kind, key, url);
      dst[i] = Number(v);
    }
    return words;
  }
  if (fitsWithoutCheck(data, kind)) {
    dst.set(data);
    return words;
  }
  const { min, max } = STORAGE_KINDS[kind];
  for (let i = 0; i < n; i++) {
    const v = data[i] as number;
    if (!(Number.isInteger(v) && v >= min && v <= max)) throw outOfRange(v, i, kind, key, url);
    dst[i] = v;
  }
  return words;
}

function outOfRange(v: number | bigint, i: number, kind: StorageKind, key: string, url: string): ValueRangeError {
  const { min, max } = STORAGE_KINDS[kind];
  return new ValueRangeError(
    url,
    key,
    `element ${i} is ${v}, outside the ${kind} range [${min}, ${max}] the GPU cache stores; ` +
      "rewrite the array with a 32-bit data type or values that fit",
  );
}

const scratch = new DataView(new ArrayBuffer(4));

/**
 * Read element `elementIndex` of packed words as the shader does: extract the byte or half,
 * sign-extend signed kinds, bitcast f32.
 *
 * @param words packed words (a whole cache or one slot)
 * @param wordOffset first word of the slot within `words`
 * @example
 * ```ts
 * readPacked(cacheWords, "i8", elementIndex, slot * slotWords(chunkShape, "i8"));
 * ```
 */
export function readPacked(words: Uint32Array, kind: StorageKind, elementIndex: number, wordOffset = 0): number {
  const bytes = bytesPerElement(kind);
  const w = words[wordOffset + ((elementIndex * bytes) >>> 2)] ?? 0;
  switch (kind) {
    case "u8":
      return (w >>> ((elementIndex & 3) * 8)) & 0xff;
    case "i8":
      return ((w >>> ((elementIndex & 3) * 8)) << 24) >> 24;
    case "u16":
      return (w >>> ((elementIndex & 1) * 16)) & 0xffff;
    case "i16":
      return ((w >>> ((elementIndex & 1) * 16)) << 16) >> 16;
    case "u32":
      return w >>> 0;
    case "i32":
      return w | 0;
    case "f32":
      scratch.setUint32(0, w, true);
      return scratch.getFloat32(0, true);
  }
}

/**
 * Whether a trilinear blend exactly at a voxel gives that voxel's value, bit for bit, for every
 * element of `kind` with `fill` for absent chunks. The blend is `a * 1 + b * 0` per axis, which is
 * `a` unless a neighbour `b` is NaN or infinite or `a` is -0: never for integer kinds with a finite
 * fill other than -0; f32 elements may be anything. The resample fast paths copy only then.
 *
 * @example
 * ```ts
 * blendAtVoxelIsVoxel("u8", 0); // true
 * blendAtVoxelIsVoxel("f32", 0); // false
 * ```
 */
export function blendAtVoxelIsVoxel(kind: StorageKind, fill: number): boolean {
  return kind !== "f32" && Number.isFinite(fill) && !Object.is(fill, -0);
}
