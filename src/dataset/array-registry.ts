/**
 * {@link ArrayRegistry}: opened arrays shared between datasets, so crops over one raw volume (and
 * the three datasets of 2D slices) keep one chunk cache per array and fetch each chunk once.
 * @module
 */

import { onAbort } from "../abort.ts";
import { CellMapArray, DEFAULT_CACHE_BYTES, type CellMapArrayOptions } from "../array/cellmap-array.ts";
import { AbortedError, ArgumentError, throwIfAborted } from "../errors.ts";
import type { GpuContext } from "../gpu/context.ts";
import { resolveLocation } from "../store/open.ts";
import { WorkerPool } from "../worker/pool.ts";

/** Options of {@link ArrayRegistry}'s constructor. */
export interface ArrayRegistryOptions {
  /**
   * Workers of the pool the registry creates (and owns) for arrays opened without a `pool`
   * (default: min(4, hardware threads); 0 reads on the calling thread).
   */
  workers?: number;
}

interface Entry {
  key: string;
  promise: Promise<CellMapArray>;
  array: CellMapArray | undefined;
  /** Callers waiting on the open, then references handed out. */
  refs: number;
  /** Cancels the shared open: aborted only when every caller waiting on it has aborted. */
  controller: AbortController;
  /** Set once the entry's pool lease and map entries are given back. */
  dropped: boolean;
  /** The options that must agree for an array to be shared, as first given. */
  shared: SharedOptions;
  /** Whether the array holds a lease on the registry's own pool. */
  leased: boolean;
}

interface SharedOptions {
  cacheBytes: number;
  storeOptions: unknown;
  pool: WorkerPool | undefined;
  workers: number | undefined;
  cpuWorkers: number | undefined;
}

const gpuIds = new WeakMap<GpuContext, number>();
let nextGpuId = 1;

function gpuId(gpu: GpuContext | undefined): number {
  if (!gpu) return 0;
  let id = gpuIds.get(gpu);
  if (id === undefined) gpuIds.set(gpu, (id = nextGpuId++));
  return id;
}

