/**
 * zarr v2 metadata documents (`.zarray`, `.zgroup`, `.zattrs`) and chunk keys.
 * @module
 */

import { v2Compressor } from "./codecs.ts";
import { fillValueJson, v2TypeString } from "./dtypes.ts";
import type { NormalizedSpec } from "./spec.ts";

/** The `.zarray` document of an array. */
export function v2ArrayMetadata(spec: NormalizedSpec): Record<string, unknown> {
  return {
    zarr_format: 2,
    shape: [...spec.shape],
    chunks: [...spec.chunks],
    dtype: v2TypeString(spec.dtype),
    compressor: v2Compressor(spec.codec),
    fill_value: fillValueJson(spec.fillValue),
    order: "C",
    filters: null,
    dimension_separator: spec.dimensionSeparator,
  };
}

/** The `.zgroup` document. */
export function v2GroupMetadata(): Record<string, unknown> {
  return { zarr_format: 2 };
}

/** Key of a chunk relative to the array, e.g. `"0/1/2"` or `"0.1.2"`. */
export function v2ChunkKey(coords: readonly number[], separator: "/" | "."): string {
  return coords.length === 0 ? "0" : coords.join(separator);
}
