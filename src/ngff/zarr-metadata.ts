/**
 * Zarr metadata checked before use: `.zarray`, `.zgroup` and `.zattrs` (zarr v2) and `zarr.json`
 * (zarr v3), parsed from `unknown` JSON. Every field the library or zarrita reads is checked
 * (shapes, chunks, separators, chunk key encodings, codecs and their configurations, the data type
 * and the fill value); anything wrong is a {@link MetadataError} naming the file, the field and
 * the value. Pure: no I/O.
 *
 * @example
 * ```ts
 * const meta = parseZarrArray("https://host/raw/s0/zarr.json", JSON.parse(text), 3);
 * meta.chunks; // [32, 32, 32]: the read granularity (inner chunks when sharded)
 * ```
 * @module
 */

import { MetadataError } from "../errors.ts";
import { checkCodecs, describeCodecs, type CodecCheck } from "./zarr-codecs.ts";

type Json = Record<string, unknown>;

/** Dimensions an array may have at most. */
export const MAX_RANK = 32;
/** Elements one chunk (the unit a worker decodes) may hold at most: 2^30. */
export const MAX_CHUNK_ELEMENTS = 2 ** 30;

/** The zarr data types the GPU cache holds (zarrita's names); others are refused at open. */
export const SUPPORTED_DTYPES: readonly string[] = [
  "bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64",
];

/** zarr v2 `dtype` strings (without the byte-order character) and zarrita's names for them. */
const V2_DTYPES: Readonly<Record<string, string>> = {
  b1: "bool", i1: "int8", u1: "uint8", i2: "int16", u2: "uint16", i4: "int32", u4: "uint32",
  i8: "int64", u8: "uint64", f2: "float16", f4: "float32", f8: "float64",
};

/** An array's metadata, checked: what the library needs of it. */
export interface ZarrArrayMeta {
  zarrFormat: 2 | 3;
  /** Elements per dimension. */
  shape: number[];
  /** The read granularity: the chunk shape, or the inner chunk shape of a sharded array. */
  chunks: number[];
  /** The shard shape of a sharded array (the chunk grid's chunk shape). */
  shards: number[] | undefined;
  /** zarrita's data type name ("uint8", "float32", ...), one of {@link SUPPORTED_DTYPES}. */
  dtype: string;
  /** The value of chunks that are not stored, as a number (NaN allowed). */
  fillValue: number;
  /** Codec names in order, e.g. ["bytes", "blosc(zstd)"], ["blosc(lz4)"] for v2. */
  codecs: string[];
  /** How chunk coordinates become keys. */
  chunkKeyEncoding: { name: "default" | "v2"; separator: "/" | "." };
}

/** What a `zarr.json` describes: an array, or a group with its attributes. */
export type ZarrNode =
  | { kind: "array"; meta: ZarrArrayMeta; attributes: Json }
  | { kind: "group"; attributes: Json };

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Decode a metadata file's bytes as JSON.
 *
 * @throws {MetadataError} (field "(file)") when the bytes are not UTF-8 JSON.
 */
export function parseJsonBytes(url: string, bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (e) {
    throw new MetadataError(url, "(file)", "is not UTF-8 text", undefined, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new MetadataError(url, "(file)", `is not valid JSON (${(e as Error).message})`, text.slice(0, 60), { cause: e });
  }
}

/**
 * A list of positive safe integers of length `rank` (any length from 1 to {@link MAX_RANK} when
 * `rank` is undefined).
 */
export function positiveIntegers(url: string, field: string, v: unknown, rank?: number): number[] {
  if (!Array.isArray(v)) throw new MetadataError(url, field, "must be an array of positive integers", v);
  if (rank !== undefined && v.length !== rank) {
    throw new MetadataError(url, field, `must have ${rank} entries, one per dimension of shape`, v);
  }
  if (v.length === 0 || v.length > MAX_RANK) throw new MetadataError(url, field, `must have 1 to ${MAX_RANK} entries`, v);
  v.forEach((x, i) => {
    if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 1) {
      throw new MetadataError(url, `${field}[${i}]`, "must be a positive integer", x);
    }
  });
  return v as number[];
}

function product(url: string, field: string, v: readonly number[]): number {
  const n = v.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(n)) throw new MetadataError(url, field, "has more elements than 2^53", v);
  return n;
}

function checkChunkSize(url: string, field: string, chunks: readonly number[]): void {
  if (product(url, field, chunks) > MAX_CHUNK_ELEMENTS) {
    throw new MetadataError(url, field, `holds more than 2^30 elements per chunk; rewrite the array with smaller chunks`, chunks);
  }
}

function supportedDtype(url: string, field: string, dtype: string, shown: unknown): string {
  if (!SUPPORTED_DTYPES.includes(dtype)) {
    throw new MetadataError(
      url,
      field,
      `is ${dtype}, which the GPU cache cannot hold; supported: ${SUPPORTED_DTYPES.join(", ")}` +
        (dtype === "float16" ? " (rewrite the array as float32)" : ""),
      shown,
    );
  }
  return dtype;
}

