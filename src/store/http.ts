import { onAbort } from "../abort.ts";
import { AbortedError, HttpError, redactUrl, throwIfAborted } from "../errors.ts";
import { encodeKeyPath } from "./key-path.ts";
import { Limiter } from "./limiter.ts";
import { CREDENTIAL_HEADERS, defaultTransport, TransferFault, type Transport } from "./transport.ts";
import { emptyStats, type RangeQuery, type ReadableStore, type StoreStats } from "./types.ts";

/** Options of {@link HttpStore}. */
export interface HttpStoreOptions {
  /**
   * Tries per request, the first included, for 5xx answers, network errors, timeouts and faults
   * seen in transit (a body cut short, an HTML page instead of data) (default 4).
   */
  maxTries?: number;
  /** Delay before the first retry in ms; doubles each time, with jitter (default 100). */
  backoffMs?: number;
  /** Requests in flight at most (default 16). */
  maxConcurrency?: number;
  /** How long one try may take, headers and body, before it is abandoned and retried, in ms (default 30 000). */
  timeoutMs?: number;
  /** How long one read may take in all, retries and waits included, in ms (default: no limit beyond the tries). */
  deadlineMs?: number;
  /**
   * Extra request headers (e.g. authorization). Their values never appear in errors or logs;
   * `Authorization`, `Cookie`, `Proxy-Authorization` and `X-Api-Key` never follow a redirect to
   * another origin.
   */
  headers?: Record<string, string>;
  /** More header names that carry credentials and must stay with their origin. */
  credentialHeaders?: string[];
  /**
   * The fetch to use. Default: `globalThis.fetch`, except in Node, where requests go through
   * `node:http` / `node:https` (keep-alive, redirects followed), which costs far less CPU per
   * chunk than Node's fetch; pass `fetch` to use it anyway.
   */
  fetch?: typeof fetch;
}

/** Keys of metadata documents, which servers may label as text; any other key is binary data. */
const METADATA_KEY = /(^|\/)(\.zarray|\.zattrs|\.zgroup|\.zmetadata|zarr\.json)$/;

/**
 * A zarr store over HTTP(S) with range requests, retries with exponential backoff on 5xx
 * answers, network errors, timeouts and faults seen in transit, bounded concurrency, and
 * `AbortSignal` support. A 404 reads as a missing key (zarr's fill value). A query string on the
 * URL (a token, a signature) is kept on every request made under it, and never shown in errors.
 *
 * @example
 * ```ts
 * const store = new HttpStore("https://example.org/jrc_hela-2.zarr", { maxConcurrency: 8 });
 * const bytes = await store.get("/recon-1/em/fibsem-uint8/.zattrs");
 * ```
 */
export class HttpStore implements ReadableStore {
  /** The root URL, query included (it is sent with every request). */
  readonly url: string;
  readonly stats: StoreStats = emptyStats();
  readonly #base: string;
  readonly #query: string;
  readonly #limiter: Limiter;
  readonly #maxTries: number;
  readonly #backoffMs: number;
  readonly #timeoutMs: number;
  readonly #deadlineMs: number | undefined;
  readonly #headers: Record<string, string>;
  readonly #credentials: ReadonlySet<string>;
  readonly #transport: Transport;

