/**
 * The GPU executor of a {@link BatchPlan}: every read, the class-relationship pass (on labels),
 * the value passes and the cellpose flows, all recorded into one command buffer (a
 * `BatchRecorder`: one submit per batch unless its chunks do not fit the caches); when the
 * consumer wants CPU arrays, that command buffer also copies every array into one staging
 * buffer, read back with a single map (`batch-readback.ts`).
 *
 * Targets are resampled class by class into a `[C, B, z, y, x]` scratch first, which keeps each
 * class's samples contiguous for its single resample call and its value pass; the
 * class-relationship pass runs on that scratch too (as one sample of `B * z * y * x` voxels) when
 * it fits one storage binding, and the classes are then copied into place, straight into the
 * staging buffer for CPU output. Cellpose flow targets read their class (and the classes
 * exclusive with it) the same way, get their true negatives and become flows in the same command
 * buffer (`derived-targets.ts`).
 * @module
 */

import { ArgumentError, throwIfAborted } from "../errors.ts";
import type { GpuContext } from "../gpu/context.ts";
import { maxSampleBytes } from "../gpu/batch-dispatch.ts";
import { BatchRecorder } from "../gpu/batch-recorder.ts";
import { USAGE } from "../gpu/usage.ts";
import type { BatchArrayPool } from "./arrays.ts";
import type { BatchBufferPool } from "./buffers.ts";
import { constantBuffer } from "./constants.ts";
import type { BatchPlan, PlannedRead, ReadBatchResult } from "./plan.ts";
import { BatchStaging } from "./readback.ts";
import { encodeCellposeTarget } from "./flows.ts";
import { applyClassRelationships, applyValueOps, type PassWork } from "./passes.ts";
import type { ArrayData, GpuArrayData } from "./types.ts";

const BATCH_USAGE = USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST;

/**
 * Run `plan` on its datasets' GPU.
 *
 * @param options `output`: "cpu" reads the batch back into Float32Arrays (from `arrays` when
 *   given), "gpu" hands the buffers over; `buffers`: where the batch's internal buffers come from
 *   and go back to
 */
