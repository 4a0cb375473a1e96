import type * as Comlink from "comlink";
import { onAbort } from "../abort.ts";
import { checkInteger, checkOptions, MAX_WORKERS } from "../arguments.ts";
import { AbortedError, ArgumentError, ChunkDecodeError, throwIfAborted } from "../errors.ts";
import { ChunkReader, type ChunkRequest, type ChunkResult } from "./chunk-reader.ts";
import type { MessageTally } from "./counted-endpoint.ts";
import { fromWire } from "./errors-wire.ts";
import type { Answered, FetchWorkerApi, FetchWorkerCounts, ReadOrder, WorkerAnswer } from "./protocol.ts";
import { spawnFetchWorker, type SpawnedWorker } from "./spawn.ts";

/** Options of {@link WorkerPool.create}. */
export interface WorkerPoolOptions {
  /** Number of workers (default: min(4, hardware threads)); 0 reads on the calling thread. */
  size?: number;
}

/** Counters of a {@link WorkerPool}: what crossed the worker boundary. */
export interface WorkerPoolStats {
  /** Reads asked of the pool. */
  reads: number;
  /** Reads sent to a worker (not those aborted before their batch left, nor in-process reads). */
  readsSent: number;
  /** Comlink calls made to the workers: one per batch of reads, one per batch of cancellations. */
  callsSent: number;
  /** Comlink calls the workers made to the pool: one per batch of answers. */
  callsReceived: number;
  /**
   * Messages posted to the workers: every call above, comlink's reply to every call received,
   * and `workerCounts` queries.
   */
  messagesSent: number;
  /** Messages received from the workers: every batch of answers, and the reply to every call sent (queries included). */
  messagesReceived: number;
}

interface Slot {
  worker: SpawnedWorker;
  name: string;
  /** The worker's `read` and `cancel`, kept so that a call creates no new comlink proxy. */
  read: Comlink.Remote<FetchWorkerApi>["read"];
  cancel: Comlink.Remote<FetchWorkerApi>["cancel"];
  /** Reads sent or queued and not yet answered. */
  inFlight: number;
  /** Other calls awaiting their reply (`workerCounts`); like reads, they keep a Node process alive. */
  queries: number;
  /** Reads waiting for the next batch call. */
  queued: ReadOrder[];
  /** Ids to cancel in the next call. */
  cancels: number[];
  /** Openings to forget in the next call. */
  forgets: number[];
  /** Why the worker stopped, once it has. */
  failed: string | undefined;
}

