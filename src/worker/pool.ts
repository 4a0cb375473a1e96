import { onAbort } from "../abort.ts";
import { checkInteger, checkOptions, MAX_WORKERS } from "../arguments.ts";
import { AbortedError, type ArgumentError, throwIfAborted } from "../errors.ts";
import { ChunkReader, type ChunkRequest, type ChunkResult } from "./chunk-reader.ts";
import type { MessageTally } from "./counted-endpoint.ts";
import { fromWire } from "./errors-wire.ts";
import { type FlushContext, flushSlot } from "./pool-flush.ts";
import { describeRead as describe, ParkedReads, type Pending, unreadable } from "./pool-read.ts";
import { pickSlot, type Slot, spawnSlot } from "./pool-slot.ts";
import type { WorkerPoolOptions, WorkerPoolStats } from "./pool-stats.ts";
import type { Answered, FetchWorkerCounts, WorkerAnswer } from "./protocol.ts";

export type { WorkerPoolOptions, WorkerPoolStats } from "./pool-stats.ts";

/**
 * A pool of comlink workers that fetch and decode chunks. Each read goes to the least busy
 * worker; reads asked in one turn of the event loop travel to a worker in one comlink call, and
 * answers come back in batches (one call from the worker each) with their buffers moved, not
 * copied. Aborting a read cancels it inside the worker too; a read that fails rejects alone, with
 * its typed error.
 *
 * @example
 * ```ts
 * const pool = await WorkerPool.create({ size: 2 });
 * // Both reads travel to the workers in one turn: one call per worker.
 * const [a, b] = await Promise.all([pool.read(first, { signal }), pool.read(second, { signal })]);
 * pool.destroy();
 * ```
 */
