import * as zarr from "zarrita";
import { isCellMapError, MetadataError, throwIfAborted } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";
import { parseCellMapAnnotation, parseMultiscales } from "../ngff/parse.ts";
import type { CellMapAnnotation, NgffMultiscale } from "../ngff/types.ts";
import type { HttpStoreOptions } from "../store/http.ts";
import { openStore, resolveLocation } from "../store/open.ts";
import type { ReadableStore } from "../store/types.ts";
import { storageKindForDtype, type StorageKind } from "./storage-kind.ts";

/** Everything known about one stored level of a multiscale array. */
export interface LevelInfo {
  /** Path of the level below the multiscale group (e.g. "s0"). */
  path: string;
  /** Voxels per axis (z, y, x). */
  shape: Vec3;
  /** Full shape of the stored array, in its own dimension order. */
  arrayShape: number[];
  /** World voxel size (z, y, x). */
  scale: Vec3;
  /** World position of voxel 0's center (z, y, x). */
  translation: Vec3;
  /** zarr data type (zarrita's name, e.g. "uint8"). */
  dtype: string;
  /** How the GPU cache stores its values. */
  kind: StorageKind;
  /** Read granularity (z, y, x): the chunk shape, or the inner chunk shape of a sharded array. */
  chunks: Vec3;
  /** Chunk shape in the array's own dimension order. */
  arrayChunks: number[];
  /** Shard shape (z, y, x) for sharded arrays. */
  shards: Vec3 | undefined;
  /** Codec names in order, e.g. ["bytes", "blosc"] or ["blosc"] for v2. */
  codecs: string[];
  /** The value of chunks the store does not have. */
  fillValue: number;
  zarrFormat: 2 | 3;
}

/** A multiscale group, opened: its NGFF metadata, its levels and any CellMap annotation. */
export interface OpenedMultiscale {
  url: string;
  multiscale: NgffMultiscale;
  levels: LevelInfo[];
  annotation: CellMapAnnotation | undefined;
  attributes: Record<string, unknown>;
}

/**
 * Open a multiscale group's metadata (NGFF 0.4 on zarr v2 or 0.5 on zarr v3)
 * and every level's array metadata. Chunks are not read.
 */
export async function openMultiscale(
  location: string,
  options: { storeOptions?: HttpStoreOptions; signal?: AbortSignal; store?: ReadableStore } = {},
): Promise<OpenedMultiscale> {
  const url = resolveLocation(location).replace(/\/+$/, "");
  const opened = options.store ?? openStore(url, options.storeOptions);
  // zarrita's metadata reads take no signal: give it to every read here, so an abort cancels them.
  const store = options.signal ? withSignal(opened, options.signal) : opened;
  throwIfAborted(options.signal, `opening ${url}`);
  let group: zarr.Group<ReadableStore>;
  try {
    group = await zarr.open(zarr.root(store), { kind: "group" });
  } catch (e) {
    if (isCellMapError(e)) throw e;
    throw new MetadataError(url, "group", "was not found or is not a zarr group (no zarr.json or .zgroup/.zattrs)", undefined, { cause: e });
  }
  const attributes = (group.attrs ?? {}) as Record<string, unknown>;
  const multiscale = parseMultiscales(url, attributes);
  const annotation = parseCellMapAnnotation(url, attributes);
  const levels = await Promise.all(multiscale.levels.map(async (lvl, i) => {
    throwIfAborted(options.signal, `opening ${url}`);
    const field = `${multiscale.version === "0.5" ? "ome." : ""}multiscales[0].datasets[${i}].path`;
    let arr: zarr.Array<zarr.DataType, ReadableStore>;
    try {
      arr = await zarr.open(zarr.root(store).resolve(lvl.path), { kind: "array" });
    } catch (e) {
      if (isCellMapError(e)) throw e;
      throw new MetadataError(url, field, `names an array that could not be opened: ${(e as Error).message}`, lvl.path, { cause: e });
    }
    const dims = multiscale.spatialDims;
    if (arr.shape.length !== multiscale.axes.length) {
      throw new MetadataError(`${url}/${lvl.path}`, "shape", `has ${arr.shape.length} dimensions but the multiscale declares ${multiscale.axes.length} axes`, arr.shape);
    }
    arr.shape.forEach((n, d) => {
      if (!dims.includes(d) && n !== 1) {
        throw new MetadataError(`${url}/${lvl.path}`, "shape", `has size ${n} on non-spatial axis "${multiscale.axes[d]!.name}"; only size 1 is supported`, arr.shape);
      }
    });
    const pick = (v: readonly number[]): Vec3 => [v[dims[0]]!, v[dims[1]]!, v[dims[2]]!];
    const raw = await readArrayMeta(store, lvl.path);
    const kind = storageKindForDtype(arr.dtype);
    const fv = arr.fillValue as unknown;
    return {
      path: lvl.path,
      shape: pick(arr.shape),
      arrayShape: [...arr.shape],
      scale: lvl.scale,
      translation: lvl.translation,
      dtype: arr.dtype,
      kind,
      chunks: pick(arr.chunks),
      arrayChunks: [...arr.chunks],
      shards: raw.shards ? pick(raw.shards) : undefined,
      codecs: raw.codecs,
      fillValue: typeof fv === "bigint" ? Number(fv) : typeof fv === "number" ? fv : typeof fv === "boolean" ? Number(fv) : 0,
      zarrFormat: raw.zarrFormat,
    } satisfies LevelInfo;
  }));
  return { url, multiscale, levels, annotation, attributes };
}