/** The fill value as a number, checked against the data type. */
function fillValue(url: string, field: string, v: unknown, dtype: string, allowNull: boolean): number {
  const isFloat = dtype.startsWith("float");
  if (v === null) {
    if (allowNull) return 0;
    throw new MetadataError(url, field, "must be a number (null is a zarr v2 spelling)", v);
  }
  if (dtype === "bool") {
    if (typeof v === "boolean") return Number(v);
    if (v === 0 || v === 1) return v;
    throw new MetadataError(url, field, "must be true or false for a bool array", v);
  }
  if (typeof v === "number") {
    // 64-bit fills beyond 2^53 (uint64's max, a common label fill) arrive rounded, but whole.
    const whole = dtype.endsWith("64") ? Number.isInteger(v) : Number.isSafeInteger(v);
    if (!isFloat && !whole) throw new MetadataError(url, field, `must be an integer for a ${dtype} array`, v);
    return v;
  }
  if (typeof v === "string" && isFloat) {
    if (v === "NaN") return NaN;
    if (v === "Infinity") return Infinity;
    if (v === "-Infinity") return -Infinity;
    throw new MetadataError(url, field, 'must be a number, "NaN", "Infinity" or "-Infinity" (hex bit patterns are not supported)', v);
  }
  throw new MetadataError(url, field, `must be a number for a ${dtype} array`, v);
}

function check(url: string, cond: boolean, field: string, problem: string, value: unknown): void {
  if (!cond) throw new MetadataError(url, field, problem, value);
}

/**
 * Check a zarr v2 `.zarray` document.
 *
 * @param url the `.zarray` file, named in errors
 * @throws {MetadataError} naming the field that is wrong
 */
export function parseZarray(url: string, json: unknown): ZarrArrayMeta {
  if (!isObject(json)) throw new MetadataError(url, "(file)", "must be a JSON object", json);
  check(url, json["zarr_format"] === 2, "zarr_format", "must be 2 in a .zarray file", json["zarr_format"]);
  const shape = positiveIntegers(url, "shape", json["shape"]);
  product(url, "shape", shape);
  const chunks = positiveIntegers(url, "chunks", json["chunks"], shape.length);
  checkChunkSize(url, "chunks", chunks);
  const rawDtype = json["dtype"];
  if (typeof rawDtype !== "string") {
    throw new MetadataError(url, "dtype", "must be a string such as \"<u2\" (structured dtypes are not supported)", rawDtype);
  }
  const m = /^([<>|])([a-zA-Z]\d+)$/.exec(rawDtype);
  const base = m ? V2_DTYPES[m[2]!] : undefined;
  if (base === undefined) throw new MetadataError(url, "dtype", `is not a numeric zarr dtype; supported: ${SUPPORTED_DTYPES.join(", ")}`, rawDtype);
  const dtype = supportedDtype(url, "dtype", base, rawDtype);
  const order = json["order"] ?? "C";
  check(url, order === "C" || order === "F", "order", 'must be "C" or "F"', order);
  const sep = json["dimension_separator"] ?? ".";
  check(url, sep === "." || sep === "/", "dimension_separator", 'must be "." or "/"', sep);
  const compressor = json["compressor"] ?? null;
  const filters = json["filters"] ?? null;
  check(url, compressor === null || isObject(compressor), "compressor", "must be null or an object with an id", compressor);
  check(url, filters === null || Array.isArray(filters), "filters", "must be null or an array of objects with an id", filters);
  const v2codecs: CodecCheck[] = [];
  (filters as unknown[] | null ?? []).forEach((f, i) => v2codecs.push({ field: `filters[${i}]`, spec: f, v2: "filter" }));
  if (compressor !== null) v2codecs.push({ field: "compressor", spec: compressor, v2: "compressor" });
  checkCodecs(url, v2codecs, { rank: shape.length, dtype, chunks });
  const fill = fillValue(url, "fill_value", json["fill_value"], dtype, true);
  const codecs = describeCodecs(v2codecs);
  if (order === "F") codecs.unshift("order F");
  return {
    zarrFormat: 2,
    shape: [...shape],
    chunks: [...chunks],
    shards: undefined,
    dtype,
    fillValue: fill,
    codecs,
    chunkKeyEncoding: { name: "v2", separator: sep as "." | "/" },
  };
}

/**
 * Check a zarr v2 `.zgroup` document (`{ "zarr_format": 2 }`).
 *
 * @throws {MetadataError} naming the field that is wrong
 */
export function parseZgroup(url: string, json: unknown): void {
  if (!isObject(json)) throw new MetadataError(url, "(file)", "must be a JSON object", json);
  check(url, json["zarr_format"] === 2, "zarr_format", "must be 2 in a .zgroup file", json["zarr_format"]);
}

