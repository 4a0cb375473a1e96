/**
 * Write zarr arrays: metadata with {@link createArray}, then data either per stored object with
 * {@link writeChunk} (tile by tile, for volumes that do not fit in memory) or all at once with
 * {@link writeArray}. A stored object is a chunk, or a whole shard for sharded v3 arrays.
 * @module
 */

import { ArgumentError, throwIfAborted } from "../errors.ts";
import { bytesOf, copyBox, isAllFill, sizeOf } from "./box.ts";
import { type ByteEncoder, createEncoder } from "./codecs.ts";
import { allocate, matchesDataType, type NumericArray } from "./dtypes.ts";
import { encodeShard } from "./shard.ts";
import { type ArraySpec, type NormalizedSpec, normalizeSpec } from "./spec.ts";
import { joinKey, type WriteTarget } from "./target.ts";
import { v2ArrayMetadata, v2ChunkKey } from "./v2.ts";
import { v3ArrayMetadata, v3ChunkKey } from "./v3.ts";

/** An array's place and layout, as returned by {@link createArray}. Plain data. */
export interface ZarrArray {
  /** Key prefix of the array in its target (no leading slash). */
  readonly path: string;
  readonly spec: NormalizedSpec;
  /** Shape of one stored object: the chunk, or the shard when sharded. */
  readonly unitShape: readonly number[];
  /** Number of stored objects per axis. */
  readonly grid: readonly number[];
}

/** Options of {@link writeChunk}. */
export interface WriteChunkOptions {
  /** Store chunks that hold only the fill value (default false: skip them, deleting stale ones). */
  readonly writeEmptyChunks?: boolean;
  readonly signal?: AbortSignal;
}

