import { AbortedError, throwIfAborted } from "../errors.ts";
import type { ChunkRequest, ChunkResult } from "./chunk-reader.ts";
import { fromWire } from "./errors-wire.ts";
import { createFetchWorkerApi } from "./fetch-worker-api.ts";
import type { FetchWorkerApi, WorkerAnswer } from "./protocol.ts";
import { spawnFetchWorker, type SpawnedWorker } from "./spawn.ts";

/** Options of {@link WorkerPool.create}. */
export interface WorkerPoolOptions {
  /** Number of workers (default: min(4, hardware threads)); 0 reads on the calling thread. */
  size?: number;
}

interface Slot {
  worker: SpawnedWorker | undefined;
  api: Pick<FetchWorkerApi, "read" | "cancel"> | { read: FetchWorkerApi["read"]; cancel: FetchWorkerApi["cancel"] };
  inFlight: number;
}

/**
 * A pool of comlink workers that fetch and decode chunks. Each read goes to
 * the least busy worker; aborting a read cancels it inside the worker too.
 *
 * @example
 * ```ts
 * const pool = await WorkerPool.create({ size: 2 });
 * const { words } = await pool.read(request, { signal });
 * pool.terminate();
 * ```
 */
export class WorkerPool {
  readonly #slots: Slot[];
  #nextId = 1;
  #terminated = false;

  private constructor(slots: Slot[]) {
    this.#slots = slots;
  }

  /** Start a pool. */
  static async create(options: WorkerPoolOptions = {}): Promise<WorkerPool> {
    const hw = (globalThis.navigator as { hardwareConcurrency?: number } | undefined)?.hardwareConcurrency ?? 2;
    const size = options.size ?? Math.max(1, Math.min(4, hw));
    if (size === 0) {
      const api = createFetchWorkerApi();
      return new WorkerPool([{ worker: undefined, api, inFlight: 0 }]);
    }
    const workers = await Promise.all(Array.from({ length: size }, (_, i) => spawnFetchWorker(`cellmap-fetch-${i}`)));
    for (const w of workers) w.setIdle(true);
    return new WorkerPool(workers.map((w) => ({ worker: w, api: w.api as unknown as FetchWorkerApi, inFlight: 0 })));
  }

  /** Workers in the pool (0 when reading in-process). */
  get size(): number {
    return this.#slots[0]?.worker ? this.#slots.length : 0;
  }

  /** Reads running now. */
  get inFlight(): number {
    return this.#slots.reduce((a, s) => a + s.inFlight, 0);
  }

  /** Fetch and decode one chunk in a worker. */
  async read(req: ChunkRequest, options: { signal?: AbortSignal } = {}): Promise<ChunkResult> {
    if (this.#terminated) throw new Error("WorkerPool was terminated");
    const { signal } = options;
    throwIfAborted(signal, `chunk ${req.coords.join("/")} of ${req.url}${req.path}`);
    let slot = this.#slots[0]!;
    for (const s of this.#slots) if (s.inFlight < slot.inFlight) slot = s;
    const id = this.#nextId++;
    if (slot.inFlight++ === 0) slot.worker?.setIdle(false);
    const onAbort = () => void slot.api.cancel(id);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const answer: WorkerAnswer = await slot.api.read(id, req);
      if (!answer.ok) {
        if (signal?.aborted) throw new AbortedError(`chunk ${req.coords.join("/")} of ${req.url}${req.path}`, { cause: signal.reason });
        throw fromWire(answer.error);
      }
      return answer.result;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      if (--slot.inFlight === 0) slot.worker?.setIdle(true);
    }
  }

  /** Stop all workers. Reads in flight are abandoned. */
  terminate(): void {
    this.#terminated = true;
    for (const s of this.#slots) s.worker?.terminate();
  }
}
