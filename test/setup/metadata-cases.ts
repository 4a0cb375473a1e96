// Zarr and NGFF metadata validation at open: a corpus of broken variants of a valid zarr v2 and
// v3 multiscale group, each with the file and field its MetadataError must name, and seeded random
// JSON mutations of the valid groups that must give only typed errors. Groups are served from
// memory (a ReadableStore over a Map); test/setup/metadata-fixture.ts writes them to a folder for
// the full open-and-sample path. No file system or network here (Node, Deno and Chromium).

import { mulberry32 as rng } from "./rng.ts";
import { openMultiscale } from "../../src/array/open-multiscale.ts";
import { isCellMapError, type CellMapError } from "../../src/errors.ts";
import { emptyStats, type ReadableStore } from "../../src/store/types.ts";
import { check, same } from "./assert.ts";
import type { Cases } from "./cases.ts";

type Json = Record<string, unknown>;
/** A group's files: key below the group ("zarr.json", "s0/.zarray") -> JSON (or raw text). */
export type Files = Record<string, unknown>;

const axes = [
  { name: "z", type: "space", unit: "nanometer" },
  { name: "y", type: "space", unit: "nanometer" },
  { name: "x", type: "space", unit: "nanometer" },
];
const datasets = [{ path: "s0", coordinateTransformations: [{ type: "scale", scale: [4, 4, 4] }, { type: "translation", translation: [0, 0, 0] }] }];

/** A valid zarr v2 / NGFF 0.4 group with one 8³ uint8 level in one raw chunk. */
export function validV2(): Files {
  return structuredClone({
    ".zgroup": { zarr_format: 2 },
    ".zattrs": { multiscales: [{ version: "0.4", axes, datasets }] },
    "s0/.zarray": {
      zarr_format: 2, shape: [8, 8, 8], chunks: [8, 8, 8], dtype: "|u1", compressor: null, fill_value: 0,
      order: "C", filters: null, dimension_separator: "/",
    },
  });
}

/** A valid zarr v3 / NGFF 0.5 group with one 8³ uint8 level in one raw chunk. */
export function validV3(): Files {
  return structuredClone({
    "zarr.json": { zarr_format: 3, node_type: "group", attributes: { ome: { version: "0.5", multiscales: [{ axes, datasets }] } } },
    "s0/zarr.json": {
      zarr_format: 3, node_type: "array", shape: [8, 8, 8], data_type: "uint8",
      chunk_grid: { name: "regular", configuration: { chunk_shape: [8, 8, 8] } },
      chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
      codecs: [{ name: "bytes", configuration: { endian: "little" } }],
      fill_value: 0, attributes: {},
    },
  });
}

/** A valid v3 group whose level is sharded: 8³ shards of 4³ chunks, zstd inside, crc32c index. */
function validV3Sharded(): Files {
  const f = validV3();
  (f["s0/zarr.json"] as Json)["codecs"] = [{
    name: "sharding_indexed",
    configuration: {
      chunk_shape: [4, 4, 4],
      codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "zstd", configuration: { level: 3, checksum: false } }],
      index_codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "crc32c" }],
      index_location: "end",
    },
  }];
  return f;
}

const A3 = "s0/zarr.json";
const A2 = "s0/.zarray";
const at = (files: Files, key: string) => files[key] as Json;
const conf = (files: Files) => at(files, A3)["chunk_grid"] as { configuration: Json };
const sharding = (files: Files) => ((at(files, A3)["codecs"] as Json[])[0]!["configuration"]) as Json;

/** A broken variant: its base group, the change, the file the error must name and the field. */
export interface BrokenVariant {
  name: string;
  base: () => Files;
  change: (f: Files) => void;
  file: string;
  field: string;
  /** A word the message must contain, when the field alone does not say enough. */
  says?: RegExp;
}

