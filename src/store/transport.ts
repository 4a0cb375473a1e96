/**
 * How {@link HttpStore} sends one GET: through a `fetch` function (browsers, Deno, or a `fetch`
 * the caller passes), or in Node through `node:http` / `node:https` with keep-alive agents.
 * Node's built-in `fetch` spends about four times the CPU of `node:http` on a chunk-sized body
 * (web streams, per-request objects), and a fetch worker spends it on every chunk.
 *
 * @example
 * ```ts
 * const get = defaultTransport(undefined);
 * const { status, bytes } = await get("http://127.0.0.1:8000/data.zarr/.zattrs", {}, undefined);
 * ```
 * @module
 */

import { onAbort } from "../abort.ts";
import type { IntegrityCheck } from "../errors.ts";

/** What a GET answered: its status, the body of a 2xx answer, and the body's content type. */
export interface TransportResponse {
  status: number;
  bytes?: Uint8Array<ArrayBuffer>;
  contentType?: string;
}

/**
 * Send one GET, following redirects. `credentials` lists (lower-case) header names that never
 * follow a redirect to another origin. Rejects on network errors, on a body that disagrees with
 * its Content-Length ({@link TransferFault}), and on aborts; any HTTP status resolves.
 */
export type Transport = (
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
  credentials?: ReadonlySet<string>,
) => Promise<TransportResponse>;

/** A fault seen in transit (a body cut short, an error page): worth fetching again, like a 503. */
export class TransferFault extends Error {
  readonly check: IntegrityCheck;
  constructor(check: IntegrityCheck, message: string) {
    super(message);
    this.name = "TransferFault";
    this.check = check;
  }
}

/** Headers that carry credentials, whatever the caller adds: they stay with their origin. */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(["authorization", "cookie", "proxy-authorization", "x-api-key"]);

/** One hop: an answer, or where a redirect points. */
type Hop = (url: URL, headers: Record<string, string>, signal: AbortSignal | undefined) => Promise<TransportResponse | { location: string }>;

const MAX_REDIRECTS = 5;

