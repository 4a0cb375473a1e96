import { ArgumentError, GpuError } from "../errors.ts";
import type { BatchRecorder } from "../gpu/batch-recorder.ts";
import type { GpuContext } from "../gpu/context.ts";
import { getResamplePipeline } from "../kernels/resample/gpu-pipeline.ts";
import { recordResample } from "../kernels/resample/gpu.ts";
import { resampleVariant, type ResampleParams, type ResampleSample } from "../kernels/resample/contract.ts";
import { resampleReference } from "../kernels/resample/twin.ts";
import type { CpuExecutor, ExecutorInfo } from "../engine/cpu-executor.ts";

/**
 * Where a CellMapArray keeps its chunk cache and runs its resampling: GPU
 * buffers and the WGSL shader, or a CPU copy and the reference twin. Both
 * share the slot layout of docs/architecture.md.
 */
export interface ResampleBackend {
  readonly kind: "gpu" | "cpu";
  upload(slot: number, words: Uint32Array): void;
  /**
   * Run one dispatch; results land in the backend's output at `outElementOffset` (f32 elements).
   * `signal` and `what` (the dispatch, for error messages) serve the CPU executor's workers.
   */
  run(params: ResampleParams, samples: ResampleSample[], table: Uint32Array, out: BackendOutput, outElementOffset: number, options?: { signal?: AbortSignal; what?: string }): Promise<void>;
  destroy(): void;
}

/** Output of a sample call: a CPU array, or a GPU buffer. */
export type BackendOutput = { kind: "cpu"; data: Float32Array; /** Elements between samples' starts (default: back to back). */ stride?: number } | { kind: "gpu"; buffer: GPUBuffer; byteOffset: number; recorder?: BatchRecorder };

/**
 * The CPU backend: cache in a Uint32Array, resampling by the reference twin. With a CPU executor
 * the cache lives in shared memory and the executor's workers resample it; without one (memory
 * cannot be shared here, or `cpuWorkers: 0`) the twin runs on the calling thread. `executor`
 * says which, and why.
 */
export class CpuBackend implements ResampleBackend {
  readonly kind = "cpu";
  readonly executor: ExecutorInfo;
  readonly #words: Uint32Array;
  readonly #slotWords: number;
  readonly #exec: CpuExecutor | undefined;

  /** `exec` is acquired: the backend releases it on {@link destroy}. */
  constructor(slotCount: number, slotWords: number, exec?: { executor: CpuExecutor | undefined; info: ExecutorInfo }) {
    this.#slotWords = slotWords;
    this.#exec = exec?.executor;
    this.executor = exec?.info ?? { kind: "main-thread", workers: 0, reason: "no CPU executor was given" };
    this.#words = this.#exec ? this.#exec.allocateWords(slotCount * slotWords) : new Uint32Array(slotCount * slotWords);
  }

  upload(slot: number, words: Uint32Array): void {
    this.#words.set(words.subarray(0, this.#slotWords), slot * this.#slotWords);
  }

