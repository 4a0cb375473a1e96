/**
 * Reading a batch back to the CPU in one round trip: every output array gets a region of a
 * MAP_READ staging buffer, the copies into it are recorded into the batch's own command buffer
 * (after its passes), and one `mapAsync` per staging buffer (one per batch unless the batch is
 * larger than the device's `maxBufferSize`) brings all arrays back together. Each array is sliced
 * out of the mapped range into its own ArrayBuffer, as a separate readback per array would give.
 *
 * @example
 * ```ts
 * const staging = new BatchStaging(ctx, { raw: rawBytes, gt: gtBytes });
 * const { buffer, offset } = staging.region("raw");
 * encoder.copyBufferToBuffer(rawOut, 0, buffer, offset, rawBytes);
 * // ... copies into staging.region("gt") ...
 * ctx.device.queue.submit([encoder.finish()]);
 * const { raw, gt } = await staging.read(signal); // Float32Arrays
 * staging.destroy();
 * ```
 * @module
 */

import { abortable, throwIfAborted } from "../errors.ts";
import type { GpuContext } from "../gpu/context.ts";
import type { BatchBufferPool } from "./buffers.ts";
import { MAP_MODE, USAGE } from "../gpu/usage.ts";

/** GPUBufferUsage.MAP_READ | COPY_DST and GPUMapMode.READ (spec constants). */
const STAGING_USAGE = USAGE.MAP_READ | USAGE.COPY_DST;
const MAP_READ = MAP_MODE.READ;

/** Where one array lands: a staging buffer and a byte offset in it. */
export interface StagingRegion {
  readonly buffer: GPUBuffer;
  readonly offset: number;
}

/**
 * MAP_READ buffers holding a batch's output arrays back to back (4-byte aligned), packed into as
 * few buffers as `maxBufferSize` allows. Owns its buffers: call {@link BatchStaging.destroy}
 * (which gives them back to the pool they came from once they were read and unmapped).
 */
export class BatchStaging {
  readonly #ctx: GpuContext;
  readonly #pool: BatchBufferPool | undefined;
  readonly #buffers: GPUBuffer[] = [];
  readonly #regions = new Map<string, { index: number; offset: number; bytes: number }>();
  #unmapped = true;

  /**
   * @param ctx the GPU context
   * @param sizes bytes per array name (multiples of 4); each at most `maxBufferSize`
   * @param pool where the staging buffers come from and go back to (fresh buffers without one)
   */
  constructor(ctx: GpuContext, sizes: Readonly<Record<string, number>>, pool?: BatchBufferPool) {
    this.#ctx = ctx;
    this.#pool = pool;
    const max = ctx.device.limits.maxBufferSize;
    const totals: number[] = [];
    for (const [name, bytes] of Object.entries(sizes)) {
      let index = totals.length - 1;
      if (index < 0 || totals[index]! + bytes > max) {
        totals.push(0);
        index++;
      }
      this.#regions.set(name, { index, offset: totals[index]!, bytes });
      totals[index] = totals[index]! + bytes;
    }
    try {
      for (const [i, total] of totals.entries()) {
        const label = `${ctx.label} batch readback ${i}`;
        const size = Math.max(4, total);
        this.#buffers.push(pool ? pool.acquire(ctx.device, label, size, STAGING_USAGE) : ctx.device.createBuffer({ label, size, usage: STAGING_USAGE }));
      }
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  /** The staging buffer and offset that array `name` is copied to. */
  region(name: string): StagingRegion {
    const r = this.#regions.get(name);
    if (!r) throw new Error(`no staging region named ${name}`);
    return { buffer: this.#buffers[r.index]!, offset: r.offset };
  }

  /**
   * Map every staging buffer (after the copies were submitted) and copy each array out: into
   * fresh arrays, or into the arrays `take` gives (`n` values each).
   *
   * @throws {AbortedError} when `signal` aborts first
   * @throws {DeviceLostError} when the device is lost first
   */
  async read(signal?: AbortSignal, take?: (n: number) => Float32Array): Promise<Record<string, Float32Array>> {
    throwIfAborted(signal, "reading a batch back");
    this.#unmapped = false;
    await Promise.all(this.#buffers.map((b) => this.#ctx.track(abortable(b.mapAsync(MAP_READ), signal, "reading a batch back"))));
    const ranges = this.#buffers.map((b) => b.getMappedRange());
    const out: Record<string, Float32Array> = {};
    for (const [name, r] of this.#regions) {
      if (take) {
        // Into an array of the caller's (a released batch's, written before: no fresh pages).
        const a = take(r.bytes / 4);
        a.set(new Float32Array(ranges[r.index]!, r.offset, r.bytes / 4));
        out[name] = a;
      } else {
        out[name] = new Float32Array(ranges[r.index]!.slice(r.offset, r.offset + r.bytes));
      }
    }
    for (const b of this.#buffers) b.unmap();
    this.#unmapped = true;
    return out;
  }

  /**
   * Give the staging buffers back to the pool when they are unmapped, else destroy them (a
   * pending map rejects).
   */
  destroy(): void {
    for (const b of this.#buffers) {
      if (this.#pool && this.#unmapped) this.#pool.release(b);
      else b.destroy();
    }
    this.#buffers.length = 0;
  }
}