/** Options of {@link writeArray}. */
export interface WriteArrayOptions extends WriteChunkOptions {
  /** Stored objects encoded and written at once (default 4). */
  readonly concurrency?: number;
  /** Called after each stored object with the count done and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** What {@link writeArray} did. */
export interface WriteArrayResult {
  readonly array: ZarrArray;
  /** Stored objects written. */
  readonly written: number;
  /** Stored objects skipped because they held only the fill value. */
  readonly skipped: number;
  /** Bytes written for data (not metadata). */
  readonly bytes: number;
}

const encoders = new WeakMap<ZarrArray, ByteEncoder>();
const utf8 = new TextEncoder();

/** JSON document bytes, pretty-printed like zarr-python writes them. */
export function jsonBytes(doc: unknown): Uint8Array {
  return utf8.encode(`${JSON.stringify(doc, null, 2)}\n`);
}

/** Describe an array without writing anything (validates the spec). */
export function describeArray(path: string, spec: ArraySpec): ZarrArray {
  const s = normalizeSpec(spec);
  const unitShape = s.shards ?? s.chunks;
  return {
    path: joinKey(path),
    spec: s,
    unitShape,
    grid: s.shape.map((n, i) => Math.ceil(n / unitShape[i]!)),
  };
}

/**
 * Write an array's metadata (`.zarray` + `.zattrs`, or `zarr.json`) and return its handle.
 * @example
 * ```ts
 * const a = await createArray(target, "vol.zarr/s0", {
 *   shape: [64, 64, 64], chunks: [32, 32, 32], shards: [64, 64, 64], dtype: "uint8", zarrFormat: 3,
 * });
 * await writeChunk(target, a, [0, 0, 0], tile); // tile: 64^3 Uint8Array
 * ```
 */
export async function createArray(
  target: WriteTarget,
  path: string,
  spec: ArraySpec,
  options: { readonly signal?: AbortSignal } = {},
): Promise<ZarrArray> {
  const array = describeArray(path, spec);
  throwIfAborted(options.signal, `creating ${array.path}`);
  if (array.spec.zarrFormat === 3) {
    await target.set(joinKey(array.path, "zarr.json"), jsonBytes(v3ArrayMetadata(array.spec)));
  } else {
    await target.set(joinKey(array.path, ".zarray"), jsonBytes(v2ArrayMetadata(array.spec)));
    if (array.spec.attributes !== undefined) {
      await target.set(joinKey(array.path, ".zattrs"), jsonBytes(array.spec.attributes));
    }
  }
  return array;
}

/** Full key of the stored object at `coords` (chunk, or shard when sharded). */
export function chunkKey(array: ZarrArray, coords: readonly number[]): string {
  const rel = array.spec.zarrFormat === 3
    ? v3ChunkKey(coords)
    : v2ChunkKey(coords, array.spec.dimensionSeparator);
  return joinKey(array.path, rel);
}

/** Per axis, how many elements of the stored object at `coords` lie inside the array. */
export function validShapeOf(array: ZarrArray, coords: readonly number[]): number[] {
  return array.unitShape.map((u, i) => Math.min(u, array.spec.shape[i]! - coords[i]! * u));
}

/**
 * Encode and store one stored object (a chunk, or a shard for sharded arrays).
 * @param coords the object's grid position (chunk or shard index per axis)
 * @param data C-order values, either the full object shape or only its part inside the array
 *   (smaller at the far edges); must be the typed array of the array's dtype
 * @returns true if written, false if skipped because it held only the fill value
 */
export async function writeChunk(
  target: WriteTarget,
  array: ZarrArray,
  coords: readonly number[],
  data: NumericArray,
  options: WriteChunkOptions = {},
): Promise<boolean> {
  if (coords.length !== array.grid.length || coords.some((c, i) => !Number.isInteger(c) || c < 0 || c >= array.grid[i]!)) {
    throw new ArgumentError("coords", `must lie in the grid ${JSON.stringify(array.grid)} of ${array.path}`, coords);
  }
  if (!matchesDataType(data, array.spec.dtype)) {
    throw new ArgumentError("data", `must be the typed array of ${array.spec.dtype}`, data.constructor.name);
  }
  const valid = validShapeOf(array, coords);
  const full = sizeOf(array.unitShape);
  let unit = data;
  if (data.length !== full) {
    if (data.length !== sizeOf(valid)) {
      throw new ArgumentError(
        "data",
        `must hold ${full} elements (shape ${JSON.stringify(array.unitShape)}) or ${sizeOf(valid)} (shape ${JSON.stringify(valid)})`,
        data.length,
      );
    }
    unit = padded(array, data, valid);
  }
  return (await storeUnit(target, array, coords, unit, valid, options)) > 0;
}

function padded(array: ZarrArray, data: NumericArray, valid: readonly number[]): NumericArray {
  const unit = allocate(array.spec.dtype, sizeOf(array.unitShape));
  (unit as Uint8Array).fill(array.spec.fillValue as number);
  const zeros = valid.map(() => 0);
  copyBox(data, valid, zeros, unit, array.unitShape, zeros, valid);
  return unit;
}

/** Store a full-shape unit; returns the bytes written (0 when skipped). */
async function storeUnit(
  target: WriteTarget,
  array: ZarrArray,
  coords: readonly number[],
  unit: NumericArray,
  valid: readonly number[],
  options: WriteChunkOptions,
): Promise<number> {
  const key = chunkKey(array, coords);
  throwIfAborted(options.signal, `writing ${key}`);
  let encode = encoders.get(array);
  if (encode === undefined) {
    encode = createEncoder(array.spec.codec);
    encoders.set(array, encode);
  }
  const writeEmpty = options.writeEmptyChunks ?? false;
  let bytes: Uint8Array | undefined;
  if (array.spec.shards === undefined) {
    if (writeEmpty || !isAllFill(unit, array.spec.fillValue)) bytes = await encode(bytesOf(unit).slice());
  } else {
    const enc = encode;
    bytes = await encodeShard(unit, {
      dtype: array.spec.dtype,
      shardShape: array.unitShape,
      chunkShape: array.spec.chunks,
      validShape: valid,
      fillValue: array.spec.fillValue,
      writeEmptyChunks: writeEmpty,
      encodeChunk: (chunk) => enc(bytesOf(chunk).slice()),
    });
  }
  throwIfAborted(options.signal, `writing ${key}`);
  if (bytes === undefined) {
    await target.delete?.(key);
    return 0;
  }
  await target.set(key, bytes);
  return bytes.length;
}

/**
 * Write a whole in-memory volume: metadata, then every stored object (all-fill ones skipped).
 * @param data C-order values of the full `spec.shape`, in the typed array of `spec.dtype`
 * @example
 * ```ts
 * const vol = new Uint16Array(96 * 192 * 192);
 * await writeArray(createFsTarget("out"), "labels.zarr/s0",
 *   { shape: [96, 192, 192], chunks: [32, 32, 32], dtype: "uint16", zarrFormat: 2,
 *     codec: { name: "blosc", cname: "zstd", clevel: 5, shuffle: "shuffle" } }, vol);
 * ```
 */
export async function writeArray(
  target: WriteTarget,
  path: string,
  spec: ArraySpec,
  data: NumericArray,
  options: WriteArrayOptions = {},
): Promise<WriteArrayResult> {
  const probe = describeArray(path, spec);
  if (data.length !== sizeOf(probe.spec.shape)) {
    throw new ArgumentError("data", `must hold ${sizeOf(probe.spec.shape)} elements for shape ${JSON.stringify(probe.spec.shape)}`, data.length);
  }
  if (!matchesDataType(data, probe.spec.dtype)) {
    throw new ArgumentError("data", `must be the typed array of ${probe.spec.dtype}`, data.constructor.name);
  }
  const array = await createArray(target, path, spec, options.signal === undefined ? {} : { signal: options.signal });
  const total = sizeOf(array.grid);
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  let next = 0;
  let done = 0;
  let written = 0;
  let bytes = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const n = next++;
      const coords = unravel(n, array.grid);
      const origin = coords.map((c, i) => c * array.unitShape[i]!);
      const valid = validShapeOf(array, coords);
      const unit = allocate(array.spec.dtype, sizeOf(array.unitShape));
      if (valid.some((v, i) => v !== array.unitShape[i]) && array.spec.fillValue !== 0 && array.spec.fillValue !== 0n) {
        (unit as Uint8Array).fill(array.spec.fillValue as number);
      }
      copyBox(data, array.spec.shape, origin, unit, array.unitShape, origin.map(() => 0), valid);
      const b = await storeUnit(target, array, coords, unit, valid, options);
      if (b > 0) {
        written++;
        bytes += b;
      }
      done++;
      options.onProgress?.(done, total);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return { array, written, skipped: total - written, bytes };
}

function unravel(n: number, grid: readonly number[]): number[] {
  const out = new Array<number>(grid.length);
  for (let i = grid.length - 1; i >= 0; i--) {
    out[i] = n % grid[i]!;
    n = Math.floor(n / grid[i]!);
  }
  return out;
}
