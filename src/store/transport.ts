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

/** What a GET answered: its status, and the body of a 2xx answer. */
export interface TransportResponse {
  status: number;
  bytes?: Uint8Array<ArrayBuffer>;
}

/** Send one GET. Rejects on network errors and aborts; any HTTP status resolves. */
export type Transport = (url: string, headers: Record<string, string>, signal: AbortSignal | undefined) => Promise<TransportResponse>;

/** A transport over a `fetch` function. */
export function fetchTransport(fetchFn: typeof fetch): Transport {
  return async (url, headers, signal) => {
    const init: RequestInit = { headers };
    if (signal) init.signal = signal;
    const res = await fetchFn(url, init);
    if (res.ok) return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) };
    await res.body?.cancel();
    return { status: res.status };
  };
}

/** `node:http` in Node when no `fetch` is given; else that `fetch`, or the global one. */
export function defaultTransport(fetchFn: typeof fetch | undefined): Transport {
  if (fetchFn) return fetchTransport(fetchFn);
  if (isNode()) return nodeTransport;
  return fetchTransport(globalThis.fetch.bind(globalThis));
}

function isNode(): boolean {
  const g = globalThis as { Deno?: unknown; process?: { versions?: { node?: string } }; window?: unknown };
  return g.Deno === undefined && typeof g.process?.versions?.node === "string" && g.window === undefined;
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

const MAX_REDIRECTS = 5;

async function nodeTransport(url: string, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<TransportResponse> {
  const m = await nodeModules();
  let target = new URL(url);
  let sent = headers;
  for (let hop = 0; ; hop++) {
    const res = await nodeGet(m, target, sent, signal);
    if (!("location" in res)) return res;
    if (hop === MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects from ${url}`);
    const next = new URL(res.location, target);
    // As fetch does: credentials do not follow a redirect to another origin.
    if (next.origin !== target.origin) sent = Object.fromEntries(Object.entries(sent).filter(([k]) => k.toLowerCase() !== "authorization"));
    target = next;
  }
}

function nodeGet(m: NodeModules, url: URL, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<TransportResponse | { location: string }> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const https = url.protocol === "https:";
    const onAbort = () => req.destroy(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
    const done = () => signal?.removeEventListener("abort", onAbort);
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
      res.on("aborted", () => fail(new Error(`${url.href}: the response was cut off`)));
      res.on("end", () => {
        done();
        // One buffer of exactly the body's size, owned by the caller (never a pooled slice).
        const bytes = new Uint8Array(length);
        let o = 0;
        for (const p of parts) {
          bytes.set(p, o);
          o += p.byteLength;
        }
        resolve({ status, bytes });
      });
    });
    req.on("error", fail);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
