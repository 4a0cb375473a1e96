/**
 * zarr v3 metadata documents (`zarr.json`) and chunk keys, including the `sharding_indexed` codec.
 * @module
 */

import { v3BytesCodecs } from "./codecs.ts";
import { fillValueJson } from "./dtypes.ts";
import type { NormalizedSpec } from "./spec.ts";

const BYTES_LE = { name: "bytes", configuration: { endian: "little" } };

/** The codec chain of one (inner) chunk: `bytes` then the compressor. */
export function v3ChunkCodecs(spec: NormalizedSpec): Record<string, unknown>[] {
  return [BYTES_LE, ...v3BytesCodecs(spec.codec, spec.dtype)];
}

/** The `zarr.json` document of an array. */
export function v3ArrayMetadata(spec: NormalizedSpec): Record<string, unknown> {
  const inner = v3ChunkCodecs(spec);
  const codecs = spec.shards === undefined ? inner : [{
    name: "sharding_indexed",
    configuration: {
      chunk_shape: [...spec.chunks],
      codecs: inner,
      index_codecs: [BYTES_LE, { name: "crc32c" }],
      index_location: "end",
    },
  }];
  const meta: Record<string, unknown> = {
    zarr_format: 3,
    node_type: "array",
    shape: [...spec.shape],
    data_type: spec.dtype,
    chunk_grid: { name: "regular", configuration: { chunk_shape: [...(spec.shards ?? spec.chunks)] } },
    chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
    fill_value: fillValueJson(spec.fillValue),
    codecs,
    attributes: { ...spec.attributes },
  };
  if (spec.dimensionNames !== undefined) meta["dimension_names"] = [...spec.dimensionNames];
  return meta;
}

/** The `zarr.json` document of a group. */
export function v3GroupMetadata(attributes: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  return { zarr_format: 3, node_type: "group", attributes: { ...attributes } };
}

/** Key of a chunk (or shard) relative to the array: `"c/0/1/2"`. */
export function v3ChunkKey(coords: readonly number[]): string {
  return ["c", ...coords].join("/");
}
