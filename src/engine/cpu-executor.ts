/**
 * The CPU executor: a small pool of sample workers that resample out of a chunk cache in shared
 * memory, so that the per-voxel work of a CPU array runs on every core while the calling thread
 * only plans. A dispatch (one resample call of one array) is cut into slabs of output z planes
 * (`sample-task.ts`), so one sample scales too; slabs queue on this thread and go to whichever
 * worker is free, one at a time each. The passes of a CPU batch (value ops, true negatives and
 * cellpose flows of its samples, over batch arrays in shared memory) run in the same workers
 * ({@link CpuExecutor.passes}). The bits are those of the CPU twins on the calling thread.
 *
 * Arrays share one executor per worker count ({@link CpuExecutor.acquire}); the last array to
 * let go of it ({@link CpuExecutor.release}) stops its workers. Workers start on the first
 * dispatch and, in Node, keep no process alive while idle.
 *
 * @example
 * ```ts
 * const exec = await CpuExecutor.acquire(); // as many workers as cores
 * const cache = exec.allocateWords(slotCount * slotWords);
 * await exec.resample(params, samples, table, cache, out, 0, { signal });
 * exec.release();
 * ```
 * @module
 */

import { AbortedError, throwIfAborted, WorkerError } from "../errors.ts";
import { onAbort } from "../abort.ts";
import type { ResampleParams, ResampleSample } from "../kernels/resample/contract.ts";
import { resampleReference } from "../kernels/resample/twin.ts";
import { fromWire } from "../worker/errors-wire.ts";
import type { SampleWorkerAnswer } from "./sample-protocol.ts";
import { type FlowsTask, type PassTask, runSampleTask, type SampleTask, slabs } from "./sample-task.ts";
import { hardwareThreads, sharedMemory } from "./shared-memory.ts";
import { spawnSampleWorker, type SampleWorkerHandle } from "./spawn-sample-worker.ts";

/** Which executor resamples a CPU array, and why. */
export interface ExecutorInfo {
  /** `"workers"`: sample workers over shared memory; `"main-thread"`: the CPU twin on the calling thread. */
  readonly kind: "workers" | "main-thread";
  /** Sample workers (0 on the main thread). */
  readonly workers: number;
  /** Why this executor: the worker count's source, or why shared memory is not available. */
  readonly reason: string;
}

/** Counters of a {@link CpuExecutor}. */
export interface CpuExecutorStats {
  /** Resample dispatches run. */
  dispatches: number;
  /** Of those, dispatches too small to be worth a worker, run on the calling thread. */
  inline: number;
  /** Tasks sent to the workers (resample slabs and passes). */
  tasks: number;
  /** Of those, pass tasks (value ops, true negatives and cellpose flows of batch arrays). */
  passTasks: number;
  /** Of the pass tasks, cellpose flows of a sample ({@link FlowsTask}). */
  flowTasks: number;
  /** Workers started to replace stopped ones. */
  respawns: number;
}

/**
 * Output voxels below which a dispatch runs on the calling thread (a worker's round trip costs
 * more), and the least a slab is given when a dispatch is cut for several workers.
 */
export const MIN_WORKER_VOXELS = 4096;

/** Slabs a dispatch is cut into per worker, at most. */
const SLABS_PER_WORKER = 4;

/** Replacements an executor starts per worker over its life, before it lets workers stay stopped. */
const MAX_RESPAWNS_PER_WORKER = 4;

interface Dispatch {
  /** Tasks not settled yet (queued or running). */
  pending: number;
  error: unknown;
  what: string;
  signal: AbortSignal | undefined;
  done(): void;
}

interface Queued {
  id: number;
  task: SampleTask;
  dispatch: Dispatch;
}

interface Slot {
  name: string;
  handle: SampleWorkerHandle;
  running: Queued | undefined;
  failed: boolean;
}

const shared = new Map<number, { executor: CpuExecutor; refs: number }>();

/**
 * Resolve where a CPU array resamples: the shared executor of `workers` sample workers (default:
 * the core count), or the calling thread when `workers` is 0 or memory cannot be shared here.
 *
 * @returns the executor (acquired: {@link CpuExecutor.release} it) and what ran and why
 */
