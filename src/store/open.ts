import { FileStore } from "./file.ts";
import { HttpStore, type HttpStoreOptions } from "./http.ts";
import type { ReadableStore } from "./types.ts";

/** True for http(s) URLs; anything else is a local path (or file: URL). */
export function isHttpUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/**
 * Open a store for a URL (http/https) or a local path (Deno and Node).
 * The returned store is rooted at `location`; keys are absolute below it.
 */
export function openStore(location: string, options: HttpStoreOptions = {}): ReadableStore {
  if (isHttpUrl(location)) return new HttpStore(location, options);
  let path = location;
  if (path.startsWith("file://")) path = decodeURIComponent(new URL(path).pathname);
  return new FileStore(path);
}