  run(params: ResampleParams, samples: ResampleSample[], table: Uint32Array, out: BackendOutput, outElementOffset: number, options: { signal?: AbortSignal; what?: string } = {}): Promise<void> {
    if (out.kind !== "cpu") throw new Error("the CPU backend writes CPU output only");
    const outStride = out.stride ?? params.outShape[0] * params.outShape[1] * params.outShape[2];
    if (this.#exec) return this.#exec.resample(params, samples, table, this.#words, out.data, outElementOffset, { ...options, outStride });
    resampleReference(params, samples, table, this.#words, { out: out.data, outOffset: outElementOffset, outStride });
    return Promise.resolve();
  }

  destroy(): void {
    this.#exec?.release();
  }
}

/**
 * The GPU backend: cache in one storage buffer, resampling by src/kernels/resample/resample.wgsl.
 * The buffer is replaced when the cache grows or shrinks with its share of the device's budget
 * ({@link GpuBackend.resize}); work already recorded keeps reading the old one, which is
 * destroyed once that work is submitted.
 */
export class GpuBackend implements ResampleBackend {
  readonly kind = "gpu";
  readonly context: GpuContext;
  readonly #slotBytes: number;
  readonly #label: string;
  #cache: GPUBuffer;
  #slots: number;
  /** Batches recorded with the current buffer and not yet submitted. */
  #recorders = new Set<BatchRecorder>();

  constructor(ctx: GpuContext, slotCount: number, slotWords: number, label: string) {
    this.context = ctx;
    this.#slotBytes = slotWords * 4;
    this.#label = `${label} chunk cache`;
    this.#slots = slotCount;
    this.#cache = this.#create(slotCount);
  }

  /** The chunk-cache buffer now (a new one after each {@link resize}). */
  get cache(): GPUBuffer {
    return this.#cache;
  }

  upload(slot: number, words: Uint32Array): void {
    this.context.assertAlive();
    this.context.device.queue.writeBuffer(this.#cache, slot * this.#slotBytes, words.buffer, words.byteOffset, Math.min(words.byteLength, this.#slotBytes));
  }

  /**
   * Make the cache `slots` slots long (see `SlotCacheOptions.resize`): a new buffer, into which
   * the kept slots and each move `[from, to]` are copied on the GPU, in queue order after every
   * upload so far. The old buffer goes once the batches recorded with it are submitted.
   */
  resize(slots: number, moves: ReadonlyArray<readonly [number, number]>): void {
    this.context.assertAlive();
    const old = this.#cache;
    const next = this.#create(slots);
    const bytes = this.#slotBytes;
    const keep = Math.min(this.#slots, slots) * bytes;
    const encoder = this.context.device.createCommandEncoder({ label: `${this.#label} resize` });
    if (keep > 0) encoder.copyBufferToBuffer(old, 0, next, 0, keep);
    for (const [from, to] of moves) encoder.copyBufferToBuffer(old, from * bytes, next, to * bytes, bytes);
    this.context.device.queue.submit([encoder.finish()]);
    this.#cache = next;
    this.#slots = slots;
    const waiting = [...this.#recorders];
    this.#recorders = new Set();
    let left = waiting.length;
    if (left === 0) old.destroy();
    for (const r of waiting) r.afterSubmit(() => --left === 0 && old.destroy());
  }

  #create(slots: number): GPUBuffer {
    const size = Math.max(4, slots * this.#slotBytes);
    try {
      return this.context.device.createBuffer({ label: this.#label, size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    } catch (e) {
      throw new GpuError(`could not allocate a ${size}-byte ${this.#label}`, { cause: e });
    }
  }

  async run(params: ResampleParams, samples: ResampleSample[], table: Uint32Array, out: BackendOutput, outElementOffset: number): Promise<void> {
    if (out.kind !== "gpu") throw new Error("the GPU backend writes GPU output only");
    const pipeline = await getResamplePipeline(this.context, resampleVariant(params, samples));
    const device = this.context.device;
    const recorder = out.recorder;
    const encoder = recorder ? recorder.encoder : device.createCommandEncoder({ label: "cellmap resample" });
    const offset = out.byteOffset + outElementOffset * 4;
    const bytes = params.batch * params.outShape[0] * params.outShape[1] * params.outShape[2] * 4;
    // Storage bindings need aligned offsets; a sub-batch that starts mid-way goes through a copy.
    const aligned = offset % device.limits.minStorageBufferOffsetAlignment === 0;
    if (!aligned && (out.buffer.usage & GPUBufferUsage.COPY_DST) === 0) {
      // WebGPU would only log the rejected copy and leave the output unwritten.
      throw new ArgumentError(
        "buffer",
        `needs GPUBufferUsage.COPY_DST: output byte offset ${offset} is not a multiple of ${device.limits.minStorageBufferOffsetAlignment}, so it is written through a copy`,
      );
    }
    const uploads = this.context.uploads;
    const target = aligned ? out.buffer : uploads.acquire("cellmap resample staging", GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, bytes);
    if (recorder && !this.#recorders.has(recorder)) {
      const recorders = this.#recorders;
      recorders.add(recorder);
      recorder.afterSubmit(() => recorders.delete(recorder));
    }
    const d = recordResample(this.context, pipeline, encoder, {
      cache: this.#cache,
      params,
      samples,
      table: table.length ? table : new Uint32Array(1),
      out: target,
      outOffset: aligned ? offset : 0,
    });
    if (!aligned) encoder.copyBufferToBuffer(target, 0, out.buffer, offset, bytes);
    const release = () => {
      d.release();
      if (!aligned) uploads.release(target);
    };
    if (recorder) return recorder.afterSubmit(release);
    device.queue.submit([encoder.finish()]);
    release();
  }

  destroy(): void {
    this.#cache.destroy();
  }
}
