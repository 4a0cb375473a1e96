import { MetadataError, throwIfAborted } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";
import { parseCellMapAnnotation, parseMultiscales } from "../ngff/parse.ts";
import type { CellMapAnnotation, NgffMultiscale } from "../ngff/types.ts";
import { parseJsonBytes, parseZarray, parseZarrJson, parseZattrs, parseZgroup, type ZarrArrayMeta } from "../ngff/zarr-metadata.ts";
import type { HttpStoreOptions } from "../store/http.ts";
import { openStore, resolveLocation } from "../store/open.ts";
import type { ReadableStore } from "../store/types.ts";
import { storageKindForDtype, type StorageKind } from "../kernels/chunks/contract.ts";

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
  /**
   * The level's metadata document as read (`.zarray` or `zarr.json`): chunk requests carry it,
   * so fetch workers open the level without reading it again.
   */
  metadata?: Uint8Array;
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
 * and every level's array metadata, each checked before use. Chunks are not read.
 *
 * Requests: the group's `zarr.json`, then each level's `zarr.json` (v3); or, when the group has
 * no `zarr.json`, its `.zattrs` and `.zgroup`, then each level's `.zarray` (v2). A group's
 * version decides its levels': no request of the other version is made for them.
 *
 * @throws {MetadataError} naming the file and field that is missing or malformed, or saying
 *   that `location` is an array level rather than its multiscale group.
 */
export async function openMultiscale(
  location: string,
  options: { storeOptions?: HttpStoreOptions; signal?: AbortSignal; store?: ReadableStore } = {},
): Promise<OpenedMultiscale> {
  const url = resolveLocation(location).replace(/\/+$/, "");
  const opened = options.store ?? openStore(url, options.storeOptions);
  // Give the signal to every read here, so an abort cancels them.
  const store = options.signal ? withSignal(opened, options.signal) : opened;
  throwIfAborted(options.signal, `opening ${url}`);
  const group = await openGroup(store, url);
  const { attributes, zarrFormat } = group;
  const multiscale = parseMultiscales(url, attributes);
  const annotation = parseCellMapAnnotation(url, attributes);
  const levels = await Promise.all(multiscale.levels.map(async (lvl, i) => {
    const field = `${multiscale.version === "0.5" ? "ome." : ""}multiscales[0].datasets[${i}].path`;
    const { meta, bytes } = await openLevel(store, url, lvl.path, zarrFormat, field, options.signal);
    const where = `${url}/${lvl.path}/${zarrFormat === 3 ? "zarr.json" : ".zarray"}`;
    const dims = multiscale.spatialDims;
    if (meta.shape.length !== multiscale.axes.length) {
      throw new MetadataError(where, "shape", `has ${meta.shape.length} dimensions but the multiscale declares ${multiscale.axes.length} axes`, meta.shape);
    }
    meta.shape.forEach((n, d) => {
      if (!dims.includes(d) && n !== 1) {
        throw new MetadataError(where, "shape", `has size ${n} on non-spatial axis "${multiscale.axes[d]!.name}"; only size 1 is supported`, meta.shape);
      }
    });
    const pick = (v: readonly number[]): Vec3 => [v[dims[0]]!, v[dims[1]]!, v[dims[2]]!];
    return {
      path: lvl.path,
      shape: pick(meta.shape),
      arrayShape: meta.shape,
      scale: lvl.scale,
      translation: lvl.translation,
      dtype: meta.dtype,
      kind: storageKindForDtype(meta.dtype),
      chunks: pick(meta.chunks),
      arrayChunks: meta.chunks,
      shards: meta.shards ? pick(meta.shards) : undefined,
      codecs: meta.codecs,
      fillValue: meta.fillValue,
      zarrFormat: meta.zarrFormat,
      metadata: bytes.slice(), // its own buffer: a request carries it to the workers
    } satisfies LevelInfo;
  }));
  return { url, multiscale, levels, annotation, attributes };
}

/** The parent of a URL or path, for "open the group instead" hints. */
function parentOf(url: string): string {
  const cut = url.lastIndexOf("/");
  return cut > 0 ? url.slice(0, cut) : url;
}

function levelPathError(url: string, file: string): MetadataError {
  return new MetadataError(
    `${url}/${file}`,
    file === "zarr.json" ? "node_type" : "(file)",
    `says ${url} is an array (one level of a multiscale), not a multiscale group; open the group that holds its levels, e.g. ${parentOf(url)}`,
    file === "zarr.json" ? "array" : undefined,
  );
}

/** Read and check a group's metadata: `zarr.json` (v3), else `.zattrs` and `.zgroup` (v2). */
async function openGroup(store: ReadableStore, url: string): Promise<{ attributes: Record<string, unknown>; zarrFormat: 2 | 3 }> {
  const v3 = await store.get("/zarr.json");
  if (v3 !== undefined) {
    const node = parseZarrJson(`${url}/zarr.json`, parseJsonBytes(`${url}/zarr.json`, v3));
    if (node.kind === "array") throw levelPathError(url, "zarr.json");
    return { attributes: node.attributes, zarrFormat: 3 };
  }
  const [zattrs, zgroup] = await Promise.all([store.get("/.zattrs"), store.get("/.zgroup")]);
  if (zgroup === undefined) {
    if (await store.get("/.zarray")) throw levelPathError(url, ".zarray");
    throw new MetadataError(url, "group", "was not found: no zarr.json (zarr v3) or .zgroup (zarr v2) there; check the URL or path", undefined);
  }
  parseZgroup(`${url}/.zgroup`, parseJsonBytes(`${url}/.zgroup`, zgroup));
  const attributes = zattrs === undefined ? {} : parseZattrs(`${url}/.zattrs`, parseJsonBytes(`${url}/.zattrs`, zattrs));
  return { attributes, zarrFormat: 2 };
}

/** Read and check one level's array metadata, of the group's zarr version only. */
async function openLevel(store: ReadableStore, url: string, path: string, zarrFormat: 2 | 3, field: string, signal: AbortSignal | undefined): Promise<{ meta: ZarrArrayMeta; bytes: Uint8Array }> {
  throwIfAborted(signal, `opening ${url}`);
  const file = zarrFormat === 3 ? "zarr.json" : ".zarray";
  const where = `${url}/${path}/${file}`;
  const bytes = await store.get(`/${path}/${file}`);
  if (bytes === undefined) {
    throw new MetadataError(url, field, `names an array that was not found: no ${where} (the group is zarr v${zarrFormat}, so its levels must be too)`, path);
  }
  const json = parseJsonBytes(where, bytes);
  if (zarrFormat === 2) return { meta: parseZarray(where, json), bytes };
  const node = parseZarrJson(where, json);
  if (node.kind !== "array") throw new MetadataError(where, "node_type", `must be "array": ${field} names a group`, "group");
  return { meta: node.meta, bytes };
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