interface Pending {
  slot: Slot;
  req: ChunkRequest;
  affinity: string | undefined;
  /** Workers that stopped while this read was on them. */
  crashes: number;
  resolve(result: ChunkResult): void;
  reject(error: unknown): void;
  signal: AbortSignal | undefined;
  /** Stops hearing the read's signal. */
  offAbort: (() => void) | undefined;
}

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
  #parked: Array<{ id: number; p: Pending }> = [];

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

  async #spawn(name: string): Promise<Slot> {
    // The answer sink of this worker: one call per batch of finished reads.
    const sink = { answers: (batch: Answered[]) => this.#receive(batch) };
    const worker = await spawnFetchWorker(name, sink, this.#tally);
    const slot: Slot = { worker, name, read: worker.api.read, cancel: worker.api.cancel, inFlight: 0, queries: 0, queued: [], cancels: [], forgets: [], failed: undefined };
    worker.onFailure((reason) => this.#fail(slot, reason));
    worker.setIdle(true);
    return slot;
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
  read(req: ChunkRequest, options: { signal?: AbortSignal; affinity?: string } = {}): Promise<ChunkResult> {
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
      return Promise.reject(new ChunkDecodeError(`${req.url}${req.path}`, req.coords.join("/"), "could not be read: every fetch worker has stopped"));
    }
    const id = this.#nextId++;
    return new Promise<ChunkResult>((resolve, reject) => {
      const p: Pending = { slot: slot ?? this.#slots[0]!, req, affinity: options.affinity, crashes: 0, resolve, reject, signal, offAbort: undefined };
      this.#pending.set(id, p);
      if (signal) p.offAbort = onAbort(signal, () => this.#abort(id, p));
      if (slot) this.#assign(id, p, slot);
      else this.#parked.push({ id, p });
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
    this.#parked = [];
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

  /** The worker for a read: by affinity when it has one, else the least busy; undefined while none is running. */
  #pick(affinity: string | undefined): Slot | undefined {
    const live = this.#slots.filter((s) => s.failed === undefined);
    if (!live.length) return undefined;
    if (affinity !== undefined) return live[hash(affinity) % live.length];
    let best = live[0]!;
    for (const s of live) if (s.inFlight < best.inFlight) best = s;
    return best;
  }

  /** Send what was queued in this turn at its end: one call per worker (and one for its cancellations). */
  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      if (this.#terminated) return;
      for (const s of this.#slots) {
        if (s.failed !== undefined) continue;
        if (s.cancels.length) {
          const ids = s.cancels;
          s.cancels = [];
          this.#stats.callsSent++;
          s.cancel(ids).catch((e: unknown) => this.#fail(s, `a cancel call failed (${(e as Error).message})`));
        }
        if (s.forgets.length) {
          const openings = s.forgets;
          s.forgets = [];
          this.#stats.callsSent++;
          s.worker.api.forget(openings).catch((e: unknown) => this.#fail(s, `a forget call failed (${(e as Error).message})`));
        }
        if (s.queued.length) {
          const reads = s.queued;
          s.queued = [];
          this.#postReads(s, reads);
        }
      }
    });
  }

  /**
   * Send a batch in one comlink call; if it cannot be cloned, send its reads one by one so only
   * the culprits fail. The call posts its message synchronously (or throws inside, which comlink
   * turns into a rejection), so the message tally tells at once whether it left.
   */
  #postReads(slot: Slot, reads: ReadOrder[]): void {
    const before = this.#tally.sent;
    const reply = slot.read(reads);
    if (this.#tally.sent > before) {
      this.#stats.callsSent++;
      this.#stats.readsSent += reads.length;
      reply.catch((e: unknown) => this.#fail(slot, `a read call failed (${(e as Error).message})`));
      return;
    }
    if (reads.length > 1) {
      reply.catch(() => {});
      for (const r of reads) this.#postReads(slot, [r]);
      return;
    }
    const id = reads[0]!.id;
    reply.catch((e: unknown) => {
      const p = this.#pending.get(id);
      if (!p) return;
      this.#settle(id, p);
      p.reject(new ArgumentError("storeOptions", `cannot be sent to a fetch worker (${(e as Error).message}); read with workers: 0 to use functions such as a custom fetch`));
    });
  }

  #abort(id: number, p: Pending): void {
    if (!this.#pending.has(id)) return;
    const parked = this.#parked.findIndex((o) => o.id === id);
    const q = p.slot.queued.findIndex((o) => o.id === id);
    if (parked >= 0) {
      this.#parked.splice(parked, 1);
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
    for (const [id, p] of this.#pending) if (p.slot === slot && !this.#parked.some((o) => o.id === id)) orphans.push([id, p]);
    slot.inFlight = 0;
    const replace = this.#respawns < MAX_RESPAWNS_PER_WORKER * this.#slots.length;
    if (replace) {
      this.#respawns++;
      void this.#spawn(slot.name).then(
        (fresh) => {
          if (this.#terminated) return fresh.worker.terminate();
          const i = this.#slots.indexOf(slot);
          if (i >= 0) this.#slots[i] = fresh;
          const parked = this.#parked;
          this.#parked = [];
          for (const { id, p } of parked) this.#resend(id, p);
        },
        () => this.#rejectParked(`fetch worker ${slot.name} stopped (${reason}) and could not be restarted`),
      );
    }
    for (const [id, p] of orphans) {
      p.crashes++;
      if (p.crashes >= 2 || (!replace && !this.#pick(p.affinity))) {
        this.#pending.delete(id);
        p.offAbort?.();
        p.reject(new ChunkDecodeError(`${p.req.url}${p.req.path}`, p.req.coords.join("/"), `could not be read: fetch worker ${slot.name} stopped while reading it (${reason})`));
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
    else this.#parked.push({ id, p });
  }

  #rejectParked(why: string): void {
    const parked = this.#parked;
    this.#parked = [];
    for (const { id, p } of parked) {
      this.#pending.delete(id);
      p.offAbort?.();
      p.reject(new ChunkDecodeError(`${p.req.url}${p.req.path}`, p.req.coords.join("/"), `could not be read: ${why}`));
    }
  }
}

/** Replacements a pool starts per worker over its life, before it lets workers stay stopped. */
const MAX_RESPAWNS_PER_WORKER = 4;

/** A small string hash (FNV-1a), for affinity. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function describe(req: ChunkRequest): string {
  return `chunk ${req.coords.join("/")} of ${req.url}${req.path}`;
}
