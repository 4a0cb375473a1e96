import type { GpuContext } from "../gpu/context.ts";

const constants = new WeakMap<GPUDevice, Map<string, GPUBuffer>>();

/**
 * A buffer of at least `bytes` bytes holding `value` in every f32, kept per device (grown by
 * doubling; the old one is destroyed, which is safe for work already submitted, so call this
 * before recording a command buffer, never between its commands).
 */
export function constantBuffer(ctx: GpuContext, value: number, bytes: number): GPUBuffer {
  let perDevice = constants.get(ctx.device);
  if (!perDevice) constants.set(ctx.device, (perDevice = new Map()));
  const key = Number.isNaN(value) ? "NaN" : String(value);
  let b = perDevice.get(key);
  if (!b || b.size < bytes) {
    const size = Math.max(bytes, 2 * (b?.size ?? 0), 1 << 16);
    b?.destroy();
    b = ctx.device.createBuffer({ label: `${ctx.label} constant ${key}`, size, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    ctx.device.queue.writeBuffer(b, 0, new Float32Array(size / 4).fill(value));
    perDevice.set(key, b);
  }
  return b;
}
