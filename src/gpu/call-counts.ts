/**
 * Counting the GPU calls that cost a round trip or an allocation: `queue.submit`,
 * `device.createBuffer`, `queue.writeBuffer` (calls and bytes) and `mapAsync`. Opt-in: counting
 * wraps those methods on one device (its queue, and the buffers it creates from then on), so code
 * that never asks pays nothing. The bench reports them per batch; a test pins the loader's
 * steady state with them.
 *
 * @example
 * ```ts
 * const counter = ctx.countCalls();
 * const before = counter.snapshot();
 * await readOneBatch();
 * console.log(diffCounts(counter.snapshot(), before)); // { submits: 1, createBuffers: 0, ... }
 * ```
 * @module
 */

/** Counts of GPU calls since counting started (or between two snapshots, see {@link diffCounts}). */
export interface GpuCallCounts {
  /** `queue.submit` calls. */
  readonly submits: number;
  /** `device.createBuffer` calls. */
  readonly createBuffers: number;
  /** `queue.writeBuffer` calls. */
  readonly writeBuffers: number;
  /** Bytes written by `queue.writeBuffer`. */
  readonly writeBufferBytes: number;
  /** `mapAsync` calls on buffers created while counting. */
  readonly maps: number;
}

/** Live counters of one device; {@link GpuCallCounter.snapshot} copies them. */
export class GpuCallCounter {
  #submits = 0;
  #createBuffers = 0;
  #writeBuffers = 0;
  #writeBufferBytes = 0;
  #maps = 0;

  /** The counts so far, as a plain object. */
  snapshot(): GpuCallCounts {
    return {
      submits: this.#submits,
      createBuffers: this.#createBuffers,
      writeBuffers: this.#writeBuffers,
      writeBufferBytes: this.#writeBufferBytes,
      maps: this.#maps,
    };
  }

  /**
   * Wrap `device`'s `createBuffer`, its queue's `submit` and `writeBuffer`, and the `mapAsync`
   * of every buffer it creates from now on, to count them. Called once per device.
   */
  static install(device: GPUDevice): GpuCallCounter {
    const counter = new GpuCallCounter();
    const queue = device.queue;
    const submit = queue.submit.bind(queue);
    const writeBuffer = queue.writeBuffer.bind(queue) as (...args: unknown[]) => void;
    const createBuffer = device.createBuffer.bind(device);
    queue.submit = (buffers: Iterable<GPUCommandBuffer>) => {
      counter.#submits++;
      submit(buffers);
    };
    queue.writeBuffer = ((buffer: GPUBuffer, offset: number, data: BufferSource, dataOffset?: number, size?: number) => {
      counter.#writeBuffers++;
      counter.#writeBufferBytes += writtenBytes(data, dataOffset, size);
      writeBuffer(buffer, offset, data, dataOffset, size);
    }) as GPUQueue["writeBuffer"];
    device.createBuffer = (descriptor: GPUBufferDescriptor) => {
      counter.#createBuffers++;
      const buffer = createBuffer(descriptor);
      const mapAsync = buffer.mapAsync.bind(buffer);
      buffer.mapAsync = (mode: number, offset?: number, size?: number) => {
        counter.#maps++;
        return mapAsync(mode, offset, size);
      };
      return buffer;
    };
    return counter;
  }
}

/**
 * `after - before`, field by field: the calls made between two snapshots.
 *
 * @example
 * ```ts
 * const perBatch = diffCounts(counter.snapshot(), before);
 * ```
 */
export function diffCounts(after: GpuCallCounts, before: GpuCallCounts): GpuCallCounts {
  return {
    submits: after.submits - before.submits,
    createBuffers: after.createBuffers - before.createBuffers,
    writeBuffers: after.writeBuffers - before.writeBuffers,
    writeBufferBytes: after.writeBufferBytes - before.writeBufferBytes,
    maps: after.maps - before.maps,
  };
}

/** The bytes one `writeBuffer(buffer, offset, data, dataOffset, size)` writes (offsets and size in elements of a typed array). */
function writtenBytes(data: BufferSource, dataOffset = 0, size?: number): number {
  const element = ArrayBuffer.isView(data) && "BYTES_PER_ELEMENT" in data ? (data as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT : 1;
  if (size !== undefined) return size * element;
  return data.byteLength - dataOffset * element;
}