/** Broken metadata and the file and field each MetadataError must name. */
export const BROKEN_METADATA: readonly BrokenVariant[] = [
  // zarr v3 arrays
  { name: "v3 negative shape", base: validV3, change: (f) => void (at(f, A3)["shape"] = [8, -8, 8]), file: A3, field: "shape[1]" },
  { name: "v3 zero chunk size", base: validV3, change: (f) => void (conf(f).configuration["chunk_shape"] = [8, 0, 8]), file: A3, field: "chunk_grid.configuration.chunk_shape[1]" },
  { name: "v3 string shape", base: validV3, change: (f) => void (at(f, A3)["shape"] = "8,8,8"), file: A3, field: "shape" },
  { name: "v3 fractional shape", base: validV3, change: (f) => void (at(f, A3)["shape"] = [8, 8.5, 8]), file: A3, field: "shape[1]" },
  { name: "v3 shape beyond 2^53", base: validV3, change: (f) => void (at(f, A3)["shape"] = [2 ** 60, 8, 8]), file: A3, field: "shape[0]" },
  { name: "v3 chunk_shape of another rank", base: validV3, change: (f) => void (conf(f).configuration["chunk_shape"] = [8, 8]), file: A3, field: "chunk_grid.configuration.chunk_shape" },
  { name: "v3 chunk of 2^33 elements", base: validV3, change: (f) => { at(f, A3)["shape"] = [2048, 2048, 2048]; conf(f).configuration["chunk_shape"] = [2048, 2048, 2048]; }, file: A3, field: "chunk_grid.configuration.chunk_shape", says: /2\^30/ },
  { name: "v3 irregular chunk grid", base: validV3, change: (f) => void ((at(f, A3)["chunk_grid"] as Json)["name"] = "rectilinear"), file: A3, field: "chunk_grid.name" },
  { name: "v3 missing chunk_key_encoding", base: validV3, change: (f) => void delete at(f, A3)["chunk_key_encoding"], file: A3, field: "chunk_key_encoding" },
  { name: "v3 unknown chunk_key_encoding", base: validV3, change: (f) => void (at(f, A3)["chunk_key_encoding"] = { name: "flat" }), file: A3, field: "chunk_key_encoding.name" },
  { name: "v3 chunk_key_encoding separator '-'", base: validV3, change: (f) => void (at(f, A3)["chunk_key_encoding"] = { name: "default", configuration: { separator: "-" } }), file: A3, field: "chunk_key_encoding.configuration.separator" },
  { name: "v3 chunk_key_encoding configuration not an object", base: validV3, change: (f) => void (at(f, A3)["chunk_key_encoding"] = { name: "v2", configuration: "." }), file: A3, field: "chunk_key_encoding.configuration" },
  { name: "v3 unknown codec", base: validV3, change: (f) => void (at(f, A3)["codecs"] as Json[]).push({ name: "numcodecs.bar" }), file: A3, field: "codecs[1].name", says: /numcodecs\.bar|cannot decode/ },
  { name: "v3 codec name not a string", base: validV3, change: (f) => void (at(f, A3)["codecs"] = [{ name: 7 }]), file: A3, field: "codecs[0].name" },
  { name: "v3 codec configuration a string", base: validV3, change: (f) => void (at(f, A3)["codecs"] as Json[]).push({ name: "zstd", configuration: "fast" }), file: A3, field: "codecs[1].configuration" },
  { name: "v3 empty codecs", base: validV3, change: (f) => void (at(f, A3)["codecs"] = []), file: A3, field: "codecs" },
  { name: "v3 codecs without bytes", base: validV3, change: (f) => void (at(f, A3)["codecs"] = [{ name: "zstd" }]), file: A3, field: "codecs[0].name" },
  { name: "v3 two bytes codecs", base: validV3, change: (f) => void (at(f, A3)["codecs"] as Json[]).push({ name: "bytes" }), file: A3, field: "codecs[1].name" },
  { name: "v3 blosc clevel 12", base: validV3, change: (f) => void (at(f, A3)["codecs"] as Json[]).push({ name: "blosc", configuration: { cname: "zstd", clevel: 12 } }), file: A3, field: "codecs[1].configuration.clevel" },
  { name: "v3 blosc unknown cname", base: validV3, change: (f) => void (at(f, A3)["codecs"] as Json[]).push({ name: "blosc", configuration: { cname: "brotli" } }), file: A3, field: "codecs[1].configuration.cname" },
  { name: "v3 bytes endian 'middle'", base: validV3, change: (f) => void (at(f, A3)["codecs"] = [{ name: "bytes", configuration: { endian: "middle" } }]), file: A3, field: "codecs[0].configuration.endian" },
  { name: "v3 transpose order not a permutation", base: validV3, change: (f) => void (at(f, A3)["codecs"] = [{ name: "transpose", configuration: { order: [0, 0, 1] } }, { name: "bytes" }]), file: A3, field: "codecs[0].configuration.order" },
  { name: "v3 shard chunk not dividing the shard", base: validV3Sharded, change: (f) => void (sharding(f)["chunk_shape"] = [3, 4, 4]), file: A3, field: "codecs[0].configuration.chunk_shape" },
  { name: "v3 shard chunk of zero", base: validV3Sharded, change: (f) => void (sharding(f)["chunk_shape"] = [0, 4, 4]), file: A3, field: "codecs[0].configuration.chunk_shape[0]" },
  { name: "v3 shard index_location 'middle'", base: validV3Sharded, change: (f) => void (sharding(f)["index_location"] = "middle"), file: A3, field: "codecs[0].configuration.index_location" },
  { name: "v3 shard index codec zstd", base: validV3Sharded, change: (f) => void (sharding(f)["index_codecs"] = [{ name: "bytes" }, { name: "zstd" }]), file: A3, field: "codecs[0].configuration.index_codecs[1].name" },
  { name: "v3 shard inner codec unknown", base: validV3Sharded, change: (f) => void (sharding(f)["codecs"] as Json[]).push({ name: "lzma" }), file: A3, field: "codecs[0].configuration.codecs[2].name" },
  { name: "v3 nested sharding", base: validV3Sharded, change: (f) => void (sharding(f)["codecs"] = [{ name: "sharding_indexed", configuration: { chunk_shape: [2, 2, 2], codecs: [{ name: "bytes" }] } }]), file: A3, field: "codecs[0].configuration.codecs" },
  { name: "v3 float16", base: validV3, change: (f) => void (at(f, A3)["data_type"] = "float16"), file: A3, field: "data_type", says: /float16.*float32/ },
  { name: "v3 complex data type", base: validV3, change: (f) => void (at(f, A3)["data_type"] = "complex64"), file: A3, field: "data_type" },
  { name: "v3 data type object", base: validV3, change: (f) => void (at(f, A3)["data_type"] = { name: "uint8" }), file: A3, field: "data_type" },
  { name: "v3 fill_value a word", base: validV3, change: (f) => void (at(f, A3)["fill_value"] = "abc"), file: A3, field: "fill_value" },
  { name: "v3 fractional fill for uint8", base: validV3, change: (f) => void (at(f, A3)["fill_value"] = 1.5), file: A3, field: "fill_value" },
  { name: "v3 missing fill_value", base: validV3, change: (f) => void delete at(f, A3)["fill_value"], file: A3, field: "fill_value" },
  { name: "v3 zarr_format 2 in zarr.json", base: validV3, change: (f) => void (at(f, A3)["zarr_format"] = 2), file: A3, field: "zarr_format" },
  { name: "v3 unknown node_type", base: validV3, change: (f) => void (at(f, A3)["node_type"] = "thing"), file: A3, field: "node_type" },
  { name: "v3 level that is a group", base: validV3, change: (f) => void (f[A3] = { zarr_format: 3, node_type: "group" }), file: A3, field: "node_type" },
  { name: "v3 storage transformers", base: validV3, change: (f) => void (at(f, A3)["storage_transformers"] = [{ name: "x" }]), file: A3, field: "storage_transformers" },
  { name: "v3 dimension_names of another rank", base: validV3, change: (f) => void (at(f, A3)["dimension_names"] = ["z", "y"]), file: A3, field: "dimension_names" },
  { name: "v3 attributes not an object", base: validV3, change: (f) => void (at(f, A3)["attributes"] = [1]), file: A3, field: "attributes" },
  { name: "v3 array metadata not JSON", base: validV3, change: (f) => void (f[A3] = "{ not json"), file: A3, field: "(file)" },
  { name: "v3 array metadata an array", base: validV3, change: (f) => void (f[A3] = [1, 2]), file: A3, field: "(file)" },
  { name: "v3 missing level", base: validV3, change: (f) => void delete f[A3], file: "", field: "ome.multiscales[0].datasets[0].path", says: /not found/ },
  { name: "v3 group zarr.json is an array (a level path)", base: validV3, change: (f) => void (f["zarr.json"] = f[A3]), file: "zarr.json", field: "node_type", says: /array level|is an array.*open the group/ },
  { name: "v3 group attributes not an object", base: validV3, change: (f) => void (at(f, "zarr.json")["attributes"] = "x"), file: "zarr.json", field: "attributes" },
  // zarr v2 arrays
  { name: "v2 negative shape", base: validV2, change: (f) => void (at(f, A2)["shape"] = [-1, 8, 8]), file: A2, field: "shape[0]" },
  { name: "v2 zero chunk size", base: validV2, change: (f) => void (at(f, A2)["chunks"] = [8, 8, 0]), file: A2, field: "chunks[2]" },
  { name: "v2 chunks of another rank", base: validV2, change: (f) => void (at(f, A2)["chunks"] = [8, 8]), file: A2, field: "chunks" },
  { name: "v2 bad dimension_separator", base: validV2, change: (f) => void (at(f, A2)["dimension_separator"] = "-"), file: A2, field: "dimension_separator" },
  { name: "v2 float16", base: validV2, change: (f) => void (at(f, A2)["dtype"] = "<f2"), file: A2, field: "dtype", says: /float16.*float32/ },
  { name: "v2 structured dtype", base: validV2, change: (f) => void (at(f, A2)["dtype"] = [["a", "<u1"]]), file: A2, field: "dtype" },
  { name: "v2 string dtype", base: validV2, change: (f) => void (at(f, A2)["dtype"] = "<U8"), file: A2, field: "dtype" },
  { name: "v2 unknown compressor", base: validV2, change: (f) => void (at(f, A2)["compressor"] = { id: "bar" }), file: A2, field: "compressor.id", says: /bar|cannot decode/ },
  { name: "v2 compressor without id", base: validV2, change: (f) => void (at(f, A2)["compressor"] = { cname: "lz4" }), file: A2, field: "compressor.id" },
  { name: "v2 compressor a string", base: validV2, change: (f) => void (at(f, A2)["compressor"] = "blosc"), file: A2, field: "compressor" },
  { name: "v2 blosc shuffle 7", base: validV2, change: (f) => void (at(f, A2)["compressor"] = { id: "blosc", cname: "lz4", clevel: 5, shuffle: 7 }), file: A2, field: "compressor.shuffle" },
  { name: "v2 filters not a list", base: validV2, change: (f) => void (at(f, A2)["filters"] = { id: "delta" }), file: A2, field: "filters" },
  { name: "v2 unknown filter", base: validV2, change: (f) => void (at(f, A2)["filters"] = [{ id: "quantize" }]), file: A2, field: "filters[0].id" },
  { name: "v2 order 'X'", base: validV2, change: (f) => void (at(f, A2)["order"] = "X"), file: A2, field: "order" },
  { name: "v2 fill_value a word", base: validV2, change: (f) => void (at(f, A2)["fill_value"] = "x"), file: A2, field: "fill_value" },
  { name: "v2 zarr_format 3 in .zarray", base: validV2, change: (f) => void (at(f, A2)["zarr_format"] = 3), file: A2, field: "zarr_format" },
  { name: "v2 missing level", base: validV2, change: (f) => void delete f[A2], file: "", field: "multiscales[0].datasets[0].path", says: /not found/ },
  { name: "v2 group path is an array (a level path)", base: validV2, change: (f) => { delete f[".zgroup"]; f[".zarray"] = f[A2]; }, file: ".zarray", field: "(file)", says: /is an array.*open the group/ },
  { name: "v2 .zgroup of zarr_format 3", base: validV2, change: (f) => void (f[".zgroup"] = { zarr_format: 3 }), file: ".zgroup", field: "zarr_format" },
  { name: "v2 .zattrs an array", base: validV2, change: (f) => void (f[".zattrs"] = []), file: ".zattrs", field: "(file)" },
  { name: "v2 no group at all", base: validV2, change: (f) => { delete f[".zgroup"]; delete f[".zattrs"]; }, file: "", field: "group", says: /not found/ },
  // NGFF multiscales
  { name: "NGFF level path '..'", base: validV2, change: (f) => void (ngff(f)["datasets"] = [{ ...datasets[0], path: "../s0" }]), file: "", field: "multiscales[0].datasets[0].path" },
  { name: "NGFF level path absolute", base: validV3, change: (f) => void (ngff(f)["datasets"] = [{ ...datasets[0], path: "/s0" }]), file: "", field: "ome.multiscales[0].datasets[0].path" },
  { name: "NGFF negative scale", base: validV3, change: (f) => void (ngff(f)["datasets"] = [{ path: "s0", coordinateTransformations: [{ type: "scale", scale: [4, -4, 4] }] }]), file: "", field: "ome.multiscales[0].datasets[0].coordinateTransformations[0].scale" },
  { name: "NGFF axes without z", base: validV2, change: (f) => void (ngff(f)["axes"] = ["t", "y", "x"]), file: "", field: "multiscales[0].axes" },
  { name: "NGFF axis named twice", base: validV3, change: (f) => void (ngff(f)["axes"] = [axes[0], axes[1], axes[1]]), file: "", field: "ome.multiscales[0].axes" },
  { name: "NGFF axis unit a number", base: validV3, change: (f) => void (ngff(f)["axes"] = [axes[0], axes[1], { ...axes[2], unit: 4 }]), file: "", field: "ome.multiscales[0].axes[2].unit" },
  { name: "NGFF two scale transforms", base: validV2, change: (f) => void (ngff(f)["datasets"] = [{ path: "s0", coordinateTransformations: [{ type: "scale", scale: [4, 4, 4] }, { type: "scale", scale: [2, 2, 2] }] }]), file: "", field: "multiscales[0].datasets[0].coordinateTransformations[1].type" },
  { name: "NGFF level listed twice", base: validV2, change: (f) => void (ngff(f)["datasets"] = [datasets[0], datasets[0]]), file: "", field: "multiscales[0].datasets[1].path" },
  { name: "NGFF axes fewer than the array's dimensions", base: validV2, change: (f) => { at(f, A2)["shape"] = [2, 8, 8, 8]; at(f, A2)["chunks"] = [1, 8, 8, 8]; }, file: A2, field: "shape" },
];

