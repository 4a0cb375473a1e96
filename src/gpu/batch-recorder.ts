/**
 * {@link BatchRecorder}: one command encoder that several producers record a batch into (every
 * array's resample, then the batch's passes and readback copies), submitted once. Work that must
 * wait until the commands are submitted (unpinning chunk-cache slots, giving pooled buffers back)
 * is registered with {@link BatchRecorder.afterSubmit}.
 *
 * A producer that would otherwise wait for something only a submit frees (a cache slot pinned by
 * work recorded here) calls {@link BatchRecorder.flush} first: it submits what is recorded so
 * far, runs the registered work and starts a new encoder, and from then on the recorder submits
 * after each producer ({@link BatchRecorder.done}), as separate submits would. So a batch is one
 * submit unless its chunks do not fit the caches at once.
 *
 * @example
 * ```ts
 * const recorder = new BatchRecorder(ctx, "batch");
 * await raw.sampleInto(specs, { shape, scale, buffer, recorder });
 * recorder.encoder.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
 * recorder.submit();
 * ```
 * @module
 */

import type { GpuContext } from "./context.ts";

/** A command encoder shared by the producers of one batch, submitted once. */
export class BatchRecorder {
  readonly #ctx: GpuContext;
  readonly #label: string;
  #encoder: GPUCommandEncoder;
  #after: Array<() => void> = [];
  #eager = false;
  #closed = false;

  constructor(ctx: GpuContext, label: string) {
    this.#ctx = ctx;
    this.#label = `${ctx.label} ${label}`;
    this.#encoder = ctx.device.createCommandEncoder({ label: this.#label });
  }

  /** The encoder to record into now (a new one after each {@link BatchRecorder.flush}). */
  get encoder(): GPUCommandEncoder {
    if (this.#closed) throw new Error(`${this.#label}: the recorder was submitted`);
    return this.#encoder;
  }

  /** Run `fn` once the commands recorded so far are submitted (or dropped by {@link BatchRecorder.abandon}). */
  afterSubmit(fn: () => void): void {
    if (this.#closed) fn();
    else this.#after.push(fn);
  }

  /**
   * A producer finished recording: `fn` runs after the submit; when an earlier producer had to
   * {@link BatchRecorder.flush}, that submit is now.
   */
  done(fn: () => void): void {
    this.afterSubmit(fn);
    if (this.#eager) this.flush();
  }

  /** Submit what is recorded, run the registered work, continue in a new encoder; later producers submit as they finish. */
  flush(): void {
    this.#eager = true;
    if (this.#closed) return;
    this.#ctx.assertAlive();
    this.#ctx.device.queue.submit([this.#encoder.finish()]);
    this.#encoder = this.#ctx.device.createCommandEncoder({ label: this.#label });
    this.#runAfter();
  }

  /** Submit the batch and run the registered work. The recorder is closed afterwards. */
  submit(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ctx.device.queue.submit([this.#encoder.finish()]);
    this.#runAfter();
  }

  /** Drop what is recorded (on an error) and run the registered work. */
  abandon(): void {
    this.#closed = true;
    this.#runAfter();
  }

  #runAfter(): void {
    const after = this.#after;
    this.#after = [];
    for (const fn of after) fn();
  }
}
