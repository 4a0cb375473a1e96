/**
 * Codec lists of zarr metadata, checked at open: every codec is one the fetch workers can decode
 * (zarrita 0.7.5's registry, plus `sharding_indexed`), in a valid order, with a well-formed
 * configuration. An unknown codec is a {@link MetadataError} naming it when the array is opened,
 * not a failure inside a worker at the first chunk. Pure: no I/O.
 * @module
 */

import { MetadataError } from "../errors.ts";

type Json = Record<string, unknown>;
type Kind = "array_to_array" | "array_to_bytes" | "bytes_to_bytes";

/** zarr v3 codec names the fetch workers decode, and what each turns into what. */
const V3_CODECS: Readonly<Record<string, Kind>> = {
  transpose: "array_to_array",
  bitround: "array_to_array",
  scale_offset: "array_to_array",
  cast_value: "array_to_array",
  bytes: "array_to_bytes",
  sharding_indexed: "array_to_bytes",
  blosc: "bytes_to_bytes",
  lz4: "bytes_to_bytes",
  zstd: "bytes_to_bytes",
  gzip: "bytes_to_bytes",
  zlib: "bytes_to_bytes",
  crc32c: "bytes_to_bytes",
  "numcodecs.blosc": "bytes_to_bytes",
  "numcodecs.lz4": "bytes_to_bytes",
  "numcodecs.zstd": "bytes_to_bytes",
  "numcodecs.gzip": "bytes_to_bytes",
  "numcodecs.zlib": "bytes_to_bytes",
  "numcodecs.shuffle": "bytes_to_bytes",
  "numcodecs.delta": "array_to_array",
  "numcodecs.bitround": "array_to_array",
};

/** zarr v2 compressor ids the fetch workers decode. */
const V2_COMPRESSORS = ["blosc", "lz4", "zstd", "gzip", "zlib"];
/** zarr v2 filter ids the fetch workers decode. */
const V2_FILTERS = ["shuffle", "delta", "bitround", "fixedscaleoffset"];
/** Blosc's inner compressors (numcodecs). */
const BLOSC_CNAMES = ["blosclz", "lz4", "lz4hc", "snappy", "zlib", "zstd"];

/** One codec to check: where it sits, its JSON, and for zarr v2 whether it is a filter or the compressor. */
export interface CodecCheck {
  field: string;
  spec: unknown;
  v2?: "filter" | "compressor";
  /** Filled in by {@link checkCodecs}: the codec's name and configuration. */
  name?: string;
  configuration?: Json;
  /** Filled in for `sharding_indexed`: its inner codecs. */
  inner?: CodecCheck[];
}

/** What the codecs act on. */
export interface CodecContext {
  rank: number;
  dtype: string;
  /** The chunk shape the codecs encode (the shard shape for `sharding_indexed`). */
  chunks: readonly number[];
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const fail = (url: string, field: string, problem: string, value?: unknown): never => {
  throw new MetadataError(url, field, problem, value);
};

function int(url: string, field: string, v: unknown, lo: number, hi: number, optional = true): void {
  if (v === undefined && optional) return;
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) fail(url, field, `must be an integer from ${lo} to ${hi}`, v);
}

/**
 * Check a codec list (v3 `codecs`, or v2 `filters` then `compressor`), filling in each entry's
 * name and configuration.
 *
 * @returns the inner chunk shape when the list shards the array, else undefined
 * @throws {MetadataError} naming the codec field that is wrong
 */
export function checkCodecs(url: string, list: CodecCheck[], ctx: CodecContext): number[] | undefined {
  let inner: number[] | undefined;
  let stage = 0; // 0: array to array, 1: after the array-to-bytes codec
  for (const c of list) {
    if (!isObject(c.spec)) fail(url, c.field, c.v2 ? "must be an object with an id" : "must be an object { name, configuration }", c.spec);
    const spec = c.spec as Json;
    if (c.v2) {
      const id = spec["id"];
      if (typeof id !== "string") fail(url, `${c.field}.id`, "must be a string", id);
      const known = c.v2 === "filter" ? V2_FILTERS : V2_COMPRESSORS;
      if (!known.includes(id as string)) {
        fail(url, `${c.field}.id`, `names a ${c.v2} this library cannot decode; known: ${known.join(", ")}`, id);
      }
      const { id: _, ...configuration } = spec;
      c.name = id as string;
      c.configuration = configuration;
      checkConfiguration(url, c.field, c.name, configuration, ctx, true);
      continue;
    }
    const name = spec["name"];
    if (typeof name !== "string") fail(url, `${c.field}.name`, "must be a string", name);
    const kind = V3_CODECS[name as string];
    if (kind === undefined || !Object.hasOwn(V3_CODECS, name as string)) {
      fail(url, `${c.field}.name`, `names a codec this library cannot decode; known: ${Object.keys(V3_CODECS).join(", ")}`, name);
    }
    const configuration = spec["configuration"] ?? {};
    if (!isObject(configuration)) fail(url, `${c.field}.configuration`, "must be an object", configuration);
    c.name = name as string;
    c.configuration = configuration as Json;
    if (kind === "array_to_array" && stage > 0) fail(url, `${c.field}.name`, "is an array-to-array codec and must come before the bytes codec", name);
    if (kind === "array_to_bytes") {
      if (stage > 0) fail(url, `${c.field}.name`, "is a second array-to-bytes codec; a codec list has exactly one", name);
      stage = 1;
    }
    if (kind === "bytes_to_bytes" && stage === 0) fail(url, `${c.field}.name`, 'is a bytes-to-bytes codec and must come after the array-to-bytes codec ("bytes" or "sharding_indexed")', name);
    if (name === "sharding_indexed") {
      const r = checkSharding(url, c.field, c.configuration, ctx);
      inner = r.chunks;
      c.inner = r.inner;
    } else {
      checkConfiguration(url, c.field, c.name, c.configuration, ctx, false);
    }
  }
  if (list.length > 0 && !list[0]!.v2 && stage === 0) {
    fail(url, "codecs", 'must contain one array-to-bytes codec ("bytes" or "sharding_indexed")', list.map((c) => c.name));
  }
  return inner;
}