/** The first multiscale of a group's attributes. */
function ngff(f: Files): Json {
  const v3 = f["zarr.json"] as Json | undefined;
  const attrs = v3 ? (v3["attributes"] as Json)["ome"] as Json : f[".zattrs"] as Json;
  return (attrs["multiscales"] as Json[])[0]!;
}

/** A metadata file's bytes: JSON, or a string as it is (for files that are not JSON). */
export function encode(v: unknown): Uint8Array {
  return new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));
}

/** A read-only store over a group's files, counting requests by key. */
export function memoryStore(files: Files, root = "mem://group"): ReadableStore & { requests: string[] } {
  const bytes = new Map(Object.entries(files).map(([k, v]) => [`/${k}`, encode(v)]));
  const requests: string[] = [];
  const get = (key: string) => {
    requests.push(key);
    return Promise.resolve(bytes.get(key));
  };
  return { url: root, stats: emptyStats(), requests, get, getRange: (key) => get(key) };
}

/** The error `openMultiscale` throws for a group's files, or undefined when it opens. */
export async function openError(files: Files): Promise<unknown> {
  try {
    await openMultiscale("mem://group", { store: memoryStore(files) });
    return undefined;
  } catch (e) {
    return e;
  }
}

/** Check that a broken variant fails with a MetadataError naming its file and field. */
export async function rejectsBroken(v: BrokenVariant): Promise<void> {
  const files = v.base();
  v.change(files);
  const e = await openError(files);
  if (!isCellMapError(e, "metadata")) throw new Error(`${v.name}: expected a MetadataError, got ${e === undefined ? "a successful open" : String(e)}`);
  const url = `mem://group${v.file === "" ? "" : `/${v.file}`}`;
  if (e.url !== url) throw new Error(`${v.name}: error names ${e.url}, expected ${url} (${e.message})`);
  if (e.field !== v.field) throw new Error(`${v.name}: error names field ${e.field}, expected ${v.field} (${e.message})`);
  if (!e.message.startsWith(`${url}: ${v.field} `)) throw new Error(`${v.name}: message does not start with the file and field: ${e.message}`);
  if (v.says && !v.says.test(e.message)) throw new Error(`${v.name}: message does not match ${v.says}: ${e.message}`);
}

