/**
 * The description of an array to write, checked and normalised once.
 * @module
 */

import { ArgumentError } from "../errors.ts";
import { type CodecSpec, DEFAULT_CODEC } from "./codecs.ts";
import { DATA_TYPES, type DataType, type Scalar, toScalar } from "./dtypes.ts";

/** What to write: shape, chunking, element type, codec and format. */
export interface ArraySpec {
  /** Array shape, slowest axis first (z, y, x). */
  readonly shape: readonly number[];
  /** Chunk shape; with `shards`, the inner chunk shape inside each shard. */
  readonly chunks: readonly number[];
  /** zarr v3 only: shard shape (a multiple of `chunks` per axis); one file per shard. */
  readonly shards?: readonly number[];
  readonly dtype: DataType;
  /** Compression (default blosc lz4 with shuffle). */
  readonly codec?: CodecSpec;
  /** Value of unwritten elements (default 0). */
  readonly fillValue?: Scalar;
  readonly zarrFormat: 2 | 3;
  /** zarr v2 chunk key separator (default "/"); v3 always writes `c/z/y/x`. */
  readonly dimensionSeparator?: "/" | ".";
  /** zarr v3 `dimension_names` (e.g. ["z", "y", "x"]). */
  readonly dimensionNames?: readonly string[];
  /** User attributes (v2 `.zattrs`, v3 `attributes`). */
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/** An {@link ArraySpec} with defaults filled in and shapes validated. */
export interface NormalizedSpec {
  readonly shape: readonly number[];
  readonly chunks: readonly number[];
  readonly shards: readonly number[] | undefined;
  readonly dtype: DataType;
  readonly codec: CodecSpec;
  readonly fillValue: Scalar;
  readonly zarrFormat: 2 | 3;
  readonly dimensionSeparator: "/" | ".";
  readonly dimensionNames: readonly string[] | undefined;
  readonly attributes: Readonly<Record<string, unknown>> | undefined;
}

function checkShape(field: string, shape: readonly number[], rank: number, min: number): void {
  if (!Array.isArray(shape) || shape.length !== rank || shape.some((d) => !Number.isInteger(d) || d < min)) {
    throw new ArgumentError(field, `must be ${rank} integers >= ${min}`, shape);
  }
}

/** Validate a spec and fill in its defaults. */
export function normalizeSpec(spec: ArraySpec): NormalizedSpec {
  if (spec.zarrFormat !== 2 && spec.zarrFormat !== 3) {
    throw new ArgumentError("zarrFormat", "must be 2 or 3", spec.zarrFormat);
  }
  if (!DATA_TYPES.includes(spec.dtype)) {
    throw new ArgumentError("dtype", `must be one of ${DATA_TYPES.join(", ")}`, spec.dtype);
  }
  const rank = spec.shape.length;
  checkShape("shape", spec.shape, rank, 0);
  checkShape("chunks", spec.chunks, rank, 1);
  if (spec.shards !== undefined) {
    if (spec.zarrFormat !== 3) throw new ArgumentError("shards", "needs zarrFormat 3 (v2 has no sharding)", spec.shards);
    checkShape("shards", spec.shards, rank, 1);
    if (spec.shards.some((s, i) => s % spec.chunks[i]! !== 0)) {
      throw new ArgumentError("shards", `must be a multiple of chunks ${JSON.stringify(spec.chunks)} per axis`, spec.shards);
    }
  }
  if (spec.dimensionNames !== undefined && spec.dimensionNames.length !== rank) {
    throw new ArgumentError("dimensionNames", `must have ${rank} names`, spec.dimensionNames);
  }
  const sep = spec.dimensionSeparator ?? "/";
  if (sep !== "/" && sep !== ".") throw new ArgumentError("dimensionSeparator", 'must be "/" or "."', sep);
  return {
    shape: [...spec.shape],
    chunks: [...spec.chunks],
    shards: spec.shards === undefined ? undefined : [...spec.shards],
    dtype: spec.dtype,
    codec: spec.codec ?? DEFAULT_CODEC,
    fillValue: toScalar(spec.dtype, spec.fillValue ?? 0),
    zarrFormat: spec.zarrFormat,
    dimensionSeparator: sep,
    dimensionNames: spec.dimensionNames === undefined ? undefined : [...spec.dimensionNames],
    attributes: spec.attributes,
  };
}