function checkConfiguration(url: string, field: string, name: string, conf: Json, ctx: CodecContext, v2: boolean): void {
  const f = v2 ? field : `${field}.configuration`;
  const base = name.replace(/^numcodecs\./, "");
  switch (base) {
    case "blosc": {
      const cname = conf["cname"];
      if (cname !== undefined && !BLOSC_CNAMES.includes(cname as string)) fail(url, `${f}.cname`, `must be one of ${BLOSC_CNAMES.join(", ")}`, cname);
      int(url, `${f}.clevel`, conf["clevel"], 0, 9);
      const shuffle = conf["shuffle"];
      if (shuffle !== undefined && ![-1, 0, 1, 2, "noshuffle", "shuffle", "bitshuffle"].includes(shuffle as never)) {
        fail(url, `${f}.shuffle`, 'must be -1, 0, 1, 2, "noshuffle", "shuffle" or "bitshuffle"', shuffle);
      }
      int(url, `${f}.blocksize`, conf["blocksize"], 0, 2 ** 31 - 1);
      int(url, `${f}.typesize`, conf["typesize"], 1, 255);
      return;
    }
    case "zstd":
      int(url, `${f}.level`, conf["level"], -131072, 22);
      if (conf["checksum"] !== undefined && typeof conf["checksum"] !== "boolean") fail(url, `${f}.checksum`, "must be true or false", conf["checksum"]);
      return;
    case "gzip":
    case "zlib":
      int(url, `${f}.level`, conf["level"], -1, 9);
      return;
    case "bytes": {
      const endian = conf["endian"];
      if (endian !== undefined && endian !== "little" && endian !== "big") fail(url, `${f}.endian`, 'must be "little" or "big"', endian);
      return;
    }
    case "transpose": {
      const order = conf["order"];
      const perm = Array.isArray(order) && order.length === ctx.rank &&
        [...order].sort((a, b) => (a as number) - (b as number)).every((x, i) => x === i);
      if (!perm && order !== "C" && order !== "F") fail(url, `${f}.order`, `must be a permutation of 0..${ctx.rank - 1}`, order);
      return;
    }
    default:
      return;
  }
}

function checkSharding(url: string, field: string, conf: Json, ctx: CodecContext): { chunks: number[]; inner: CodecCheck[] } {
  const f = `${field}.configuration`;
  const shape = conf["chunk_shape"];
  if (!Array.isArray(shape) || shape.length !== ctx.rank) fail(url, `${f}.chunk_shape`, `must have ${ctx.rank} entries, one per dimension of shape`, shape);
  (shape as unknown[]).forEach((x, i) => {
    if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 1) fail(url, `${f}.chunk_shape[${i}]`, "must be a positive integer", x);
    if (ctx.chunks[i]! % (x as number) !== 0) {
      fail(url, `${f}.chunk_shape`, `must divide the shard shape ${JSON.stringify(ctx.chunks)} on every axis`, shape);
    }
  });
  const chunks = shape as number[];
  const codecs = conf["codecs"];
  if (!Array.isArray(codecs) || codecs.length === 0) fail(url, `${f}.codecs`, 'must be a non-empty array (at least "bytes")', codecs);
  const inner: CodecCheck[] = (codecs as unknown[]).map((c, i) => ({ field: `${f}.codecs[${i}]`, spec: c }));
  if (inner.some((c) => isObject(c.spec) && c.spec["name"] === "sharding_indexed")) {
    fail(url, `${f}.codecs`, "must not shard again (nested sharding is not supported)", codecs);
  }
  checkCodecs(url, inner, { ...ctx, chunks });
  const index = conf["index_codecs"];
  if (index !== undefined) {
    if (!Array.isArray(index) || index.length === 0) fail(url, `${f}.index_codecs`, 'must be a non-empty array: "bytes", optionally then "crc32c"', index);
    (index as unknown[]).forEach((c, i) => {
      const name = isObject(c) ? c["name"] : undefined;
      if (name !== "bytes" && name !== "crc32c") fail(url, `${f}.index_codecs[${i}].name`, 'must be "bytes" or "crc32c"', name);
      if (isObject(c) && c["configuration"] !== undefined && !isObject(c["configuration"])) {
        fail(url, `${f}.index_codecs[${i}].configuration`, "must be an object", c["configuration"]);
      }
    });
    if ((index as Json[])[0]!["name"] !== "bytes") fail(url, `${f}.index_codecs[0].name`, 'must be "bytes"', (index as Json[])[0]!["name"]);
  }
  const loc = conf["index_location"];
  if (loc !== undefined && loc !== "start" && loc !== "end") fail(url, `${f}.index_location`, 'must be "start" or "end"', loc);
  return { chunks: [...chunks], inner };
}

/** Codec names in order for messages and the CLI, e.g. ["bytes", "blosc(zstd)"], ["sharding_indexed(bytes, zstd)"]. */
export function describeCodecs(list: readonly CodecCheck[]): string[] {
  return list.map((c) => {
    const name = c.name ?? "?";
    const conf = c.configuration ?? {};
    if (c.inner) return `${name}(${describeCodecs(c.inner).join(", ")})`;
    if (name === "blosc") return `blosc(${String(conf["cname"] ?? "")})`;
    if (name === "bytes" && conf["endian"]) return `bytes(${String(conf["endian"])})`;
    return name;
  });
}