export async function openCpuExecutor(workers?: number): Promise<{ executor: CpuExecutor | undefined; info: ExecutorInfo }> {
  if (workers === 0) return { executor: undefined, info: { kind: "main-thread", workers: 0, reason: "cpuWorkers is 0" } };
  const memory = sharedMemory();
  if (!memory.ok) return { executor: undefined, info: { kind: "main-thread", workers: 0, reason: memory.reason } };
  const size = workers ?? (await hardwareThreads());
  const executor = await CpuExecutor.acquire(size);
  const reason = workers === undefined ? `one sample worker per core (${size}); set cpuWorkers to change` : `cpuWorkers is ${size}`;
  return { executor, info: { kind: "workers", workers: size, reason } };
}

/** A pool of sample workers over shared memory (see the module's documentation). */
export class CpuExecutor {
  readonly size: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Queued[] = [];
  readonly #stats: CpuExecutorStats = { dispatches: 0, inline: 0, tasks: 0, passTasks: 0, flowTasks: 0, respawns: 0 };
  readonly #scratch: SharedArrayBuffer[] = [];
  /** Workers being started now. */
  #spawning = 0;
  #nextId = 1;
  #destroyed = false;

  private constructor(size: number) {
    this.size = size;
  }

  /**
   * The executor of `size` workers shared in this thread, with one more user. Workers start when
   * work first needs them (a dispatch of k slabs starts up to k), and stay until the last user
   * releases the executor.
   */
  static acquire(size: number): Promise<CpuExecutor> {
    let entry = shared.get(size);
    if (!entry) shared.set(size, (entry = { executor: new CpuExecutor(size), refs: 0 }));
    entry.refs++;
    return Promise.resolve(entry.executor);
  }

  /** One user fewer; the last one stops the workers. */
  release(): void {
    const entry = shared.get(this.size);
    if (!entry || entry.executor !== this) return this.destroy();
    if (--entry.refs > 0) return;
    shared.delete(this.size);
    this.destroy();
  }

