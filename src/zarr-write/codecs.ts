/**
 * Compression codecs for written chunks and how each appears in zarr v2 (`compressor`) and
 * zarr v3 (`codecs`) metadata. Blosc and Zstd come from numcodecs (wasm, loaded on first use);
 * gzip uses the platform's `CompressionStream`, so every codec runs in browsers, Deno and Node.
 * @module
 */

import { ArgumentError } from "../errors.ts";
import { bytesPerElement, type DataType } from "./dtypes.ts";

/** Blosc's inner compressors the writer offers. */
export type BloscCname = "lz4" | "lz4hc" | "zstd" | "zlib" | "blosclz";

/** Blosc's byte-reordering filter. */
export type BloscShuffle = "noshuffle" | "shuffle" | "bitshuffle";

/**
 * How chunks are compressed. `{ name: "none" }` stores raw little-endian bytes.
 * gzip always compresses at level 6 (the only level `CompressionStream` offers).
 */
export type CodecSpec =
  | { readonly name: "none" }
  | {
    readonly name: "blosc";
    readonly cname?: BloscCname;
    readonly clevel?: number;
    readonly shuffle?: BloscShuffle;
  }
  | { readonly name: "zstd"; readonly level?: number }
  | { readonly name: "gzip" };

/** Compresses one chunk's bytes. */
export type ByteEncoder = (bytes: Uint8Array) => Promise<Uint8Array>;

/** The default codec: blosc with lz4 and byte shuffle, level 5 (zarr-python 2's default). */
export const DEFAULT_CODEC: CodecSpec = { name: "blosc", cname: "lz4", clevel: 5, shuffle: "shuffle" };

const SHUFFLE_CODE: Record<BloscShuffle, number> = { noshuffle: 0, shuffle: 1, bitshuffle: 2 };
const GZIP_LEVEL = 6;

interface NormalizedBlosc {
  cname: BloscCname;
  clevel: number;
  shuffle: BloscShuffle;
}

function blosc(spec: CodecSpec & { name: "blosc" }): NormalizedBlosc {
  const clevel = spec.clevel ?? 5;
  if (!Number.isInteger(clevel) || clevel < 0 || clevel > 9) {
    throw new ArgumentError("codec.clevel", "must be an integer from 0 to 9", clevel);
  }
  const cname = spec.cname ?? "lz4";
  if (!["lz4", "lz4hc", "zstd", "zlib", "blosclz"].includes(cname)) {
    throw new ArgumentError("codec.cname", "must be lz4, lz4hc, zstd, zlib or blosclz", cname);
  }
  const shuffle = spec.shuffle ?? "shuffle";
  if (!(shuffle in SHUFFLE_CODE)) {
    throw new ArgumentError("codec.shuffle", "must be noshuffle, shuffle or bitshuffle", shuffle);
  }
  return { cname, clevel, shuffle };
}

function zstdLevel(spec: CodecSpec & { name: "zstd" }): number {
  const level = spec.level ?? 3;
  if (!Number.isInteger(level) || level < -131072 || level > 22) {
    throw new ArgumentError("codec.level", "must be an integer zstd level up to 22", level);
  }
  return level;
}

/** The zarr v2 `compressor` object for a codec (null for none). */
export function v2Compressor(spec: CodecSpec): Record<string, unknown> | null {
  switch (spec.name) {
    case "none":
      return null;
    case "blosc": {
      const b = blosc(spec);
      return { id: "blosc", cname: b.cname, clevel: b.clevel, shuffle: SHUFFLE_CODE[b.shuffle], blocksize: 0 };
    }
    case "zstd":
      return { id: "zstd", level: zstdLevel(spec) };
    case "gzip":
      return { id: "gzip", level: GZIP_LEVEL };
  }
}

/** The zarr v3 bytes-to-bytes codec entries that follow `bytes` for a codec (none for none). */
export function v3BytesCodecs(spec: CodecSpec, dtype: DataType): Record<string, unknown>[] {
  switch (spec.name) {
    case "none":
      return [];
    case "blosc": {
      const b = blosc(spec);
      return [{
        name: "blosc",
        configuration: {
          cname: b.cname,
          clevel: b.clevel,
          shuffle: b.shuffle,
          typesize: bytesPerElement(dtype),
          blocksize: 0,
        },
      }];
    }
    case "zstd":
      return [{ name: "zstd", configuration: { level: zstdLevel(spec), checksum: false } }];
    case "gzip":
      return [{ name: "gzip", configuration: { level: GZIP_LEVEL } }];
  }
}

interface NumcodecsCodec {
  encode(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/**
 * Make the compressor function of a codec. The wasm module loads on the first call.
 * @example
 * ```ts
 * const encode = createEncoder({ name: "zstd", level: 3 });
 * const compressed = await encode(new Uint8Array(4096));
 * ```
 */
export function createEncoder(spec: CodecSpec): ByteEncoder {
  switch (spec.name) {
    case "none":
      return (bytes) => Promise.resolve(bytes);
    case "blosc": {
      const b = blosc(spec);
      let codec: Promise<NumcodecsCodec> | undefined;
      return async (bytes) => {
        codec ??= import("numcodecs/blosc").then((m) =>
          m.default.fromConfig({ id: "blosc", cname: b.cname, clevel: b.clevel, shuffle: SHUFFLE_CODE[b.shuffle], blocksize: 0 })
        );
        return await (await codec).encode(bytes);
      };
    }
    case "zstd": {
      const level = zstdLevel(spec);
      let codec: Promise<NumcodecsCodec> | undefined;
      return async (bytes) => {
        codec ??= import("numcodecs/zstd").then((m) => m.default.fromConfig({ id: "zstd", level }));
        return await (await codec).encode(bytes);
      };
    }
    case "gzip":
      return gzip;
    default:
      throw new ArgumentError("codec.name", "must be none, blosc, zstd or gzip", (spec as { name: unknown }).name);
  }
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