/** Follow redirects by hand, dropping credential headers when the origin changes. */
async function follow(hop: Hop, url: string, headers: Record<string, string>, signal: AbortSignal | undefined, credentials: ReadonlySet<string>): Promise<TransportResponse> {
  let target = new URL(url);
  let sent = headers;
  for (let n = 0; ; n++) {
    const res = await hop(target, sent, signal);
    if (!("location" in res)) return res;
    if (n === MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(res.location, target);
    if (next.origin !== target.origin) {
      sent = Object.fromEntries(Object.entries(sent).filter(([k]) => !credentials.has(k.toLowerCase()) && !CREDENTIAL_HEADERS.has(k.toLowerCase())));
    }
    target = next;
  }
}

/** The body's length must be what Content-Length announced (when the body was not re-encoded). */
export function checkLength(received: number, contentLength: string | null | undefined, encoded: boolean): void {
  if (encoded || contentLength === null || contentLength === undefined || contentLength === "") return;
  const announced = Number(contentLength);
  if (Number.isFinite(announced) && announced !== received) {
    throw new TransferFault("content-length", `body of ${received} bytes, Content-Length ${announced}`);
  }
}

/**
 * A transport over a `fetch` function. Outside browsers redirects are followed by hand so that
 * credential headers stay with their origin; a browser's fetch follows them itself (and drops
 * `Authorization` on a cross-origin redirect, as the Fetch standard says).
 */
export function fetchTransport(fetchFn: typeof fetch): Transport {
  const hop = (manual: boolean): Hop => async (url, headers, signal) => {
    const init: RequestInit = { headers };
    if (signal) init.signal = signal;
    if (manual) init.redirect = "manual";
    const res = await fetchFn(url, init);
    const location = res.headers.get("location");
    if (manual && res.status >= 300 && res.status < 400 && res.status !== 304 && location) {
      await res.body?.cancel();
      return { location };
    }
    if (!res.ok) {
      await res.body?.cancel();
      return { status: res.status };
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    checkLength(bytes.byteLength, res.headers.get("content-length"), res.headers.get("content-encoding") !== null);
    const out: TransportResponse = { status: res.status, bytes };
    const type = res.headers.get("content-type");
    if (type !== null) out.contentType = type;
    return out;
  };
  const manual = hop(true);
  const automatic = hop(false);
  return (url, headers, signal, credentials = CREDENTIAL_HEADERS) =>
    runtimeKind() === "browser"
      ? automatic(new URL(url), headers, signal) as Promise<TransportResponse>
      : follow(manual, url, headers, signal, credentials);
}

/** `node:http` in Node when no `fetch` is given; else that `fetch`, or the global one. */
export function defaultTransport(fetchFn: typeof fetch | undefined): Transport {
  if (fetchFn) return fetchTransport(fetchFn);
  if (runtimeKind() === "node") return nodeTransport;
  return fetchTransport(globalThis.fetch.bind(globalThis));
}

function runtimeKind(): "node" | "deno" | "browser" {
  const g = globalThis as { Deno?: unknown; process?: { versions?: { node?: string } }; window?: unknown };
  if (g.Deno !== undefined) return "deno";
  if (typeof g.process?.versions?.node === "string" && g.window === undefined) return "node";
  return "browser";
}

type NodeHttp = typeof import("node:http");
type NodeHttps = typeof import("node:https");
interface NodeModules {
  http: NodeHttp;
  https: NodeHttps;
  httpAgent: import("node:http").Agent;
  httpsAgent: import("node:https").Agent;
}

let modules: Promise<NodeModules> | undefined;

function nodeModules(): Promise<NodeModules> {
  // Variable specifiers keep bundlers from following these imports into browser builds.
  const [h, hs] = ["node:http", "node:https"];
  modules ??= Promise.all([import(/* @vite-ignore */ h) as Promise<NodeHttp>, import(/* @vite-ignore */ hs) as Promise<NodeHttps>]).then(([http, https]) => ({
    http,
    https,
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
  }));
  return modules;
}

async function nodeTransport(url: string, headers: Record<string, string>, signal: AbortSignal | undefined, credentials = CREDENTIAL_HEADERS): Promise<TransportResponse> {
  const m = await nodeModules();
  return follow((u, h, s) => nodeGet(m, u, h, s), url, headers, signal, credentials);
}

function nodeGet(m: NodeModules, url: URL, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<TransportResponse | { location: string }> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const https = url.protocol === "https:";
    let off = () => {};
    const done = () => off();
    const fail = (e: unknown) => {
      done();
      reject(e);
    };
    const req = (https ? m.https : m.http).get(url, { headers, agent: https ? m.httpsAgent : m.httpAgent }, (res) => {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (status >= 300 && status < 400 && status !== 304 && location) {
        res.resume();
        done();
        return resolve({ location });
      }
      if (status < 200 || status >= 300) {
        res.resume();
        done();
        return resolve({ status });
      }
      const parts: Uint8Array[] = [];
      let length = 0;
      res.on("data", (part: Uint8Array) => {
        parts.push(part);
        length += part.byteLength;
      });
      res.on("error", fail);
      res.on("aborted", () => fail(new TransferFault("content-length", "the response was cut off")));
      res.on("end", () => {
        done();
        try {
          checkLength(length, res.headers["content-length"], res.headers["content-encoding"] !== undefined);
        } catch (e) {
          return reject(e);
        }
        // One buffer of exactly the body's size, owned by the caller (never a pooled slice).
        const bytes = new Uint8Array(length);
        let o = 0;
        for (const p of parts) {
          bytes.set(p, o);
          o += p.byteLength;
        }
        const out: TransportResponse = { status, bytes };
        const type = res.headers["content-type"];
        if (type !== undefined) out.contentType = type;
        resolve(out);
      });
    });
    req.on("error", fail);
    if (signal) off = onAbort(signal, () => req.destroy(signal.reason instanceof Error ? signal.reason : new Error("aborted")));
  });
}
