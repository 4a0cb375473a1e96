/**
 * `storeOptions` of a `cellmap-data batch` config: the JSON-expressible options of the HTTP store
 * (`HttpStoreOptions`), checked field by field, and how a dataset entry's options combine with the
 * config's.
 * @module
 */

import { ArgumentError } from "../errors.ts";
import type { HttpStoreOptions } from "../store/http.ts";

/** The fields of `storeOptions` a config file may hold (`fetch` is a function: not in JSON). */
export const STORE_FIELDS = ["headers", "maxTries", "backoffMs", "maxConcurrency"] as const;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Check a config's `storeOptions` object.
 *
 * @param field Where it sits in the config (`storeOptions`, `datasets[1].storeOptions`).
 * @throws {ArgumentError} naming the field (e.g. `storeOptions.headers.Authorization`).
 * @example
 * ```ts
 * parseStoreOptions("storeOptions", { headers: { Authorization: "Bearer abc" }, maxConcurrency: 8 });
 * // { headers: { Authorization: "Bearer abc" }, maxConcurrency: 8 }
 * ```
 */
export function parseStoreOptions(field: string, v: unknown): HttpStoreOptions {
  if (!isRecord(v)) throw new ArgumentError(field, `must be an object of HTTP store options (${STORE_FIELDS.join(", ")})`, v);
  const out: HttpStoreOptions = {};
  for (const [k, x] of Object.entries(v)) {
    const f = `${field}.${k}`;
    if (k === "headers") {
      if (!isRecord(x)) throw new ArgumentError(f, 'must be an object of header names and values ({ "Authorization": "Bearer ..." })', x);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(x)) {
        if (!HEADER_NAME.test(name)) throw new ArgumentError(`${f}.${name}`, "is not a valid HTTP header name", name);
        if (typeof value !== "string" || /[\r\n\0]/.test(value)) throw new ArgumentError(`${f}.${name}`, "must be a string on one line", value);
        headers[name] = value;
      }
      out.headers = headers;
    } else if (k === "maxTries" || k === "maxConcurrency") {
      if (!(typeof x === "number" && Number.isInteger(x) && x >= 1)) throw new ArgumentError(f, "must be an integer >= 1", x);
      out[k] = x;
    } else if (k === "backoffMs") {
      if (!(typeof x === "number" && Number.isFinite(x) && x >= 0)) throw new ArgumentError(f, "must be a number of milliseconds >= 0", x);
      out.backoffMs = x;
    } else {
      throw new ArgumentError(f, `is not a store option (known: ${STORE_FIELDS.join(", ")})`);
    }
  }
  return out;
}

/**
 * A dataset entry's store options over the config's: the entry's fields win; headers are merged,
 * the entry's replacing a config header of the same name (names compare case-insensitively).
 *
 * @example
 * ```ts
 * mergeStoreOptions({ headers: { Authorization: "a" }, maxTries: 2 }, { headers: { authorization: "b" } });
 * // { headers: { authorization: "b" }, maxTries: 2 }
 * ```
 */
export function mergeStoreOptions(shared: HttpStoreOptions | undefined, own: HttpStoreOptions | undefined): HttpStoreOptions | undefined {
  if (!own) return shared;
  if (!shared) return own;
  const out: HttpStoreOptions = { ...shared, ...own };
  if (shared.headers || own.headers) {
    const mine = new Set(Object.keys(own.headers ?? {}).map((n) => n.toLowerCase()));
    out.headers = {
      ...Object.fromEntries(Object.entries(shared.headers ?? {}).filter(([n]) => !mine.has(n.toLowerCase()))),
      ...own.headers,
    };
  }
  return out;
}

/** A canonical text of store options (sorted keys), to compare two datasets' options. */
export function storeOptionsKey(o: HttpStoreOptions | undefined): string {
  if (!o) return "";
  const sorted = (r: Record<string, unknown>): unknown =>
    Object.fromEntries(Object.keys(r).sort().map((k) => [k, isRecord(r[k]) ? sorted(r[k] as Record<string, unknown>) : r[k]]));
  return JSON.stringify(sorted(o as Record<string, unknown>));
}