  /** Current counters (a copy). */
  get stats(): CpuExecutorStats {
    return { ...this.#stats };
  }

  /** `n` zeroed u32 words in shared memory, for a chunk cache the workers read. */
  allocateWords(n: number): Uint32Array {
    return new Uint32Array(new SharedArrayBuffer(Math.max(4, n * 4)), 0, n);
  }

  /**
   * Resample one dispatch in the workers: `cache` must be shared ({@link allocateWords}); the
   * result lands in `out` from `outOffset`, written in place when `out` is shared memory and
   * copied from a shared scratch otherwise; `outStride` (elements, default one sample's voxels)
   * spaces the samples apart in `out`. Resolves once every slab is written; on abort, once
   * the slabs already running have finished (they read the pinned cache slots), with an
   * {@link AbortedError}. A dispatch of fewer than `inlineBelow` output voxels (default
   * {@link MIN_WORKER_VOXELS}) runs on the calling thread, and slabs get at least that many.
   *
   * @throws {WorkerError} naming the worker and the dispatch when a slab failed or its worker stopped
   */
  async resample(
    params: ResampleParams,
    samples: readonly ResampleSample[],
    table: Uint32Array,
    cache: Uint32Array,
    out: Float32Array,
    outOffset: number,
    options: { signal?: AbortSignal; what?: string; inlineBelow?: number; outStride?: number } = {},
  ): Promise<void> {
    if (this.#destroyed) throw new AbortedError("resampling (the CPU executor was destroyed)");
    const what = options.what ?? "a resample dispatch";
    const [nz, ny, nx] = params.outShape;
    const per = nz * ny * nx;
    const n = params.batch * per;
    const stride = options.outStride ?? per;
    if (n === 0) return;
    throwIfAborted(options.signal, what);
    this.#stats.dispatches++;
    const least = options.inlineBelow ?? MIN_WORKER_VOXELS;
    if (n < least) {
      // Posting a slab to a worker and hearing back costs more than computing this here.
      this.#stats.inline++;
      resampleReference(params, samples, table, cache, { out, outOffset, outStride: stride });
      return;
    }
    // A few slabs per worker: a worker the OS leaves waiting (a busy machine) holds up less of
    // the dispatch, since the others take the slabs still queued.
    const parts = slabs(params.batch * nz, Math.min(SLABS_PER_WORKER * this.size, Math.ceil(n / Math.max(1, least))));
    this.#grow(parts.length);
    const direct = out.buffer instanceof SharedArrayBuffer;
    const scratch = direct ? undefined : this.#takeScratch(n * 4);
    const target = scratch ? new Float32Array(scratch, 0, n) : out;
    const at = scratch ? 0 : outOffset;
    const taskStride = scratch ? per : stride;
    try {
      await this.#dispatch(parts.map(([from, to]) => ({ params, samples, table, cache, out: target, outOffset: at, outStride: taskStride, from, to })), what, options.signal);
      if (scratch) {
        const done = new Float32Array(scratch, 0, n);
        if (stride === per) out.set(done, outOffset);
        else for (let b = 0; b < params.batch; b++) out.set(done.subarray(b * per, (b + 1) * per), outOffset + b * stride);
      }
    } finally {
      if (scratch) this.#giveScratch(scratch);
    }
  }

  /**
   * Run passes over batch arrays in shared memory (value ops, true negatives and cellpose flows
   * of samples) in the workers, each task on one worker; resolves when all are done. The tasks'
   * arrays must be shared memory and their value ops free of custom ops (their CPU functions
   * cannot travel). With `inline`, or when there is one task, they run on the calling thread.
   *
   * @throws {WorkerError} naming the worker and `what` when a task failed or its worker stopped
   */
  async passes(tasks: readonly PassTask[], options: { signal?: AbortSignal; what?: string; inline?: boolean } = {}): Promise<void> {
    if (this.#destroyed) throw new AbortedError("running passes (the CPU executor was destroyed)");
    const what = options.what ?? "the passes of a batch";
    throwIfAborted(options.signal, what);
    if (tasks.length === 0) return;
    this.#stats.dispatches++;
    if (options.inline || tasks.length === 1) {
      this.#stats.inline++;
      for (const t of tasks) runSampleTask(t);
      return;
    }
    this.#grow(tasks.length);
    this.#stats.passTasks += tasks.length;
    for (const t of tasks) if (t.kind === "flows") this.#stats.flowTasks++;
    await this.#dispatch(tasks, what, options.signal);
  }

  /** Queue `tasks` as one dispatch; resolves once every task settled (see {@link resample}). */
  #dispatch(tasks: readonly SampleTask[], what: string, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let off: (() => void) | undefined;
      const dispatch: Dispatch = {
        pending: tasks.length,
        error: undefined,
        what,
        signal,
        done: () => {
          off?.();
          if (dispatch.error !== undefined) reject(dispatch.error);
          else if (signal?.aborted) reject(new AbortedError(what, { cause: signal.reason }));
          else resolve();
        },
      };
      for (const task of tasks) this.#queue.push({ id: this.#nextId++, dispatch, task });
      if (signal) off = onAbort(signal, () => this.#abort(dispatch));
      this.#pump();
    });
  }

  /** Stop the workers; dispatches still running reject with an {@link AbortedError}. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const s of this.#slots) s.handle.terminate();
    const stopped = new Set<Dispatch>();
    for (const q of this.#queue.splice(0)) stopped.add(q.dispatch);
    for (const s of this.#slots) if (s.running) stopped.add(s.running.dispatch);
    for (const d of stopped) {
      d.pending = 0;
      d.error ??= new AbortedError(`${d.what} (the CPU executor was destroyed)`);
      d.done();
    }
    this.#scratch.length = 0;
  }

  /** Start workers until `n` (at most {@link size}) are running or starting. */
  #grow(n: number): void {
    while (this.#slots.length + this.#spawning < Math.min(n, this.size)) {
      this.#spawning++;
      const name = `cellmap-sample-${this.#slots.length + this.#spawning - 1}`;
      void this.#spawn(name).then(
        (slot) => {
          this.#spawning--;
          if (this.#destroyed) return slot.handle.terminate();
          this.#slots.push(slot);
          this.#pump();
        },
        (e: unknown) => {
          this.#spawning--;
          if (this.#slots.every((s) => s.failed) && this.#spawning === 0) this.#failQueued(`${name} could not be started (${(e as Error).message})`);
        },
      );
    }
  }

  async #spawn(name: string): Promise<Slot> {
    const handle = await spawnSampleWorker(name);
    const slot: Slot = { name, handle, running: undefined, failed: false };
    handle.onAnswer((a) => this.#answer(slot, a));
    handle.onFailure((reason) => this.#fail(slot, reason));
    handle.setIdle(true);
    return slot;
  }

  /** Give every free worker the next queued slab. */
  #pump(): void {
    for (const s of this.#slots) {
      if (s.running || s.failed) continue;
      const next = this.#queue.shift();
      if (!next) return;
      s.running = next;
      s.handle.setIdle(false);
      this.#stats.tasks++;
      try {
        s.handle.post({ id: next.id, task: next.task });
      } catch (e) {
        s.running = undefined;
        s.handle.setIdle(true);
        this.#settle(next, new WorkerError(s.name, next.dispatch.what, `its task could not be sent (${(e as Error).message})`, { cause: e }));
      }
    }
  }

  #answer(slot: Slot, a: SampleWorkerAnswer): void {
    const q = slot.running;
    if (!q || q.id !== a.id) return;
    slot.running = undefined;
    slot.handle.setIdle(true);
    this.#settle(q, a.ok ? undefined : new WorkerError(slot.name, q.dispatch.what, a.error.message, { cause: fromWire(a.error) }));
    this.#pump();
  }

