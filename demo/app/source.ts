/**
 * What the app shows: a raw multiscale image and, when the URL is a CellMap dataset, its
 * ground-truth crops (one label array per class). The URL may be
 *
 * - a CellMap zarr root (`.../jrc_cell.zarr`): raw at `recon-1/em/fibsem-uint8`, crops from the
 *   `manifest.json` beside it (the embedded dataset) or the `crops` list (`?crops=crop1,crop2`);
 *   each crop's classes come from its `cellmap.annotation.class_names` attribute;
 * - any OME-NGFF multiscale image group (shown without labels, unless it sits at
 *   `<root>/recon-1/em/<name>` in a CellMap root, which is then used as above).
 * @module
 */
import { CellMapArray } from "../../src/index.ts";
import { arrayBounds, type WorldBox } from "../../src/index.ts";
import type { GpuContext } from "../../src/index.ts";
import type { WorkerPool } from "../../src/index.ts";

/** One annotated crop and its label arrays. */
export interface Crop {
  readonly name: string;
  /** URL of the crop group, e.g. `.../groundtruth/crop1`. */
  readonly url: string;
  readonly classes: readonly string[];
  /** Label array per class. */
  readonly arrays: ReadonlyMap<string, CellMapArray>;
  /** World extent of the crop's voxels (finest level). */
  readonly bounds: WorldBox;
}

/** An opened dataset. */
export interface Source {
  /** The URL the user gave. */
  readonly url: string;
  readonly gpu: GpuContext;
  /** The CellMap root, when there is one. */
  readonly root: string | undefined;
  readonly rawUrl: string;
  readonly raw: CellMapArray;
  readonly crops: readonly Crop[];
  /** Every class of every crop, in first-seen order. */
  readonly classes: readonly string[];
  /** World extent of the raw voxels. */
  readonly bounds: WorldBox;
  /** Where the crop list came from, for the status line. */
  readonly cropsFrom: "manifest" | "parameter" | "none";
  destroy(): void;
}

/** Options of {@link openSource}. */
export interface OpenSourceOptions {
  gpu: GpuContext;
  pool: WorkerPool;
  /** Crop names to use instead of a manifest. */
  crops?: readonly string[];
  /** Path of the raw image below a CellMap root (default `recon-1/em/fibsem-uint8`). */
  rawPath?: string;
  rawCacheBytes?: number;
  labelCacheBytes?: number;
  signal?: AbortSignal;
}

/** A dataset URL that could not be opened; `message` says what was tried. */
export class SourceError extends Error {
  readonly url: string;
  constructor(url: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SourceError";
    this.url = url;
  }
}

const DEFAULT_RAW_PATH = "recon-1/em/fibsem-uint8";

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** GET a JSON document; undefined on 404 (and 403, which some buckets send for missing keys). */
async function getJson(url: string, signal: AbortSignal | undefined): Promise<unknown | undefined> {
  let res: Response;
  try {
    res = await fetch(url, signal ? { signal } : {});
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new SourceError(url, `could not reach ${url} (${(e as Error).message}): is the server running, and does it allow cross-origin requests (CORS)?`, { cause: e });
  }
  if (res.status === 404 || res.status === 403) return undefined;
  if (!res.ok) throw new SourceError(url, `${url}: HTTP ${res.status} ${res.statusText}`.trim());
  try {
    return await res.json();
  } catch (e) {
    throw new SourceError(url, `${url} is not valid JSON`, { cause: e });
  }
}

/** A zarr node's attributes (v3 `zarr.json`, else v2 `.zattrs`), or undefined when there is no node. */
async function readAttributes(url: string, format: 2 | 3 | undefined, signal: AbortSignal | undefined): Promise<{ format: 2 | 3; attributes: Json } | undefined> {
  if (format !== 2) {
    const meta = await getJson(`${url}/zarr.json`, signal);
    if (isObject(meta)) return { format: 3, attributes: isObject(meta["attributes"]) ? meta["attributes"] : {} };
  }
  if (format !== 3) {
    const attrs = await getJson(`${url}/.zattrs`, signal);
    if (isObject(attrs)) return { format: 2, attributes: attrs };
    const group = await getJson(`${url}/.zgroup`, signal);
    if (isObject(group)) return { format: 2, attributes: {} };
  }
  return undefined;
}

function hasMultiscales(attrs: Json): boolean {
  const ome = attrs["ome"];
  return Array.isArray(attrs["multiscales"]) || (isObject(ome) && Array.isArray(ome["multiscales"]));
}

interface ManifestCrop {
  name: string;
  path: string;
  classes: string[];
}

/** The embedded dataset's manifest, when `root` is one of its copies. */
async function readManifest(root: string, signal: AbortSignal | undefined): Promise<{ format: 2 | 3; crops: ManifestCrop[]; rawPath: string } | undefined> {
  const slash = root.lastIndexOf("/");
  const name = root.slice(slash + 1);
  const parent = root.slice(0, slash);
  let manifest: unknown;
  try {
    manifest = await getJson(`${parent}/manifest.json`, signal);
  } catch (e) {
    if (signal?.aborted) throw e;
    return undefined;
  }
  if (!isObject(manifest) || !Array.isArray(manifest["copies"]) || !Array.isArray(manifest["crops"])) return undefined;
  const copy = manifest["copies"].find((c) => isObject(c) && c["path"] === name);
  if (!isObject(copy)) return undefined;
  const raw = manifest["raw"];
  const crops = manifest["crops"].filter(isObject).map((c) => ({
    name: String(c["name"]),
    path: String(c["path"]),
    classes: Array.isArray(c["classes"]) ? c["classes"].map(String) : [],
  }));
  return {
    format: copy["zarrFormat"] === 2 ? 2 : 3,
    crops,
    rawPath: isObject(raw) && typeof raw["path"] === "string" ? raw["path"] : DEFAULT_RAW_PATH,
  };
}

