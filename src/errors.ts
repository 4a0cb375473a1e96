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
  | "value-range";

/** Base class of all library errors. */
export class CellMapError extends Error {
  readonly tag: CellMapErrorTag;
  constructor(tag: CellMapErrorTag, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.tag = tag;
    this.name = "CellMapError";
  }
}

/** Malformed or unsupported metadata: names the file, the field and the bad value. */
export class MetadataError extends CellMapError {
  readonly url: string;
  readonly field: string;
  readonly value: unknown;
  constructor(url: string, field: string, problem: string, value?: unknown, options?: { cause?: unknown }) {
    const shown = value === undefined ? "" : ` (got ${preview(value)})`;
    super("metadata", `${url}: ${field} ${problem}${shown}`, options);
    this.name = "MetadataError";
    this.url = url;
    this.field = field;
    this.value = value;
  }
}

/** An HTTP request failed for good (after retries where they apply). */
export class HttpError extends CellMapError {
  readonly url: string;
  readonly status: number | undefined;
  readonly attempts: number;
  constructor(url: string, status: number | undefined, attempts: number, options?: { cause?: unknown }) {
    const what = status === undefined ? "network error" : `HTTP ${status}`;
    super("http", `${url}: ${what} after ${attempts} ${attempts === 1 ? "try" : "tries"}`, options);
    this.name = "HttpError";
    this.url = url;
    this.status = status;
    this.attempts = attempts;
  }
}

/** A chunk's bytes could not be decoded (corrupt data, wrong codec, wrong size). */
export class ChunkDecodeError extends CellMapError {
  readonly url: string;
  readonly key: string;
  constructor(url: string, key: string, detail: string, options?: { cause?: unknown }) {
    super("chunk-decode", `chunk ${key} of ${url}: ${detail}`, options);
    this.name = "ChunkDecodeError";
    this.url = url;
    this.key = key;
  }
}

/** A value does not fit the 32-bit element types the GPU path stores. */
export class ValueRangeError extends CellMapError {
  readonly url: string;
  readonly key: string;
  constructor(url: string, key: string, detail: string) {
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

/** The operation was cancelled through its AbortSignal. */
export class AbortedError extends CellMapError {
  constructor(what: string, options?: { cause?: unknown }) {
    super("aborted", `${what} was aborted`, options);
    this.name = "AbortError";
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
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
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
