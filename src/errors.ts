/**
 * Tagged error classes. Every error the library throws on bad input is a
 * {@link CellMapError} with a `tag` and typed fields, so callers can branch
 * with {@link isCellMapError} instead of parsing messages.
 *
 * @example
 * ```ts
 * try { await CellMapArray.open(url); }
 * catch (e) { if (isCellMapError(e, "metadata")) console.log(e.field, e.url); }
 * ```
 * @module
 */

import { onAbort } from "./abort.ts";

/** The tags of all error classes, one per failure kind. */
export type CellMapErrorTag =
  | "metadata"
  | "http"
  | "chunk-decode"
  | "argument"
  | "gpu"
  | "device-lost"
  | "budget"
  | "aborted"
  | "value-range"
  | "batch"
  | "worker";

/** Base class of all library errors. */
export class CellMapError extends Error {
  readonly tag: CellMapErrorTag;
  constructor(tag: CellMapErrorTag, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.tag = tag;
    this.name = "CellMapError";
  }
}

/**
 * A URL as messages show it: without its query string (which may hold a token or a signature)
 * and without user info; `?…` marks that a query was there.
 *
 * @example
 * ```ts
 * redactUrl("https://h/data.zarr?X-Amz-Signature=abc"); // "https://h/data.zarr?…"
 * ```
 */
export function redactUrl(url: string): string {
  let out = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@?#]*@/i, "$1");
  const q = out.search(/[?#]/);
  if (q >= 0) out = `${out.slice(0, q)}${out[q] === "?" ? "?…" : ""}`;
  return out;
}

/** Malformed or unsupported metadata: names the file, the field and the bad value. */
export class MetadataError extends CellMapError {
  readonly url: string;
  readonly field: string;
  readonly value: unknown;
  constructor(url: string, field: string, problem: string, value?: unknown, options?: { cause?: unknown }) {
    const shown = value === undefined ? "" : ` (got ${preview(value)})`;
    url = redactUrl(url);
    super("metadata", `${url}: ${field} ${problem}${shown}`, options);
    this.name = "MetadataError";
    this.url = url;
    this.field = field;
    this.value = value;
  }
}

/**
 * An HTTP request failed for good (after retries where they apply). `url` is shown without its
 * query; `detail` says what went wrong on the last try ("connection refused", "HTTP 503",
 * "no answer within 30000 ms", "body of 10 bytes, Content-Length 20").
 */
export class HttpError extends CellMapError {
  readonly url: string;
  readonly status: number | undefined;
  readonly attempts: number;
  readonly detail: string;
  constructor(url: string, status: number | undefined, attempts: number, options?: { cause?: unknown; detail?: string }) {
    const detail = options?.detail ?? (status === undefined ? "network error" : `HTTP ${status}`);
    url = redactUrl(url);
    super("http", `${url}: ${detail} after ${attempts} ${attempts === 1 ? "try" : "tries"}`, options);
    this.name = "HttpError";
    this.url = url;
    this.status = status;
    this.attempts = attempts;
    this.detail = detail;
  }
}

/**
 * Which check found a chunk's bytes bad: `content-length` (fewer or more bytes than announced),
 * `content-type` (an HTML or text page instead of data), `codec-header` (a compressor's header
 * disagrees with the bytes, e.g. blosc's compressed size), `decoded-size` (the chunk decoded to
 * the wrong number of bytes), `checksum` (a crc32c the data carries), or `decode` (the codec
 * failed). All of them can be faults in transit, so they are refetched before they are reported.
 */
export type IntegrityCheck = "content-length" | "content-type" | "codec-header" | "decoded-size" | "checksum" | "decode";

/** A chunk's bytes could not be decoded (corrupt data, wrong codec, wrong size). */
export class ChunkDecodeError extends CellMapError {
  readonly url: string;
  readonly key: string;
  /** The integrity check that failed, when one did. */
  readonly check: IntegrityCheck | undefined;
  constructor(url: string, key: string, detail: string, options?: { cause?: unknown; check?: IntegrityCheck }) {
    url = redactUrl(url);
    super("chunk-decode", `chunk ${key} of ${url}: ${detail}`, options);
    this.name = "ChunkDecodeError";
    this.url = url;
    this.key = key;
    this.check = options?.check;
  }
}

/** A value does not fit the 32-bit element types the GPU path stores. */
export class ValueRangeError extends CellMapError {
  readonly url: string;
  readonly key: string;
  constructor(url: string, key: string, detail: string) {
    url = redactUrl(url);
    super("value-range", `chunk ${key} of ${url}: ${detail}`);
    this.name = "ValueRangeError";
    this.url = url;
    this.key = key;
  }
}

/** A caller passed a wrong parameter; `field` names it. */
export class ArgumentError extends CellMapError {
  readonly field: string;
  /** What is wrong with the field, without its name: `message` is `field problem (got value)`. */
  readonly problem: string;
  readonly value: unknown;
  constructor(field: string, problem: string, value?: unknown) {
    const shown = value === undefined ? "" : ` (got ${preview(value)})`;
    super("argument", `${field} ${problem}${shown}`);
    this.name = "ArgumentError";
    this.field = field;
    this.problem = problem;
    this.value = value;
  }
}

/** WebGPU is missing, or a GPU operation failed validation. */
export class GpuError extends CellMapError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("gpu", message, options);
    this.name = "GpuError";
  }
}