/** Normalise what the user typed: trimmed, no trailing slashes, an absolute http(s) URL. */
export function normalizeUrl(input: string): string {
  const url = input.trim().replace(/\/+$/, "");
  if (url === "") throw new SourceError(input, "no dataset URL given: type the URL of an OME-NGFF zarr group");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SourceError(input, `"${input}" is not a URL: give an http(s) URL of an OME-NGFF zarr group, e.g. http://host/data.zarr`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new SourceError(input, `"${input}" is not an http(s) URL; the browser can only stream zarr over HTTP`);
  }
  return url;
}

/**
 * Open a dataset URL: find the raw image and the crops, and open every array with the shared GPU
 * and worker pool.
 *
 * @throws {SourceError} when the URL holds no multiscale image (the message says what was tried).
 */
export async function openSource(input: string, options: OpenSourceOptions): Promise<Source> {
  const url = normalizeUrl(input);
  const { signal } = options;
  let root: string | undefined;
  let rawUrl: string;
  let format: 2 | 3 | undefined;
  let manifest = await readManifest(url, signal);
  if (manifest) {
    root = url;
    format = manifest.format;
    rawUrl = `${url}/${options.rawPath ?? manifest.rawPath}`;
  } else {
    const node = await readAttributes(url, undefined, signal);
    if (!node) {
      throw new SourceError(url, `nothing at ${url}: no zarr.json (zarr v3) and no .zattrs or .zgroup (zarr v2) there.`);
    }
    format = node.format;
    if (hasMultiscales(node.attributes)) {
      rawUrl = url;
      const m = /^(.*)\/recon-[^/]+\/em\/[^/]+$/.exec(url);
      if (m) {
        root = m[1]!;
        manifest = await readManifest(root, signal);
      }
    } else {
      root = url;
      rawUrl = `${url}/${options.rawPath ?? DEFAULT_RAW_PATH}`;
      const raw = await readAttributes(rawUrl, format, signal);
      if (!raw || !hasMultiscales(raw.attributes)) {
        throw new SourceError(url, `${url} is a zarr group but not an OME-NGFF image (no "multiscales" attribute), and holds no CellMap raw image at ${options.rawPath ?? DEFAULT_RAW_PATH}`);
      }
    }
  }

  let cropList: ManifestCrop[] = [];
  let cropsFrom: Source["cropsFrom"] = "none";
  if (root && options.crops && options.crops.length > 0) {
    cropsFrom = "parameter";
    cropList = await Promise.all(options.crops.map(async (name) => {
      const path = name.includes("/") ? name : `recon-1/labels/groundtruth/${name}`;
      const node = await readAttributes(`${root}/${path}`, format, signal);
      if (!node) throw new SourceError(url, `crop "${name}" not found at ${root}/${path}`);
      const cellmap = node.attributes["cellmap"];
      const ann = isObject(cellmap) ? cellmap["annotation"] : undefined;
      const classes = isObject(ann) && Array.isArray(ann["class_names"]) ? ann["class_names"].map(String) : [];
      if (classes.length === 0) throw new SourceError(url, `crop "${name}" at ${root}/${path} lists no classes (cellmap.annotation.class_names)`);
      return { name: path.slice(path.lastIndexOf("/") + 1), path, classes };
    }));
  } else if (manifest) {
    cropsFrom = "manifest";
    cropList = manifest.crops;
  }

  const opened: CellMapArray[] = [];
  const openArray = async (u: string, cacheBytes: number) => {
    try {
      const a = await CellMapArray.open(u, { gpu: options.gpu, pool: options.pool, cacheBytes, ...(signal ? { signal } : {}) });
      opened.push(a);
      return a;
    } catch (e) {
      throw new SourceError(url, `could not open ${u}: ${(e as Error).message}`, { cause: e });
    }
  };
  try {
    const raw = await openArray(rawUrl, options.rawCacheBytes ?? 48 * 2 ** 20);
    const crops = await Promise.all(cropList.map(async (c): Promise<Crop> => {
      const entries = await Promise.all(c.classes.map(async (cls) => [cls, await openArray(`${root}/${c.path}/${cls}`, options.labelCacheBytes ?? 8 * 2 ** 20)] as const));
      const arrays = new Map(entries);
      const first = entries[0]?.[1];
      return { name: c.name, url: `${root}/${c.path}`, classes: c.classes, arrays, bounds: first ? arrayBounds(first.levels[0]!) : arrayBounds(raw.levels[0]!) };
    }));
    const classes: string[] = [];
    for (const c of crops) for (const cls of c.classes) if (!classes.includes(cls)) classes.push(cls);
    return {
      url,
      gpu: options.gpu,
      root,
      rawUrl,
      raw,
      crops,
      classes,
      bounds: arrayBounds(raw.levels[0]!),
      cropsFrom,
      destroy: () => opened.forEach((a) => a.destroy()),
    };
  } catch (e) {
    for (const a of opened) a.destroy();
    throw e;
  }
}
