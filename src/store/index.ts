export { FileStore } from "./file.ts";
export { HttpStore, type HttpStoreOptions } from "./http.ts";
export { Limiter } from "./limiter.ts";
export { isHttpUrl, openStore, resolveLocation } from "./open.ts";
export type { RangeQuery, ReadableStore, StoreStats } from "./types.ts";
