/**
 * Reusable GPU buffers for the batches of one loader epoch: a batch's internal buffers (the
 * class-major target scratch, inputs read back to the CPU, the staging buffers of the readback)
 * have the same sizes batch after batch, so the loader hands them from one batch to the next
 * instead of allocating fresh ones. A fresh buffer costs more than its allocation: WebGPU
 * zero-fills it, and a software adapter first-touches its pages (bench/RESULTS.md, figure 3).
 *
 * Reuse is safe without waiting for the GPU: a storage buffer is released after the batch's last
 * submit, and the queue runs every later batch's work after it; a staging buffer is released
 * only once it is read and unmapped. Buffers handed to the consumer (`output: "gpu"`) are never
 * pooled.
 *
 * @example
 * ```ts
 * const pool = new BatchBufferPool();
 * const a = pool.acquire(device, "scratch", 4096, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
 * // ... record and submit work that uses `a` ...
 * pool.release(a); // the next acquire of the same size and usage gets `a` back
 * pool.destroy(); // at the end of the epoch
 * ```
 * @module
 */

/** Free GPU buffers by device, usage and size. Owns them until {@link BatchBufferPool.destroy}. */
export class BatchBufferPool {
  readonly #free = new Map<string, GPUBuffer[]>();
  readonly #devices = new WeakMap<GPUBuffer, GPUDevice>();
  readonly #ids = new WeakMap<GPUDevice, number>();
  #nextId = 0;
  #destroyed = false;

  #key(device: GPUDevice, size: number, usage: number): string {
    let id = this.#ids.get(device);
    if (id === undefined) this.#ids.set(device, (id = this.#nextId++));
    return `${id}:${usage}:${size}`;
  }

  /** A free buffer of exactly `size` bytes and `usage` on `device`, or a new one (labelled `label`). */
  acquire(device: GPUDevice, label: string, size: number, usage: number): GPUBuffer {
    const reused = this.#free.get(this.#key(device, size, usage))?.pop();
    if (reused) return reused;
    const buffer = device.createBuffer({ label, size, usage });
    this.#devices.set(buffer, device);
    return buffer;
  }

  /** Give a buffer back (unmapped, its work submitted); destroyed instead once the pool is. */
  release(buffer: GPUBuffer): void {
    const device = this.#devices.get(buffer);
    if (this.#destroyed || device === undefined) {
      buffer.destroy();
      return;
    }
    const key = this.#key(device, buffer.size, buffer.usage);
    const list = this.#free.get(key);
    if (list) list.push(buffer);
    else this.#free.set(key, [buffer]);
  }

  /** Destroy the free buffers; buffers released later are destroyed then. */
  destroy(): void {
    this.#destroyed = true;
    for (const list of this.#free.values()) for (const b of list) b.destroy();
    this.#free.clear();
  }
}