/** Structural equality of plain data (objects, arrays, primitives); anything else by identity. */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  // an options object with nothing set means what no object means
  if (a === undefined || b === undefined) return isEmptyPlain(a ?? b);
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const plain = (v: object) => Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null;
  if (!plain(a) || !plain(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** A plain object whose every key is undefined, e.g. `storeOptions: {}`. */
function isEmptyPlain(v: unknown): boolean {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return (proto === Object.prototype || proto === null) && Object.values(v).every((x) => x === undefined);
}

/**
 * Opened arrays shared by every dataset that reads the same array URL on the same device and
 * GPU context: one {@link CellMapArray} (one chunk cache, one fetch per chunk) however many
 * datasets, classes or slicing axes read it. Arrays are reference-counted: `open` takes a
 * reference, `release` gives it back, and the array is destroyed with its last reference, so
 * destroying one dataset never frees an array another still reads.
 *
 * The URL, `device` and `gpu` pick the array; `cacheBytes`, `storeOptions`, `pool` and `workers`
 * must then agree with the options it was first opened with (an {@link ArgumentError} naming the
 * field otherwise). Arrays opened without a `pool` read through one pool the registry creates,
 * and terminates when its last such array is released.
 *
 * A `signal` cancels only its own call: an open shared by several callers goes on while any of
 * them still waits, and is cancelled (and the array destroyed, should it open anyway) once all of
 * them have aborted.
 *
 * `CellMapDataSplit.open` and `openSlicedDatasets` make one for the datasets they open; pass
 * your own as `arrays` to share arrays between several `open` calls.
 *
 * @example
 * ```ts
 * const arrays = new ArrayRegistry();
 * const a = await CellMapDataset.open({ ...options, targetPath: `${root}/crop1/[mito]`, arrays });
 * const b = await CellMapDataset.open({ ...options, targetPath: `${root}/crop2/[mito]`, arrays });
 * a.input === b.input; // true: one raw array, one cache
 * a.destroy();         // b still reads
 * b.destroy();         // the raw array is freed now
 * ```
 */
export class ArrayRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #byArray = new Map<CellMapArray, Entry>();
  readonly #workers: number | undefined;
  #pool: Promise<WorkerPool> | undefined;
  #poolLeases = 0;
  #poolWorkers: number | undefined;

  constructor(options: ArrayRegistryOptions = {}) {
    if (options.workers !== undefined && !(Number.isInteger(options.workers) && options.workers >= 0)) {
      throw new ArgumentError("workers", "must be a non-negative integer", options.workers);
    }
    this.#workers = options.workers;
  }

  /** Arrays open now (each counted once however many references it has). */
  get size(): number {
    return this.#entries.size;
  }

  /** References held on an array opened here (0 when it is not, or no longer, open here). */
  refs(array: CellMapArray): number {
    return this.#byArray.get(array)?.refs ?? 0;
  }

  /**
   * The array at `location`, opened now or shared with an earlier call; one reference is taken.
   * Concurrent calls for one array share one open. Aborting `options.signal` rejects this call
   * at once with an {@link AbortedError}; the shared open is cancelled only when every call
   * waiting on it has aborted.
   *
   * @throws {ArgumentError} when `cacheBytes`, `storeOptions`, `pool` or `workers` differ from
   *   those the shared array was opened with (naming the field).
   * @throws {AbortedError} when `options.signal` aborts before the array is open.
   * @throws whatever {@link CellMapArray.open} throws; a failed open is not kept.
   */
  async open(location: string, options: CellMapArrayOptions = {}): Promise<CellMapArray> {
    const device = options.device ?? (options.gpu ? "gpu" : "cpu");
    const url = resolveLocation(location).replace(/\/+$/, "");
    const key = `${device}|${device === "gpu" ? gpuId(options.gpu) : 0}|${url}`;
    const shared: SharedOptions = {
      cacheBytes: options.cacheBytes ?? DEFAULT_CACHE_BYTES,
      storeOptions: options.storeOptions,
      pool: options.pool,
      workers: options.pool ? undefined : (options.workers ?? this.#workers),
      cpuWorkers: options.cpuWorkers,
    };
    const signal = options.signal;
    throwIfAborted(signal, `opening ${url}`);
    let entry = this.#entries.get(key);
    if (entry) {
      checkShared(entry.shared, shared, url);
    } else {
      entry = this.#start(key, location, options, shared);
    }
    const e = entry;
    e.refs++;
    return new Promise<CellMapArray>((resolve, reject) => {
      let settled = false;
      const off = signal ? onAbort(signal, () => {
        if (settled) return;
        settled = true;
        if (--e.refs === 0) this.#abandon(e, signal.reason);
        reject(new AbortedError(`opening ${url}`, { cause: signal.reason }));
      }) : () => {};
      e.promise.then((array) => {
        if (settled) return;
        settled = true;
        off();
        resolve(array);
      }, (err: unknown) => {
        if (settled) return;
        settled = true;
        off();
        e.refs--;
        reject(err);
      });
    });
  }

  /**
   * Give back one reference to an array from {@link open}; the last one destroys it. Arrays not
   * opened here are ignored.
   */
  release(array: CellMapArray): void {
    const entry = this.#byArray.get(array);
    if (!entry || --entry.refs > 0) return;
    this.#drop(entry);
    array.destroy();
  }

  #start(key: string, location: string, options: CellMapArrayOptions, shared: SharedOptions): Entry {
    const onRegistryPool = !options.pool;
    const controller = new AbortController();
    const entry: Entry = { key, promise: undefined as unknown as Promise<CellMapArray>, array: undefined, refs: 0, shared, leased: false, controller, dropped: false };
    entry.promise = (async () => {
      const arrayOptions: CellMapArrayOptions = { ...options, signal: controller.signal };
      delete arrayOptions.workers;
      if (onRegistryPool) {
        const pool = this.#leasePool(shared.workers);
        entry.leased = true;
        arrayOptions.pool = await pool;
      }
      const array = await CellMapArray.open(location, arrayOptions);
      if (controller.signal.aborted) {
        // Every caller gave up while the open was finishing: nobody will release it.
        array.destroy();
        throw new AbortedError(`opening ${array.url}`, { cause: controller.signal.reason });
      }
      entry.array = array;
      this.#byArray.set(array, entry);
      return array;
    })();
    entry.promise.catch(() => this.#drop(entry));
    this.#entries.set(key, entry);
    return entry;
  }

  #drop(entry: Entry): void {
    if (entry.dropped) return;
    entry.dropped = true;
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
    if (entry.array) this.#byArray.delete(entry.array);
    if (entry.leased) this.#returnPool();
  }

  /**
   * Every caller of an open still running has aborted: unlist it (a later call starts afresh) and
   * cancel it; it gives back its pool lease when it settles.
   */
  #abandon(entry: Entry, reason: unknown): void {
    if (entry.array) {
      // Open already (its holders released it while a late caller waited): free it now.
      this.#drop(entry);
      entry.array.destroy();
      return;
    }
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
    entry.controller.abort(reason);
  }

  /** Take a lease on the registry's pool, creating it on the first lease. */
  #leasePool(workers: number | undefined): Promise<WorkerPool> {
    if (this.#pool && this.#poolWorkers !== workers) {
      throw new ArgumentError("workers", `must be the same for every array of a registry: its pool was made with ${this.#poolWorkers ?? "the default"}`, workers);
    }
    if (!this.#pool) {
      const created = WorkerPool.create(workers === undefined ? {} : { size: workers });
      this.#pool = created;
      this.#poolWorkers = workers;
      created.catch(() => {
        if (this.#pool === created) this.#pool = undefined;
      });
    }
    this.#poolLeases++;
    return this.#pool;
  }

  #returnPool(): void {
    if (--this.#poolLeases > 0 || !this.#pool) return;
    const pool = this.#pool;
    this.#pool = undefined;
    void pool.then((p) => p.destroy(), () => {});
  }
}

function checkShared(first: SharedOptions, now: SharedOptions, url: string): void {
  const why = `must be the same for every dataset sharing ${url} (one array, one cache)`;
  if (first.cacheBytes !== now.cacheBytes) throw new ArgumentError("cacheBytes", `${why}: it was opened with ${first.cacheBytes}`, now.cacheBytes);
  if (!sameValue(first.storeOptions, now.storeOptions)) throw new ArgumentError("storeOptions", why, now.storeOptions);
  if (first.pool !== now.pool) throw new ArgumentError("pool", `${why}: pass the same WorkerPool, or none`);
  if (first.workers !== now.workers) throw new ArgumentError("workers", `${why}: it was opened with ${first.workers ?? "the default"}`, now.workers);
  if (first.cpuWorkers !== now.cpuWorkers) throw new ArgumentError("cpuWorkers", `${why}: it was opened with ${first.cpuWorkers ?? "the default"}`, now.cpuWorkers);
}