  /** One slab is over: the dispatch settles when its last one is. A failure drops its other queued slabs. */
  #settle(q: Queued, error: unknown): void {
    const d = q.dispatch;
    if (error !== undefined && d.error === undefined) {
      d.error = error;
      this.#drop(d);
    }
    if (--d.pending === 0) d.done();
  }

  #abort(d: Dispatch): void {
    this.#drop(d);
    if (d.pending === 0) d.done();
  }

  /** Take a dispatch's queued slabs out of the queue (they will not run). */
  #drop(d: Dispatch): void {
    for (let i = this.#queue.length - 1; i >= 0; i--) {
      if (this.#queue[i]!.dispatch === d) {
        this.#queue.splice(i, 1);
        d.pending--;
      }
    }
  }

  /** A worker stopped: its slab fails its dispatch, and a new worker takes its place while replacements last. */
  #fail(slot: Slot, reason: string): void {
    if (slot.failed || this.#destroyed) return;
    slot.failed = true;
    slot.handle.terminate();
    const q = slot.running;
    slot.running = undefined;
    if (q) this.#settle(q, new WorkerError(slot.name, q.dispatch.what, `the worker stopped (${reason})`));
    if (this.#stats.respawns < MAX_RESPAWNS_PER_WORKER * this.size) {
      this.#stats.respawns++;
      void this.#spawn(slot.name).then((fresh) => {
        if (this.#destroyed) return fresh.handle.terminate();
        const i = this.#slots.indexOf(slot);
        if (i >= 0) this.#slots[i] = fresh;
        this.#pump();
      }, (e: unknown) => this.#failQueued(`${slot.name} stopped (${reason}) and could not be restarted (${(e as Error).message})`));
    } else if (this.#slots.every((s) => s.failed)) {
      this.#failQueued(`every sample worker has stopped (last: ${reason})`);
    }
  }

  #failQueued(why: string): void {
    for (const q of this.#queue.splice(0)) {
      const d = q.dispatch;
      d.error ??= new WorkerError("all", d.what, why);
      if (--d.pending === 0) d.done();
    }
  }

  #takeScratch(bytes: number): SharedArrayBuffer {
    let best = -1;
    this.#scratch.forEach((b, i) => {
      if (b.byteLength >= bytes && (best < 0 || b.byteLength < this.#scratch[best]!.byteLength)) best = i;
    });
    if (best >= 0) return this.#scratch.splice(best, 1)[0]!;
    return new SharedArrayBuffer(bytes);
  }

  #giveScratch(b: SharedArrayBuffer): void {
    if (this.#destroyed) return;
    this.#scratch.push(b);
    // Keep the largest few.
    if (this.#scratch.length > 8) {
      this.#scratch.sort((x, y) => y.byteLength - x.byteLength);
      this.#scratch.length = 8;
    }
  }
}