export async function runBatchGpu(
  plan: BatchPlan,
  options: { output: "cpu" | "gpu"; buffers?: BatchBufferPool; arrays?: BatchArrayPool; signal?: AbortSignal },
): Promise<ReadBatchResult<ArrayData | GpuArrayData>> {
  const ctx: GpuContext | undefined = plan.gpu;
  if (!ctx) throw new ArgumentError("gpu", "is required to read batches of GPU datasets");
  const device = ctx.device;
  const B = plan.batch;
  const C = plan.classes.length;
  const toCpu = options.output === "cpu";
  const pool = options.buffers;
  const signal = options.signal ? { signal: options.signal } : {};
  // Buffers handed to the consumer (GPU output), and the batch's own (from the pool if any).
  const owned: GPUBuffer[] = [];
  const internal: GPUBuffer[] = [];
  const make = (label: string, bytes: number, handedOut = false) => {
    const size = Math.max(4, bytes);
    const full = `${ctx.label} ${label}`;
    const b = !handedOut && pool ? pool.acquire(device, full, size, BATCH_USAGE) : device.createBuffer({ label: full, size, usage: BATCH_USAGE });
    (handedOut ? owned : internal).push(b);
    return b;
  };
  let staging: BatchStaging | undefined;
  // Every array's resample, then the passes and the readback copies: one command buffer.
  const recorder = new BatchRecorder(ctx, "batch");
  try {
    const fills: Array<{ buffer: GPUBuffer; at: number; bytes: number; value: number }> = [];
    const work: Promise<void>[] = [];
    /** Record a read into `buffer`, its first sample at `at` bytes (samples back to back). */
    const run = (r: PlannedRead, buffer: GPUBuffer, at: number, V: number): void => {
      if (r.kind === "fill") fills.push({ buffer, at, bytes: r.count * V * 4, value: r.fill });
      else work.push(r.array.sampleInto(r.specs, { ...r.grid, buffer, byteOffset: at, recorder, ...signal }));
    };
    // Inputs and flows are written by passes, so they get their own buffers; targets are
    // assembled from the class-major scratch straight into their destination (the batch's
    // buffer for GPU output, the staging buffer for CPU output).
    const finals: Record<string, GpuArrayData> = {};
    const scratch: Record<string, GPUBuffer> = {};
    for (const input of plan.inputs) {
      const V = input.voxels;
      const buffer = make(`batch ${input.name}`, B * V * 4, !toCpu);
      for (const r of input.reads) run(r, buffer, r.first * V * 4, V);
      finals[input.name] = { buffer, shape: input.shape, byteLength: B * V * 4 };
    }
    for (const target of plan.targets) {
      const V = target.voxels;
      const s = (scratch[target.name] = make(`batch ${target.name} scratch`, C * B * V * 4));
      target.reads.forEach((reads, c) => {
        for (const r of reads) run(r, s, (c * B + r.first) * V * 4, V);
      });
      if (!toCpu) finals[target.name] = { buffer: make(`batch ${target.name}`, B * C * V * 4, true), shape: target.shape, byteLength: B * C * V * 4 };
    }
    const flowLabels: Record<string, GPUBuffer> = {};
    for (const flows of plan.flows) {
      const V = flows.voxels;
      const s = (flowLabels[flows.name] = make(`batch ${flows.name} labels`, flows.labels.classes.length * B * V * 4));
      flows.reads.forEach((reads, c) => {
        for (const r of reads) run(r, s, (c * B + r.first) * V * 4, V);
      });
      const F = flows.shape[1]!;
      finals[flows.name] = { buffer: make(`batch ${flows.name}`, B * F * V * 4, !toCpu), shape: flows.shape, byteLength: B * F * V * 4 };
    }
    if (toCpu) {
      const sizes: Record<string, number> = {};
      for (const input of plan.inputs) sizes[input.name] = finals[input.name]!.byteLength;
      for (const target of plan.targets) sizes[target.name] = B * C * target.voxels * 4;
      for (const flows of plan.flows) sizes[flows.name] = finals[flows.name]!.byteLength;
      staging = new BatchStaging(ctx, sizes, pool);
    }
    await Promise.all(work);
    throwIfAborted(options.signal, "reading a batch");
    const encoder = recorder.encoder;
    const works: (PassWork | undefined)[] = [];
    // Classes a crop does not annotate: emptyValue, copied from a per-device constant buffer.
    // Each constant buffer is sized for the batch's largest fill before anything is recorded:
    // growing it replaces (destroys) the old one, which must not happen under this encoder.
    const largest = new Map<string, { value: number; bytes: number }>();
    for (const f of fills) {
      const key = String(f.value);
      largest.set(key, { value: f.value, bytes: Math.max(f.bytes, largest.get(key)?.bytes ?? 0) });
    }
    const sources = new Map([...largest].map(([key, l]) => [key, Object.is(l.value, 0) ? undefined : constantBuffer(ctx, l.value, l.bytes)]));
    for (const f of fills) {
      const src = sources.get(String(f.value));
      if (src === undefined) encoder.clearBuffer(f.buffer, f.at, f.bytes);
      else encoder.copyBufferToBuffer(src, 0, f.buffer, f.at, f.bytes);
    }
    const gpuTarget = (buffer: GPUBuffer, byteOffset: number) => ({ kind: "gpu" as const, ctx, encoder, buffer, byteOffset });
    for (const input of plan.inputs) {
      works.push(applyValueOps(gpuTarget(finals[input.name]!.buffer, 0), { batch: B, ...input.ops, seed: plan.seed }));
    }
    const rel = plan.relationships;
    for (const target of plan.targets) {
      const V = target.voxels;
      const s = scratch[target.name]!;
      const dest = toCpu ? staging!.region(target.name) : { buffer: finals[target.name]!.buffer, offset: 0 };
      // [C, B, V] -> [B, C, V]: one copy per (sample, class).
      const assemble = (src: GPUBuffer, to: { buffer: GPUBuffer; offset: number }) => {
        for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) encoder.copyBufferToBuffer(src, (c * B + b) * V * 4, to.buffer, to.offset + (b * C + c) * V * 4, V * 4);
      };
      const valueOps = () => target.ops.forEach((ops, c) => {
        works.push(applyValueOps(gpuTarget(s, c * B * V * 4), { batch: B, ...ops, seed: plan.seed }));
      });
      // True negatives come first, on labels. The class-major scratch [C, B, V] is the
      // pass's [batch, classes, voxels] layout with batch 1 and B * V voxels, so it runs there
      // when the whole scratch fits one binding; otherwise on the [B, C, V] layout, bound per
      // group of samples, and back.
      if (!rel || C * B * V * 4 <= maxSampleBytes(device)) {
        if (rel) works.push(applyClassRelationships(gpuTarget(s, 0), { batch: 1, classes: C, voxels: B * V, ...rel }));
        valueOps();
        assemble(s, dest);
      } else {
        const out = toCpu ? make(`batch ${target.name}`, B * C * V * 4) : dest.buffer;
        assemble(s, { buffer: out, offset: 0 });
        works.push(applyClassRelationships(gpuTarget(out, 0), { batch: B, classes: C, voxels: V, ...rel }));
        if (target.hasOps) {
          for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) encoder.copyBufferToBuffer(out, (b * C + c) * V * 4, s, (c * B + b) * V * 4, V * 4);
          valueOps();
          assemble(s, { buffer: out, offset: 0 });
        }
        if (toCpu) encoder.copyBufferToBuffer(out, 0, dest.buffer, dest.offset, B * C * V * 4);
      }
    }
    for (const flows of plan.flows) {
      works.push(encodeCellposeTarget(ctx, encoder, { scratch: flowLabels[flows.name]!, flows: finals[flows.name]!.buffer, batch: B, spec: flows.spec, labels: flows.labels, emptyValue: plan.emptyValue }));
    }
    if (staging) {
      for (const [name, f] of Object.entries(finals)) {
        const to = staging.region(name);
        encoder.copyBufferToBuffer(f.buffer, 0, to.buffer, to.offset, f.byteLength);
      }
    }
    recorder.submit();
    for (const w of works) w?.release();
    // Later batches' work runs after this submit, so their reuse of these buffers is safe.
    for (const b of internal.splice(0)) {
      if (pool) pool.release(b);
      else b.destroy();
    }
    if (!staging) return { arrays: finals, centers: plan.centers };
    const arrays = options.arrays;
    const data = await staging.read(options.signal, arrays ? (n) => arrays.acquire(n, false) : undefined);
    const read: Record<string, ArrayData> = {};
    for (const out of [...plan.inputs, ...plan.targets, ...plan.flows]) read[out.name] = { data: data[out.name]!, shape: out.shape };
    return { arrays: read, centers: plan.centers };
  } catch (e) {
    recorder.abandon();
    for (const b of [...owned, ...internal]) b.destroy();
    throw e;
  } finally {
    staging?.destroy();
  }
}