// ---- random mutations -------------------------------------------------------------------------

export { rng };


const ODD_VALUES: readonly unknown[] = [
  -1, 0, 1, 0.5, 3, 2 ** 31, 2 ** 53, 1e300, -1e300, "", "x", "NaN", "0", "/", ".", "..", "s0", null, true, false,
  [], [0], [-1, 8, 8], [8, 8], [8, 8, 8, 8], ["8", 8, 8], {}, { name: "bar" }, { id: "bar" }, { name: "bytes" }, [{}], [null],
];

interface Slot {
  parent: Json | unknown[];
  key: string | number;
}

/** Every (container, key) pair of a JSON value, depth first. */
function slots(v: unknown, out: Slot[] = []): Slot[] {
  if (Array.isArray(v)) v.forEach((x, i) => { out.push({ parent: v, key: i }); slots(x, out); });
  else if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) { out.push({ parent: v as Json, key: k }); slots(x, out); }
  return out;
}

/** Apply one random mutation to one random file of `files`; returns what it did, for messages. */
export function mutate(files: Files, rand: () => number): string {
  const keys = Object.keys(files);
  const file = keys[Math.floor(rand() * keys.length)]!;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const op = rand();
  if (op < 0.04) {
    const text = JSON.stringify(files[file]);
    const cut = Math.floor(rand() * text.length);
    files[file] = text.slice(0, cut);
    return `${file}: cut to ${cut} characters`;
  }
  if (op < 0.07) {
    delete files[file];
    return `${file}: deleted`;
  }
  if (op < 0.1) {
    files[file] = pick(ODD_VALUES);
    return `${file}: replaced by ${JSON.stringify(files[file])}`;
  }
  const all = slots(files[file]);
  if (all.length === 0) return `${file}: nothing to mutate`;
  const s = pick(all);
  const path = `${file}:${String(s.key)}`;
  const container = s.parent as Record<string | number, unknown>;
  const kind = rand();
  if (kind < 0.2 && !Array.isArray(s.parent)) {
    delete container[s.key];
    return `${path} deleted`;
  }
  if (kind < 0.3) {
    container[s.key] = [container[s.key]];
    return `${path} wrapped in a list`;
  }
  if (kind < 0.4 && typeof container[s.key] === "number") {
    container[s.key] = -(container[s.key] as number);
    return `${path} negated`;
  }
  container[s.key] = structuredClone(pick(ODD_VALUES));
  return `${path} = ${JSON.stringify(container[s.key])}`;
}