/** The GPU device was lost; work in flight is rejected with this. */
export class DeviceLostError extends CellMapError {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super("device-lost", `GPU device lost (${reason}): ${message}. Create a new GpuContext to continue.`);
    this.name = "DeviceLostError";
    this.reason = reason;
  }
}

/** A single request needs more than the configured cache budget. */
export class BudgetError extends CellMapError {
  readonly needed: number;
  readonly budget: number;
  constructor(message: string, needed: number, budget: number) {
    super("budget", message);
    this.name = "BudgetError";
    this.needed = needed;
    this.budget = budget;
  }
}

/**
 * A loader batch could not be read (a chunk that stayed bad after its retries, say); `cause` is
 * the typed error of the read that failed. The loader goes on from the next batch with
 * `loader.batches(batch + 1)`, or skips such samples with `onError: "skip"`.
 */
export class BatchError extends CellMapError {
  readonly batch: number;
  readonly epoch: number;
  constructor(batch: number, epoch: number, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super("batch", `batch ${batch} of epoch ${epoch} could not be read: ${why}. Go on with loader.batches(${batch + 1}), or open the loader with onError: "skip"`, { cause });
    this.name = "BatchError";
    this.batch = batch;
    this.epoch = epoch;
  }
}

/** The operation was cancelled through its AbortSignal. */
export class AbortedError extends CellMapError {
  constructor(what: string, options?: { cause?: unknown }) {
    super("aborted", `${what} was aborted`, options);
    this.name = "AbortError";
  }
}

/**
 * A CPU executor's sample worker failed a task: the task threw, or the worker stopped while
 * running it. `worker` names the worker, `task` what it was computing; `cause` is the task's own
 * error when it threw.
 */
export class WorkerError extends CellMapError {
  readonly worker: string;
  readonly task: string;
  constructor(worker: string, task: string, detail: string, options?: { cause?: unknown }) {
    super("worker", `sample worker ${worker} failed ${task}: ${detail}`, options);
    this.name = "WorkerError";
    this.worker = worker;
    this.task = task;
  }
}

/** The error class of each tag, so that {@link isCellMapError} narrows to it. */
export interface CellMapErrorByTag {
  metadata: MetadataError;
  http: HttpError;
  "chunk-decode": ChunkDecodeError;
  argument: ArgumentError;
  gpu: GpuError;
  "device-lost": DeviceLostError;
  budget: BudgetError;
  aborted: AbortedError;
  "value-range": ValueRangeError;
  batch: BatchError;
  worker: WorkerError;
}

/**
 * Narrow an unknown error to a CellMapError, or with a tag to that tag's class (`"http"` to
 * {@link HttpError}, so `e.url` and `e.status` type-check).
 *
 * @example
 * ```ts
 * try { await CellMapArray.open(url); }
 * catch (e) { if (isCellMapError(e, "http")) console.log(e.status, e.url); }
 * ```
 */
export function isCellMapError(e: unknown): e is CellMapError;
export function isCellMapError<T extends CellMapErrorTag>(e: unknown, tag: T): e is CellMapErrorByTag[T];
export function isCellMapError(e: unknown, tag?: CellMapErrorTag): boolean {
  return e instanceof CellMapError && (tag === undefined || e.tag === tag);
}

/** Throw an {@link AbortedError} if the signal is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new AbortedError(what, { cause: signal.reason });
}

/**
 * `work`, rejected with an {@link AbortedError} naming `what` as soon as `signal` aborts (the work
 * itself goes on; use this for waits that cannot be cancelled, such as `mapAsync`).
 *
 * @example
 * ```ts
 * await abortable(buffer.mapAsync(GPUMapMode.READ), signal, "readBuffer");
 * ```
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (signal === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    const off = onAbort(signal, () => reject(signal.reason));
    work.then(resolve, reject).finally(off);
  }).catch((e: unknown) => {
    throwIfAborted(signal, what);
    throw e;
  });
}

function preview(value: unknown): string {
  let s: string;
  try {
    // NaN and the infinities as themselves, not as JSON's null.
    const keep = (_: string, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? `\u0001${v}\u0001` : v);
    s = (JSON.stringify(value, keep) ?? String(value)).replace(/"\\u0001(.*?)\\u0001"/g, "$1");
  } catch {
    s = String(value);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