/** `store`, with `signal` on every read that brings none of its own. */
function withSignal(store: ReadableStore, signal: AbortSignal): ReadableStore {
  return {
    get url() {
      return store.url;
    },
    get stats() {
      return store.stats;
    },
    get: (key, opts) => store.get(key, { signal: opts?.signal ?? signal }),
    getRange: (key, range, opts) => store.getRange(key, range, { signal: opts?.signal ?? signal }),
  };
}

async function readArrayMeta(store: ReadableStore, path: string): Promise<{ codecs: string[]; shards: number[] | undefined; zarrFormat: 2 | 3 }> {
  const dec = new TextDecoder();
  const v3 = await store.get(`/${path}/zarr.json` as `/${string}`);
  if (v3) {
    const meta = JSON.parse(dec.decode(v3)) as { codecs?: Array<{ name: string; configuration?: Record<string, unknown> }>; chunk_grid?: { configuration?: { chunk_shape?: number[] } } };
    const codecs: string[] = [];
    let shards: number[] | undefined;
    for (const c of meta.codecs ?? []) {
      if (c.name === "sharding_indexed") {
        shards = meta.chunk_grid?.configuration?.chunk_shape;
        const inner = (c.configuration?.["codecs"] ?? []) as Array<{ name: string; configuration?: Record<string, unknown> }>;
        codecs.push(`sharding_indexed(${inner.map(describeV3).join(", ")})`);
      } else {
        codecs.push(describeV3(c));
      }
    }
    return { codecs, shards, zarrFormat: 3 };
  }
  const v2 = await store.get(`/${path}/.zarray` as `/${string}`);
  const meta = v2 ? (JSON.parse(dec.decode(v2)) as { compressor?: Record<string, unknown> | null; filters?: Array<Record<string, unknown>> | null; order?: string }) : {};
  const codecs: string[] = [];
  for (const f of meta.filters ?? []) codecs.push(String(f["id"]));
  if (meta.compressor) {
    const c = meta.compressor;
    codecs.push(c["id"] === "blosc" ? `blosc(${String(c["cname"])})` : String(c["id"]));
  }
  if (meta.order === "F") codecs.unshift("order F");
  return { codecs, shards: undefined, zarrFormat: 2 };
}

function describeV3(c: { name: string; configuration?: Record<string, unknown> }): string {
  if (c.name === "blosc") return `blosc(${String(c.configuration?.["cname"] ?? "")})`;
  if (c.name === "bytes" && c.configuration?.["endian"]) return `bytes(${String(c.configuration["endian"])})`;
  return c.name;
}
