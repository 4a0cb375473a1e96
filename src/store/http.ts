import { AbortedError, HttpError } from "../errors.ts";
import { Limiter } from "./limiter.ts";
import { defaultTransport, type Transport } from "./transport.ts";
import { emptyStats, type RangeQuery, type ReadableStore, type StoreStats } from "./types.ts";

/** Options of {@link HttpStore}. */
export interface HttpStoreOptions {
  /** Tries per request, the first included, for 5xx answers and network errors (default 4). */
  maxTries?: number;
  /** Delay before the first retry in ms; doubles each time, with jitter (default 100). */
  backoffMs?: number;
  /** Requests in flight at most (default 16). */
  maxConcurrency?: number;
  /** Extra request headers (e.g. authorization). */
  headers?: Record<string, string>;
  /**
   * The fetch to use. Default: `globalThis.fetch`, except in Node, where requests go through
   * `node:http` / `node:https` (keep-alive, redirects followed), which costs far less CPU per
   * chunk than Node's fetch; pass `fetch` to use it anyway.
   */
  fetch?: typeof fetch;
}

/**
 * A zarr store over HTTP(S) with range requests, retries with exponential
 * backoff on 5xx answers and network errors, bounded concurrency, and
 * `AbortSignal` support. A 404 reads as a missing key (zarr's fill value).
 *
 * @example
 * ```ts
 * const store = new HttpStore("https://example.org/jrc_hela-2.zarr", { maxConcurrency: 8 });
 * const bytes = await store.get("/recon-1/em/fibsem-uint8/.zattrs");
 * ```
 */
export class HttpStore implements ReadableStore {
  readonly url: string;
  readonly stats: StoreStats = emptyStats();
  readonly #limiter: Limiter;
  readonly #maxTries: number;
  readonly #backoffMs: number;
  readonly #headers: Record<string, string>;
  readonly #transport: Transport;

  constructor(url: string, options: HttpStoreOptions = {}) {
    this.url = url.replace(/\/+$/, "");
    this.#limiter = new Limiter(options.maxConcurrency ?? 16);
    this.#maxTries = Math.max(1, options.maxTries ?? 4);
    this.#backoffMs = options.backoffMs ?? 100;
    this.#headers = options.headers ?? {};
    this.#transport = defaultTransport(options.fetch);
  }

  get(key: `/${string}`, opts: { signal?: AbortSignal } = {}): Promise<Uint8Array | undefined> {
    return this.#request(key, undefined, opts.signal);
  }

  getRange(key: `/${string}`, range: RangeQuery, opts: { signal?: AbortSignal } = {}): Promise<Uint8Array | undefined> {
    return this.#request(key, range, opts.signal);
  }

  async #request(key: string, range: RangeQuery | undefined, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
    const url = this.url + key;
    const headers: Record<string, string> = { ...this.#headers };
    if (range) {
      headers["Range"] = "suffixLength" in range
        ? `bytes=-${range.suffixLength}`
        : `bytes=${range.offset}-${range.offset + range.length - 1}`;
    }
    let lastStatus: number | undefined;
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.#maxTries; attempt++) {
      if (attempt > 1) {
        this.stats.retries++;
        const delay = this.#backoffMs * 2 ** (attempt - 2) * (0.5 + Math.random() / 2);
        await sleep(delay, signal);
      }
      const result = await this.#limiter.run(async () => {
        this.stats.requests++;
        this.stats.inFlight++;
        try {
          const res = await this.#transport(url, headers, signal);
          if (res.status === 404) return { kind: "missing" as const };
          if (res.bytes) {
            const bytes = res.bytes;
            this.stats.bytes += bytes.byteLength;
            return { kind: "ok" as const, bytes: res.status === 200 && range ? sliceFull(bytes, range) : bytes };
          }
          return { kind: "status" as const, status: res.status };
        } catch (e) {
          if (signal?.aborted) throw new AbortedError(`GET ${url}`, { cause: signal.reason });
          return { kind: "network" as const, error: e };
        } finally {
          this.stats.inFlight--;
        }
      }, signal);
      if (result.kind === "ok") return result.bytes;
      if (result.kind === "missing") return undefined;
      if (result.kind === "status") {
        lastStatus = result.status;
        lastError = undefined;
        const retriable = result.status >= 500 || result.status === 429 || result.status === 408;
        if (!retriable) throw new HttpError(url, result.status, attempt);
      } else {
        lastStatus = undefined;
        lastError = result.error;
      }
    }
    throw new HttpError(url, lastStatus, this.#maxTries, lastError === undefined ? undefined : { cause: lastError });
  }
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
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new AbortedError("retry wait", { cause: signal?.reason }));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
