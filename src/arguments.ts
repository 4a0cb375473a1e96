/**
 * Argument checks shared by the public entry points: option objects (unknown keys named, with the
 * nearest valid one), 3-vectors (shapes, voxel sizes, centers; readonly tuples and `as const`
 * accepted), counts, and the options every array opener takes. Each raises an
 * {@link ArgumentError} naming the field, before anything is allocated.
 *
 * @example
 * ```ts
 * checkOptions("CellMapDataset.open", options, ["inputPath", "inputArrays"]);
 * // ArgumentError: inputArray is not an option of CellMapDataset.open; did you mean inputArrays?
 * const shape = checkVec3("shape", [64, 64, 64] as const, "shape");
 * ```
 * @module
 */

import { ArgumentError } from "./errors.ts";
import type { Vec3 } from "./geometry/types.ts";


/** Workers a pool may have at most: more cost memory and threads and read no faster. */
export const MAX_WORKERS = 64;

/** Whether `v` is a plain object (not null, not an array). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Edit distance between two short strings (case-insensitive). */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The valid name closest to `name`, when it is close enough to be a likely typo.
 *
 * @example
 * ```ts
 * nearestName("inputArray", ["inputArrays", "targetArrays"]); // "inputArrays"
 * ```
 */
export function nearestName(name: string, valid: readonly string[]): string | undefined {
  // A key inside the name, or the name inside a key ("outputPath" -> "path", "worker" -> "workers").
  const lower = name.toLowerCase();
  const inside = valid.filter((v) => lower.includes(v.toLowerCase()) || v.toLowerCase().includes(lower));
  if (inside.length > 0) return inside.reduce((a, b) => (Math.abs(b.length - name.length) < Math.abs(a.length - name.length) ? b : a));
  let best: string | undefined;
  let bestD = Infinity;
  for (const v of valid) {
    const d = distance(name, v);
    if (d < bestD) {
      best = v;
      bestD = d;
    }
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * Check that `options` is an object whose keys are all in `known`.
 *
 * @param where the entry point, named in messages ("CellMapDataset.open")
 * @param field the option object's own name in messages, "" for top-level options
 * @throws {ArgumentError} when `options` is not an object (field `options`, or `field`), or for the
 *   first unknown key (field: the key), suggesting the nearest valid key
 */
export function checkOptions(where: string, options: unknown, known: readonly string[], field = ""): void {
  if (!isPlainObject(options)) {
    throw new ArgumentError(field || "options", `of ${where} must be an object`, options);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = nearestName(key, known);
    const name = field ? `${field}.${key}` : key;
    throw new ArgumentError(
      name,
      `is not an option of ${where}${near === undefined ? `; valid: ${known.join(", ")}` : `; did you mean ${field ? `${field}.` : ""}${near}?`}`,
    );
  }
}

/** What a 3-vector must hold. */
export type Vec3Kind = "shape" | "scale" | "point";

const VEC3_RULES: Readonly<Record<Vec3Kind, { ok: (x: number) => boolean; says: string }>> = {
  shape: { ok: (x) => Number.isSafeInteger(x) && x >= 1, says: "must be three positive integers [z, y, x]" },
  scale: { ok: (x) => Number.isFinite(x) && x > 0, says: "must be three positive numbers [z, y, x] (world units per voxel)" },
  point: { ok: (x) => Number.isFinite(x), says: "must be three finite numbers [z, y, x] (world units)" },
};

/**
 * A z, y, x vector from any array-like of three numbers (readonly tuples and `as const` included).
 *
 * @throws {ArgumentError} naming `field` when `v` is not three numbers of the kind
 */
export function checkVec3(field: string, v: unknown, kind: Vec3Kind): Vec3 {
  const rule = VEC3_RULES[kind];
  if (!Array.isArray(v) && !ArrayBuffer.isView(v)) throw new ArgumentError(field, rule.says, v);
  const a = v as ArrayLike<unknown>;
  if (a.length !== 3 || ![0, 1, 2].every((k) => typeof a[k] === "number" && rule.ok(a[k] as number))) {
    throw new ArgumentError(field, rule.says, Array.isArray(v) ? v : Array.from(a as ArrayLike<number>));
  }
  return [a[0] as number, a[1] as number, a[2] as number];
}

/**
 * An integer in `[min, max]`.
 *
 * @throws {ArgumentError} naming `field` otherwise
 */
export function checkInteger(field: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER, hint = ""): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new ArgumentError(field, `must be an integer ${range}${hint}`, v);
  }
  return v;
}