/**
 * Check a zarr v2 `.zattrs` document: any JSON object.
 *
 * @throws {MetadataError} when it is not an object
 */
export function parseZattrs(url: string, json: unknown): Json {
  if (!isObject(json)) throw new MetadataError(url, "(file)", "must be a JSON object", json);
  return json;
}

/**
 * Check a zarr v3 `zarr.json` document, of an array or a group.
 *
 * @param url the `zarr.json` file, named in errors
 * @throws {MetadataError} naming the field that is wrong
 */
export function parseZarrJson(url: string, json: unknown): ZarrNode {
  if (!isObject(json)) throw new MetadataError(url, "(file)", "must be a JSON object", json);
  check(url, json["zarr_format"] === 3, "zarr_format", "must be 3 in a zarr.json file", json["zarr_format"]);
  const attributes = json["attributes"] ?? {};
  if (!isObject(attributes)) throw new MetadataError(url, "attributes", "must be a JSON object", attributes);
  const nodeType = json["node_type"];
  if (nodeType === "group") return { kind: "group", attributes };
  if (nodeType !== "array") throw new MetadataError(url, "node_type", 'must be "array" or "group"', nodeType);
  return { kind: "array", meta: parseV3Array(url, json), attributes };
}

function parseV3Array(url: string, json: Json): ZarrArrayMeta {
  const shape = positiveIntegers(url, "shape", json["shape"]);
  product(url, "shape", shape);
  const rawDtype = json["data_type"];
  if (typeof rawDtype !== "string") throw new MetadataError(url, "data_type", "must be a string such as \"uint16\"", rawDtype);
  const dtype = supportedDtype(url, "data_type", rawDtype, rawDtype);
  const grid = json["chunk_grid"];
  if (!isObject(grid)) throw new MetadataError(url, "chunk_grid", 'must be an object { name: "regular", configuration: { chunk_shape } }', grid);
  check(url, grid["name"] === "regular", "chunk_grid.name", 'must be "regular"', grid["name"]);
  const gridConf = grid["configuration"];
  if (!isObject(gridConf)) throw new MetadataError(url, "chunk_grid.configuration", "must be an object with chunk_shape", gridConf);
  const outer = positiveIntegers(url, "chunk_grid.configuration.chunk_shape", gridConf["chunk_shape"], shape.length);
  product(url, "chunk_grid.configuration.chunk_shape", outer);
  const cke = json["chunk_key_encoding"];
  if (!isObject(cke)) throw new MetadataError(url, "chunk_key_encoding", 'must be an object { name: "default" or "v2", configuration: { separator } }', cke);
  const ckeName = cke["name"];
  check(url, ckeName === "default" || ckeName === "v2", "chunk_key_encoding.name", 'must be "default" or "v2"', ckeName);
  const ckeConf = cke["configuration"] ?? {};
  if (!isObject(ckeConf)) throw new MetadataError(url, "chunk_key_encoding.configuration", "must be an object", ckeConf);
  const sep = ckeConf["separator"] ?? (ckeName === "default" ? "/" : ".");
  check(url, sep === "/" || sep === ".", "chunk_key_encoding.configuration.separator", 'must be "/" or "."', sep);
  const st = json["storage_transformers"];
  check(url, st === undefined || (Array.isArray(st) && st.length === 0), "storage_transformers", "are not supported", st);
  const names = json["dimension_names"];
  if (names !== undefined && names !== null) {
    check(url, Array.isArray(names) && names.length === shape.length && names.every((n) => n === null || typeof n === "string"),
      "dimension_names", `must be ${shape.length} strings or nulls`, names);
  }
  const codecList = json["codecs"];
  if (!Array.isArray(codecList) || codecList.length === 0) {
    throw new MetadataError(url, "codecs", 'must be a non-empty array of { name, configuration } (at least "bytes")', codecList);
  }
  const v3codecs: CodecCheck[] = codecList.map((c, i) => ({ field: `codecs[${i}]`, spec: c }));
  const inner = checkCodecs(url, v3codecs, { rank: shape.length, dtype, chunks: outer });
  const chunks = inner ?? outer;
  checkChunkSize(url, inner ? "codecs[sharding_indexed].configuration.chunk_shape" : "chunk_grid.configuration.chunk_shape", chunks);
  const fill = fillValue(url, "fill_value", json["fill_value"], dtype, false);
  return {
    zarrFormat: 3,
    shape: [...shape],
    chunks: [...chunks],
    shards: inner ? [...outer] : undefined,
    dtype,
    fillValue: fill,
    codecs: describeCodecs(v3codecs),
    chunkKeyEncoding: { name: ckeName as "default" | "v2", separator: sep as "/" | "." },
  };
}
