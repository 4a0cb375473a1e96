/**
 * A small zarr writer (v2 and v3, sharded or not) that runs in browsers, Deno and Node: it
 * encodes chunks and hands bytes to a {@link WriteTarget}. The filesystem target lives in
 * `./fs-target.ts` (Node and Deno only) and is deliberately not re-exported here.
 *
 * @example
 * ```ts
 * import { writeArray, writeGroup, multiscalesAttributes, pyramidLevels } from "./zarr-write/index.ts";
 * import { createFsTarget } from "./zarr-write/fs-target.ts";
 * const target = createFsTarget("out");
 * await writeGroup(target, "raw.zarr", { zarrFormat: 3,
 *   attributes: multiscalesAttributes("0.5", { levels: pyramidLevels(1, [8, 4, 4]) }) });
 * await writeArray(target, "raw.zarr/s0", { shape: [64, 64, 64], chunks: [32, 32, 32],
 *   shards: [64, 64, 64], dtype: "uint8", zarrFormat: 3, codec: { name: "zstd" } }, new Uint8Array(64 ** 3));
 * ```
 * @module
 */

export {
  chunkKey,
  createArray,
  describeArray,
  jsonBytes,
  validShapeOf,
  writeArray,
  type WriteArrayOptions,
  type WriteArrayResult,
  writeChunk,
  type WriteChunkOptions,
  type ZarrArray,
} from "./array.ts";
export { copyBox, isAllFill, sizeOf, stridesOf } from "./box.ts";
export {
  type BloscCname,
  type BloscShuffle,
  type ByteEncoder,
  type CodecSpec,
  createEncoder,
  DEFAULT_CODEC,
  v2Compressor,
  v3BytesCodecs,
} from "./codecs.ts";
export { crc32c } from "../store/crc32c.ts";
export {
  allocate,
  bytesPerElement,
  DATA_TYPES,
  type DataType,
  type NumericArray,
  type Scalar,
  v2TypeString,
} from "./dtypes.ts";
export { type GroupOptions, writeGroup } from "./group.ts";
export {
  downsampledShape,
  type MultiscaleLevel,
  multiscalesAttributes,
  type MultiscalesOptions,
  type NgffAxis,
  type NgffVersion,
  ngffVersionFor,
  pyramidLevels,
  ZYX_NANOMETER_AXES,
} from "./ngff-meta.ts";
export { type ArraySpec, type NormalizedSpec, normalizeSpec } from "./spec.ts";
export { type ByteRange, createMemoryTarget, joinKey, type MemoryTarget, type WriteTarget } from "./target.ts";
export { v2ArrayMetadata, v2ChunkKey, v2GroupMetadata } from "./v2.ts";
export { v3ArrayMetadata, v3ChunkKey, v3GroupMetadata } from "./v3.ts";
