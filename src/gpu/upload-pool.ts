/**
 * {@link UploadPool}: the small buffers one dispatch needs (uniform blocks, slot tables, sample
 * structs, op and weight tables, scratch), reused from batch to batch instead of created and
 * destroyed per dispatch. Buffers come in power-of-two size classes, so a table that changes
 * length a little between batches still finds a free buffer; a buffer is created only when no
 * free one of its usage and class is left (the first batch, or a larger one).
 *
 * Reuse needs no wait on the GPU: a buffer is released after the command buffer that uses it is
 * submitted, and its next `writeBuffer` is queued after that submit, so the queue runs the two in
 * order.
 *
 * @example
 * ```ts
 * const params = ctx.uploads.upload("resample params", USAGE.UNIFORM, bytes);
 * // ... bind `params`, record, submit ...
 * ctx.uploads.release(params);
 * ```
 * @module
 */

import { USAGE } from "./usage.ts";

/** The smallest buffer the pool makes, in bytes. */
const MIN_BYTES = 256;

/** Reusable upload and scratch buffers of one device. Owns them until {@link UploadPool.destroy}. */
export class UploadPool {
  readonly #device: GPUDevice;
  readonly #free = new Map<string, GPUBuffer[]>();
  readonly #all = new Set<GPUBuffer>();
  #destroyed = false;

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /**
   * A buffer holding `bytes`, zero-padded to at least 16 bytes and a multiple of 4 (what a fresh
   * buffer made with `mappedAtCreation` would hold); bytes past that are left from earlier use,
   * so bind it whole only where the shader reads no further than the data.
   */
  upload(label: string, usage: number, bytes: Uint8Array): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes.byteLength / 4) * 4);
    const buffer = this.#acquire(label, usage, size);
    let data = bytes;
    if (size !== bytes.byteLength) {
      data = new Uint8Array(size);
      data.set(bytes);
    }
    this.#device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, size);
    return buffer;
  }

  /**
   * A buffer of at least `size` bytes whose first `size` bytes read as zero when `encoder`'s work
   * starts (a reused buffer is cleared in `encoder`), like a fresh one.
   */
  scratch(encoder: GPUCommandEncoder, label: string, usage: number, size: number): GPUBuffer {
    const padded = Math.max(4, Math.ceil(size / 4) * 4);
    const fresh = this.#all.size;
    const buffer = this.#acquire(label, usage, padded);
    if (this.#all.size === fresh) encoder.clearBuffer(buffer, 0, padded);
    return buffer;
  }

  /** A buffer of at least `size` bytes whose contents are left from earlier use (write it before reading). */
  acquire(label: string, usage: number, size: number): GPUBuffer {
    return this.#acquire(label, usage, Math.max(4, Math.ceil(size / 4) * 4));
  }

  /** Give a buffer back once the work that uses it is submitted (destroyed if the pool is). */
  release(buffer: GPUBuffer): void {
    if (this.#destroyed || !this.#all.has(buffer)) {
      buffer.destroy();
      this.#all.delete(buffer);
      return;
    }
    const key = `${buffer.usage}:${buffer.size}`;
    const list = this.#free.get(key);
    if (list) list.push(buffer);
    else this.#free.set(key, [buffer]);
  }

  /** Destroy every buffer the pool made, in use or free. */
  destroy(): void {
    this.#destroyed = true;
    for (const b of this.#all) b.destroy();
    this.#all.clear();
    this.#free.clear();
  }

  #acquire(label: string, usage: number, size: number): GPUBuffer {
    const full = usage | USAGE.COPY_DST;
    let classSize = MIN_BYTES;
    while (classSize < size) classSize *= 2;
    const reused = this.#free.get(`${full}:${classSize}`)?.pop();
    if (reused) return reused;
    const buffer = this.#device.createBuffer({ label, size: classSize, usage: full });
    if (!this.#destroyed) this.#all.add(buffer);
    return buffer;
  }
}