  constructor(url: string, options: HttpStoreOptions = {}) {
    const q = url.search(/[?#]/);
    const query = q >= 0 && url[q] === "?" ? url.slice(q).replace(/#.*$/, "") : "";
    this.#base = (q >= 0 ? url.slice(0, q) : url).replace(/\/+$/, "");
    this.#query = query === "?" ? "" : query;
    this.url = this.#base + this.#query;
    this.#limiter = new Limiter(options.maxConcurrency ?? 16);
    this.#maxTries = Math.max(1, options.maxTries ?? 4);
    this.#backoffMs = options.backoffMs ?? 100;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#deadlineMs = options.deadlineMs;
    this.#headers = options.headers ?? {};
    this.#credentials = new Set([...CREDENTIAL_HEADERS, ...(options.credentialHeaders ?? []).map((h) => h.toLowerCase())]);
    this.#transport = defaultTransport(options.fetch);
  }

  get(key: `/${string}`, opts: { signal?: AbortSignal } = {}): Promise<Uint8Array | undefined> {
    return this.#request(key, undefined, opts.signal);
  }

  getRange(key: `/${string}`, range: RangeQuery, opts: { signal?: AbortSignal } = {}): Promise<Uint8Array | undefined> {
    return this.#request(key, range, opts.signal);
  }

  async #request(key: string, range: RangeQuery | undefined, outer: AbortSignal | undefined): Promise<Uint8Array | undefined> {
    // Keys are raw zarr keys (a level written by zarr-python 3 may be named "s0#1"): encode them.
    const url = this.#base + encodeKeyPath(key) + this.#query;
    const shown = redactUrl(url);
    const headers: Record<string, string> = { ...this.#headers };
    if (range) {
      headers["Range"] = "suffixLength" in range
        ? `bytes=-${range.suffixLength}`
        : `bytes=${range.offset}-${range.offset + range.length - 1}`;
    }
    const deadline = this.#deadlineMs === undefined ? undefined : timer(this.#deadlineMs, outer);
    const signal = deadline?.signal ?? outer;
    const binary = !METADATA_KEY.test(key);
    let last: { status: number | undefined; detail: string; cause: unknown } = { status: undefined, detail: "network error", cause: undefined };
    try {
      for (let attempt = 1; attempt <= this.#maxTries; attempt++) {
        if (attempt > 1) {
          this.stats.retries++;
          const delay = this.#backoffMs * 2 ** (attempt - 2) * (0.5 + Math.random() / 2);
          await sleep(delay, signal);
        }
        const result = await this.#limiter.run(async () => {
          this.stats.requests++;
          this.stats.inFlight++;
          const attemptTimer = timer(this.#timeoutMs, signal);
          try {
            const res = await this.#transport(url, headers, attemptTimer.signal, this.#credentials);
            if (res.status === 404) return { kind: "missing" as const };
            if (res.bytes) {
              const bytes = res.bytes;
              this.stats.bytes += bytes.byteLength;
              const page = errorPage(res.contentType, binary, bytes);
              if (page) return { kind: "fault" as const, status: res.status, detail: `HTTP ${res.status} with ${page} instead of data`, cause: undefined };
              return { kind: "ok" as const, bytes: res.status === 200 && range ? sliceFull(bytes, range) : bytes };
            }
            return { kind: "status" as const, status: res.status };
          } catch (e) {
            throwIfAborted(outer, `GET ${shown}`);
            if (deadline?.fired) throw deadlineError(shown, this.#deadlineMs!, attempt, last);
            if (attemptTimer.fired) return { kind: "fault" as const, status: undefined, detail: `no answer within ${this.#timeoutMs} ms`, cause: undefined };
            if (e instanceof TransferFault) return { kind: "fault" as const, status: undefined, detail: e.message, cause: undefined };
            return { kind: "fault" as const, status: undefined, detail: networkDetail(e), cause: scrub(e, url, headers) };
          } finally {
            attemptTimer.dispose();
            this.stats.inFlight--;
          }
        }, signal);
        if (result.kind === "ok") return result.bytes;
        if (result.kind === "missing") return undefined;
        if (result.kind === "status") {
          last = { status: result.status, detail: `HTTP ${result.status}`, cause: undefined };
          const retriable = result.status >= 500 || result.status === 429 || result.status === 408;
          if (!retriable) throw new HttpError(shown, result.status, attempt);
        } else {
          last = result;
        }
      }
    } catch (e) {
      if (outer?.aborted && !(e instanceof AbortedError)) throw new AbortedError(`GET ${shown}`, { cause: outer.reason });
      if (deadline?.fired && !(e instanceof HttpError)) throw deadlineError(shown, this.#deadlineMs!, this.#maxTries, last);
      throw e;
    } finally {
      deadline?.dispose();
    }
    const opts: { cause?: unknown; detail: string } = { detail: last.detail };
    if (last.cause !== undefined) opts.cause = last.cause;
    throw new HttpError(shown, last.status, this.#maxTries, opts);
  }
}

/**
 * What an answer that should be data looks like when it is an error page, or undefined. HTML is
 * always an error page. Some hosts label every file as text (raw.githubusercontent.com says
 * `text/plain`), so a text type on data is a page only when the body reads as text too: chunk
 * bytes (compressed, or a header such as blosc's) hold control bytes or bytes above 0x7f.
 */
function errorPage(contentType: string | undefined, binary: boolean, body: Uint8Array): string | undefined {
  const type = contentType?.split(";")[0]?.trim().toLowerCase();
  if (!type) return undefined;
  if (type === "text/html" || type === "application/xhtml+xml") return `an HTML page (${type})`;
  if (binary && type.startsWith("text/") && readsAsText(body)) return `a text page (${type})`;
  return undefined;
}

/** Whether the first bytes are printable ASCII or whitespace only. */
function readsAsText(body: Uint8Array): boolean {
  const n = Math.min(body.length, 512);
  for (let i = 0; i < n; i++) {
    const b = body[i]!;
    if (b > 0x7e || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) return false;
  }
  return true;
}

/** A timer that aborts its signal after `ms`, or when `parent` aborts. */
function timer(ms: number, parent: AbortSignal | undefined): { signal: AbortSignal; readonly fired: boolean; dispose(): void } {
  const ac = new AbortController();
  let fired = false;
  const offParent = parent ? onAbort(parent, () => ac.abort(parent.reason)) : () => {};
  const t = Number.isFinite(ms) ? setTimeout(() => {
    fired = true;
    ac.abort(new Error(`no answer within ${ms} ms`));
  }, ms) : undefined;
  return {
    signal: ac.signal,
    get fired() {
      return fired;
    },
    dispose() {
      clearTimeout(t);
      offParent();
    },
  };
}

function deadlineError(shown: string, ms: number, attempts: number, last: { status: number | undefined; detail: string }): HttpError {
  return new HttpError(shown, last.status, attempts, { detail: `no answer within the deadline of ${ms} ms (last try: ${last.detail})` });
}

/** What a network error means, in words a user can act on. */
function networkDetail(e: unknown): string {
  const codes: Record<string, string> = {
    ECONNREFUSED: "connection refused (is the server running?)",
    ECONNRESET: "connection reset by the server",
    ENOTFOUND: "host not found",
    EAI_AGAIN: "host name lookup failed",
    ETIMEDOUT: "connection timed out",
    EHOSTUNREACH: "host unreachable",
    ECONNABORTED: "connection aborted",
    EPIPE: "connection closed by the server",
  };
  let cur: unknown = e;
  for (let depth = 0; cur && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && codes[code]) return `network error: ${codes[code]}`;
    const message = (cur as { message?: unknown }).message;
    if (typeof message === "string") {
      if (/connection refused/i.test(message)) return `network error: ${codes["ECONNREFUSED"]}`;
      if (/failed to fetch|networkerror|load failed/i.test(message)) {
        return "network error: blocked by CORS or the network (the browser does not say which; the server must send Access-Control-Allow-Origin for this page)";
      }
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return "network error";
}

/** An error to keep as a cause, its messages stripped of the query and of header values. */
function scrub(e: unknown, url: string, headers: Record<string, string>): Error {
  const secrets = Object.values(headers).filter((v) => v.length >= 4);
  const q = url.indexOf("?");
  if (q >= 0 && url.length - q > 1) secrets.push(url.slice(q + 1));
  const clean = (text: string) => secrets.reduce((t, v) => t.split(v).join("…"), text);
  const inner = (e as { cause?: unknown }).cause;
  const out = new Error(clean(e instanceof Error ? e.message : String(e)), inner === undefined ? undefined : { cause: scrub(inner, url, headers) });
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string") (out as Error & { code?: string }).code = code;
  if (e instanceof Error) out.name = e.name;
  return out;
}

/** A server that ignores Range answers 200 with the whole object: cut the asked part out. */
function sliceFull(bytes: Uint8Array, range: RangeQuery): Uint8Array {
  if ("suffixLength" in range) return bytes.subarray(Math.max(0, bytes.length - range.suffixLength));
  return bytes.subarray(range.offset, range.offset + range.length);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError("retry wait", { cause: signal.reason }));
    const t = setTimeout(() => {
      off();
      resolve();
    }, ms);
    const off = signal ? onAbort(signal, () => {
      clearTimeout(t);
      reject(new AbortedError("retry wait", { cause: signal.reason }));
    }) : () => {};
  });
}