/** The valid groups mutations start from. */
export const VALID_GROUPS: ReadonlyArray<readonly [string, () => Files]> = [["v2", validV2], ["v3", validV3], ["v3 sharded", validV3Sharded]];

/** Whether an error is one of ours (typed), for the mutation test. */
export function isTyped(e: unknown): e is CellMapError {
  return isCellMapError(e);
}

/**
 * Open `count` seeded random mutations of the valid groups from memory; throw on the first
 * untyped error. Returns how many opened and how many failed with a typed error.
 */
export async function openMutations(count: number, seed: number): Promise<{ opened: number; failed: number }> {
  const rand = rng(seed);
  let opened = 0;
  let failed = 0;
  for (let i = 0; i < count; i++) {
    const [, make] = VALID_GROUPS[i % VALID_GROUPS.length]!;
    const files = make();
    const what = [mutate(files, rand)];
    if (rand() < 0.3) what.push(mutate(files, rand));
    const e = await openError(files);
    if (e === undefined) opened++;
    else if (isTyped(e)) failed++;
    else throw new Error(`mutation ${i} (${what.join("; ")}) gave an untyped error: ${String(e)}`);
  }
  return { opened, failed };
}

/** float16 is refused at open with the same message for v2 and v3, before zarrita sees it. */
async function float16IsRefused(): Promise<void> {
  const v2 = validV2();
  (v2["s0/.zarray"] as Record<string, unknown>)["dtype"] = "<f2";
  const v3 = validV3();
  (v3["s0/zarr.json"] as Record<string, unknown>)["data_type"] = "float16";
  const problem = (e: unknown) => (e as Error).message.replace(/^.*?(is float16)/, "$1").replace(/ \(got [^)]*\)$/, "");
  const [a, b] = [problem(await openError(v2)), problem(await openError(v3))];
  same(a, b, "the v2 and v3 float16 errors");
  check(/^is float16, which the GPU cache cannot hold; supported: .* \(rewrite the array as float32\)$/.test(a), `the float16 error misleads: ${a}`);
}

/** Random mutations give only typed errors, and no rejection goes unhandled (the runtime's `unhandledrejection` event). */
async function mutationsAreTyped(): Promise<void> {
  let unhandled = 0;
  const onUnhandled = (e: PromiseRejectionEvent) => {
    unhandled++;
    e.preventDefault();
  };
  globalThis.addEventListener("unhandledrejection", onUnhandled);
  try {
    const { failed } = await openMutations(1000, 12345);
    await new Promise((r) => setTimeout(r, 10));
    check(unhandled === 0, `${unhandled} unhandled rejections`);
    check(failed > 300, `only ${failed} mutations failed`);
  } finally {
    globalThis.removeEventListener("unhandledrejection", onUnhandled);
  }
}

/** Every case, by title, for the case registry (test/setup/cases.ts). */
export const metadataCases = {
  ...Object.fromEntries(BROKEN_METADATA.map((v) => [`rejects ${v.name}, naming ${v.file || "the group"} and ${v.field}`, () => rejectsBroken(v)])),
  "float16 gives the same dtype error in v2 and v3, on every runtime (checked before zarrita sees it)": float16IsRefused,
  "1000 random JSON mutations of valid groups give only typed errors and no unhandled rejection": mutationsAreTyped,
} satisfies Cases;