export class WorkerPool {
  readonly #slots: Slot[] = [];
  readonly #reader: ChunkReader | undefined;
  readonly #pending = new Map<number, Pending>();
  readonly #stats = { reads: 0, readsSent: 0, callsSent: 0, callsReceived: 0 };
  /** Every message on the workers' endpoints and answer channels, counted as it crosses. */
  readonly #tally: MessageTally = { sent: 0, received: 0 };
  #localInFlight = 0;
  #nextId = 1;
  #flushScheduled = false;
  #terminated = false;
  /** Workers started to replace stopped ones, over the pool's life. */
  #respawns = 0;
  /** Reads waiting for a worker while every worker is being replaced. */
  readonly #parked = new ParkedReads();
  /** What {@link flushSlot} needs of this pool. */
  readonly #flushContext: FlushContext = {
    stats: this.#stats,
    tally: this.#tally,
    fail: (slot, reason) => this.#fail(slot, reason),
    unsendable: (id: number, error: ArgumentError) => {
      const p = this.#pending.get(id);
      if (!p) return;
      this.#settle(id, p);
      p.reject(error);
    },
  };

  private constructor(inProcess: boolean) {
    this.#reader = inProcess ? new ChunkReader() : undefined;
  }

  /**
   * Start a pool.
   *
   * @throws {ArgumentError} naming `size` unless it is an integer from 0 to {@link MAX_WORKERS}.
   */
  static async create(options: WorkerPoolOptions = {}): Promise<WorkerPool> {
    checkOptions("WorkerPool.create", options, ["size"]);
    if (options.size !== undefined) checkInteger("size", options.size, 0, MAX_WORKERS, " (0 reads on the calling thread)");
    const hw = (globalThis.navigator as { hardwareConcurrency?: number } | undefined)?.hardwareConcurrency ?? 2;
    const size = options.size ?? Math.max(1, Math.min(4, hw));
    const pool = new WorkerPool(size === 0);
    if (size > 0) await pool.#start(size);
    return pool;
  }

  async #start(size: number): Promise<void> {
    const slots = await Promise.all(Array.from({ length: size }, (_, i) => this.#spawn(`cellmap-fetch-${i}`)));
    for (const slot of slots) this.#slots.push(slot);
  }

  #spawn(name: string): Promise<Slot> {
    return spawnSlot(name, (batch) => this.#receive(batch), this.#tally, (slot, reason) => this.#fail(slot, reason));
  }

  /** Workers in the pool (0 when reading in-process). */
  get size(): number {
    return this.#slots.length;
  }

  /** Reads running now. */
  get inFlight(): number {
    return this.#localInFlight + this.#slots.reduce((a, s) => a + s.inFlight, 0);
  }

  /** What crossed the worker boundary so far (a copy). */
  get stats(): WorkerPoolStats {
    return { ...this.#stats, messagesSent: this.#tally.sent, messagesReceived: this.#tally.received };
  }

  /**
   * What each worker counted of the calls it received and made, asked of the workers themselves
   * (one comlink call each; a worker that has stopped is left out).
   *
   * @example
   * ```ts
   * await Promise.all(requests.map((r) => pool.read(r)));
   * const [w] = await pool.workerCounts(); // w.readCalls: 1 when the reads were asked in one turn
   * ```
   */
  async workerCounts(): Promise<FetchWorkerCounts[]> {
    return await Promise.all(this.#slots.filter((s) => s.failed === undefined).map(async (s) => {
      if (s.inFlight + s.queries++ === 0) s.worker.setIdle(false);
      try {
        return await s.worker.api.counts();
      } finally {
        if (s.inFlight + --s.queries === 0 && !this.#terminated) s.worker.setIdle(true);
      }
    }));
  }

  /**
   * Fetch and decode one chunk in a worker (on this thread when the pool has none). Reads with
   * the same `affinity` go to the same worker (the chunks of one shard, whose index it then reads
   * once); others go to the least busy one.
   */
  read(req: ChunkRequest, options: { signal?: AbortSignal; affinity?: string | number } = {}): Promise<ChunkResult> {
    if (this.#terminated) return Promise.reject(new Error("WorkerPool was terminated"));
    const { signal } = options;
    try {
      throwIfAborted(signal, describe(req));
    } catch (e) {
      return Promise.reject(e);
    }
    this.#stats.reads++;
    if (this.#reader) return this.#readHere(this.#reader, req, signal);
    const slot = this.#pick(options.affinity);
    if (!slot && this.#slots.length === 0) {
      return Promise.reject(unreadable(req, "every fetch worker has stopped"));
    }
    const id = this.#nextId++;
    return new Promise<ChunkResult>((resolve, reject) => {
      const p: Pending = { slot: slot ?? this.#slots[0]!, req, affinity: options.affinity, crashes: 0, resolve, reject, signal, offAbort: undefined };
      this.#pending.set(id, p);
      if (signal) p.offAbort = onAbort(signal, () => this.#abort(id, p));
      if (slot) this.#assign(id, p, slot);
      else this.#parked.park(id, p);
    });
  }

  /** Queue a read on a worker for the next batch call. */
  #assign(id: number, p: Pending, slot: Slot): void {
    p.slot = slot;
    if (slot.inFlight++ + slot.queries === 0) slot.worker.setIdle(false);
    slot.queued.push({ id, req: p.req });
    this.#scheduleFlush();
  }

  /**
   * Let the workers drop what they opened for one opening of an array (its metadata, the shard
   * indexes they read): its array was destroyed. Travels with the next batch of calls.
   */
  forget(opening: number): void {
    if (this.#terminated) return;
    if (this.#reader) return this.#reader.forget(opening);
    for (const s of this.#slots) if (s.failed === undefined) s.forgets.push(opening);
    this.#scheduleFlush();
  }


  /** Stop all workers. Reads still running reject with an {@link AbortedError}. */
  destroy(): void {
    this.terminate();
  }

  /** @deprecated Use {@link WorkerPool.destroy}, like every other resource of the library. */
  terminate(): void {
    if (this.#terminated) return;
    this.#terminated = true;
    for (const s of this.#slots) s.worker.terminate();
    this.#parked.takeAll();
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      p.offAbort?.();
      p.reject(new AbortedError(`${describe(p.req)} (the worker pool was stopped)`));
    }
  }

  async #readHere(reader: ChunkReader, req: ChunkRequest, signal: AbortSignal | undefined): Promise<ChunkResult> {
    this.#localInFlight++;
    try {
      return await reader.read(req, signal);
    } finally {
      this.#localInFlight--;
    }
  }

  #pick(affinity: string | number | undefined): Slot | undefined {
    return pickSlot(this.#slots, affinity);
  }

  /** Send what was queued in this turn at its end: one call per worker (and one for its cancellations). */
  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      if (this.#terminated) return;
      for (const s of this.#slots) if (s.failed === undefined) flushSlot(s, this.#flushContext);
    });
  }

  #abort(id: number, p: Pending): void {
    if (!this.#pending.has(id)) return;
    const q = p.slot.queued.findIndex((o) => o.id === id);
    if (this.#parked.remove(id)) {
      this.#pending.delete(id);
      p.offAbort?.();
      p.reject(new AbortedError(describe(p.req), { cause: p.signal?.reason }));
      return;
    }
    if (q >= 0) {
      p.slot.queued.splice(q, 1); // never sent
    } else {
      p.slot.cancels.push(id);
      this.#scheduleFlush();
    }
    this.#settle(id, p);
    p.reject(new AbortedError(describe(p.req), { cause: p.signal?.reason }));
  }

  /** One batch of answers from a worker (its call on the sink the pool exposed to it). */
  #receive(batch: Answered[]): void {
    this.#stats.callsReceived++;
    for (const { id, answer } of batch) {
      const p = this.#pending.get(id);
      if (!p) continue; // aborted meanwhile
      this.#settle(id, p);
      this.#deliver(p, answer);
    }
  }

  #deliver(p: Pending, answer: WorkerAnswer): void {
    if (answer.ok) p.resolve(answer.result);
    else if (p.signal?.aborted) p.reject(new AbortedError(describe(p.req), { cause: p.signal.reason }));
    else p.reject(fromWire(answer.error));
  }

  #settle(id: number, p: Pending): void {
    this.#pending.delete(id);
    p.offAbort?.();
    if (--p.slot.inFlight + p.slot.queries === 0 && !this.#terminated) p.slot.worker.setIdle(true);
  }

  /**
   * A worker stopped. A new one takes its place (up to {@link MAX_RESPAWNS_PER_WORKER} per worker
   * over the pool's life), and its reads are sent again, elsewhere or to the new worker; a read
   * that was on a worker that stopped twice rejects, naming its chunk, so a chunk that kills
   * workers cannot kill them all.
   */
  #fail(slot: Slot, reason: string): void {
    if (slot.failed !== undefined || this.#terminated) return;
    slot.failed = reason;
    slot.queued = [];
    slot.cancels = [];
    slot.worker.terminate();
    const orphans: Array<[number, Pending]> = [];
    for (const [id, p] of this.#pending) if (p.slot === slot && !this.#parked.has(id)) orphans.push([id, p]);
    slot.inFlight = 0;
    const replace = this.#respawns < MAX_RESPAWNS_PER_WORKER * this.#slots.length;
    if (replace) {
      this.#respawns++;
      void this.#spawn(slot.name).then(
        (fresh) => {
          if (this.#terminated) return fresh.worker.terminate();
          const i = this.#slots.indexOf(slot);
          if (i >= 0) this.#slots[i] = fresh;
          for (const { id, p } of this.#parked.takeAll()) this.#resend(id, p);
        },
        () => this.#rejectParked(`fetch worker ${slot.name} stopped (${reason}) and could not be restarted`),
      );
    }
    for (const [id, p] of orphans) {
      p.crashes++;
      if (p.crashes >= 2 || (!replace && !this.#pick(p.affinity))) {
        this.#pending.delete(id);
        p.offAbort?.();
        p.reject(unreadable(p.req, `fetch worker ${slot.name} stopped while reading it (${reason})`));
        continue;
      }
      this.#resend(id, p);
    }
    if (!replace && !this.#pick(undefined)) this.#rejectParked(`every fetch worker has stopped (last: ${reason})`);
  }

  /** Send a read again on a running worker, or park it until one is running. */
  #resend(id: number, p: Pending): void {
    if (!this.#pending.has(id)) return;
    const slot = this.#pick(p.affinity);
    if (slot) this.#assign(id, p, slot);
    else this.#parked.park(id, p);
  }

  #rejectParked(why: string): void {
    for (const { id, p } of this.#parked.takeAll()) {
      this.#pending.delete(id);
      p.offAbort?.();
      p.reject(unreadable(p.req, why));
    }
  }
}

/** Replacements a pool starts per worker over its life, before it lets workers stay stopped. */
const MAX_RESPAWNS_PER_WORKER = 4;
