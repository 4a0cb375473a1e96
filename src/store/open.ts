import { FileStore } from "./file.ts";
import { HttpStore, type HttpStoreOptions } from "./http.ts";
import type { ReadableStore } from "./types.ts";

/** True for http(s) URLs; anything else is a local path (or file: URL). */
export function isHttpUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/**
 * The public HTTPS address of an `s3://bucket/key` URL (anonymous, virtual-hosted style, as the
 * Janelia OpenOrganelle buckets are read); other locations are returned unchanged.
 *
 * @example
 * ```ts
 * resolveLocation("s3://janelia-cosem-datasets/jrc_hela-2/jrc_hela-2.zarr");
 * // "https://janelia-cosem-datasets.s3.amazonaws.com/jrc_hela-2/jrc_hela-2.zarr"
 * ```
 */
export function resolveLocation(location: string): string {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(location);
  if (!m) return location;
  return `https://${m[1]}.s3.amazonaws.com/${m[2]}`.replace(/\/+$/, "");
}

/**
 * Open a store for a URL (http/https, or s3:// read anonymously over HTTPS) or a local path
 * (Deno and Node). The returned store is rooted at `location`; keys are absolute below it.
 */
export function openStore(location: string, options: HttpStoreOptions = {}): ReadableStore {
  location = resolveLocation(location);
  if (isHttpUrl(location)) return new HttpStore(location, options);
  let path = location;
  if (path.startsWith("file://")) path = decodeURIComponent(new URL(path).pathname);
  return new FileStore(path);
}