/** The keys of the options every array opener takes (CellMapArray.open and what opens arrays for you). */
export const ARRAY_OPEN_KEYS = ["gpu", "device", "cacheBytes", "pool", "workers", "cpuWorkers", "storeOptions", "signal"] as const;

/**
 * Check the options shared by everything that opens arrays: `device`, `cacheBytes`, `workers`,
 * `pool`, `storeOptions` (its numbers; other keys are the store's) and `signal`.
 *
 * @throws {ArgumentError} naming the field
 */
export function checkArrayOpenOptions(o: Record<string, unknown>): void {
  const device = o["device"];
  if (device !== undefined && device !== "gpu" && device !== "cpu" && device !== "auto") {
    throw new ArgumentError("device", 'must be "gpu", "cpu" or "auto"', device);
  }
  const cacheBytes = o["cacheBytes"];
  if (cacheBytes !== undefined && !(typeof cacheBytes === "number" && cacheBytes > 0 && Number.isFinite(cacheBytes))) {
    throw new ArgumentError("cacheBytes", "must be a positive number of bytes", cacheBytes);
  }
  if (o["workers"] !== undefined) {
    checkInteger("workers", o["workers"], 0, MAX_WORKERS, ` (0 reads on the calling thread; more than ${MAX_WORKERS} workers read no faster)`);
  }
  if (o["cpuWorkers"] !== undefined) checkInteger("cpuWorkers", o["cpuWorkers"], 0, 256, " (0 resamples on the calling thread)");
  const gpu = o["gpu"];
  if (gpu !== undefined && !(isPlainObjectLike(gpu) && "device" in gpu)) {
    throw new ArgumentError("gpu", "must be a GpuContext (await GpuContext.create())", typeof gpu);
  }
  const pool = o["pool"];
  if (pool !== undefined && !(isPlainObjectLike(pool) && typeof (pool as { read?: unknown }).read === "function")) {
    throw new ArgumentError("pool", "must be a WorkerPool (await WorkerPool.create())", typeof pool);
  }
  const signal = o["signal"];
  if (signal !== undefined && !(isPlainObjectLike(signal) && typeof (signal as { aborted?: unknown }).aborted === "boolean")) {
    throw new ArgumentError("signal", "must be an AbortSignal", typeof signal);
  }
  if (o["storeOptions"] !== undefined) checkStoreOptions(o["storeOptions"]);
}

function isPlainObjectLike(v: unknown): v is object {
  return typeof v === "object" && v !== null;
}

/**
 * Check the HTTP store options the library knows: tries, backoff, concurrency, timeouts, headers
 * and credential header names.
 *
 * @throws {ArgumentError} naming `storeOptions.<key>`
 */
export function checkStoreOptions(s: unknown): void {
  if (!isPlainObject(s)) throw new ArgumentError("storeOptions", "must be an object", s);
  if (s["maxTries"] !== undefined) checkInteger("storeOptions.maxTries", s["maxTries"], 1, 100);
  if (s["maxConcurrency"] !== undefined) checkInteger("storeOptions.maxConcurrency", s["maxConcurrency"], 1, 1024);
  const backoff = s["backoffMs"];
  if (backoff !== undefined && !(typeof backoff === "number" && backoff >= 0 && Number.isFinite(backoff))) {
    throw new ArgumentError("storeOptions.backoffMs", "must be a number of milliseconds >= 0", backoff);
  }
  const headers = s["headers"];
  if (headers !== undefined) {
    if (!isPlainObject(headers)) throw new ArgumentError("storeOptions.headers", "must be an object of header names to string values");
    for (const [k, v] of Object.entries(headers)) {
      // The value is not shown: headers carry credentials.
      if (typeof v !== "string") throw new ArgumentError(`storeOptions.headers.${k}`, "must be a string");
    }
  }
  if (s["fetch"] !== undefined && typeof s["fetch"] !== "function") throw new ArgumentError("storeOptions.fetch", "must be a fetch function", typeof s["fetch"]);
  for (const key of ["timeoutMs", "deadlineMs"]) {
    const ms = s[key];
    if (ms !== undefined && !(typeof ms === "number" && ms > 0 && !Number.isNaN(ms))) throw new ArgumentError(`storeOptions.${key}`, "must be a number of milliseconds > 0", ms);
  }
  const names = s["credentialHeaders"];
  if (names !== undefined && !(Array.isArray(names) && names.every((n) => typeof n === "string"))) {
    throw new ArgumentError("storeOptions.credentialHeaders", "must be a list of header names");
  }
}
