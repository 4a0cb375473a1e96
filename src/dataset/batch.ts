/**
 * Building one batch: for every array, ONE resample call per run of samples from the same
 * dataset (so one GPU dispatch per (batch, array) when the batch comes from one dataset), then
 * the class-relationship pass (on labels) and the value passes, all recorded into one command
 * buffer (a `BatchRecorder`: one submit per batch unless its chunks do not fit the caches); when
 * the consumer wants CPU arrays, that command buffer also copies every array into one staging
 * buffer, read back with a single map (`batch-readback.ts`).
 *
 * CPU datasets write every array into its batch array directly (in shared memory when the CPU
 * executor's workers resample, reused through a loader's `BatchArrayPool`); targets without value
 * passes go straight into `[B, C, z, y, x]`, each class's samples `C` rows apart, and get their
 * true negatives there. The rest of this describes the general (and GPU) layout.
 *
 * Layout (both outputs): one f32 array per output name, C-order, `[B, 1, z, y, x]` for inputs
 * and `[B, C, z, y, x]` for targets (C in the order of `classes`). Targets are resampled class by
 * class into a `[C, B, z, y, x]` scratch first, which keeps each class's samples contiguous for
 * its single resample call and its value pass; the class-relationship pass runs on that scratch
 * too (as one sample of `B * z * y * x` voxels) when it fits one storage binding, and the classes
 * are then copied into place, straight into the staging buffer for CPU output. Cellpose flow
 * targets are `[B, 3, z, y, x]`: their class (and the classes exclusive with it) are read the same
 * way, given their true negatives and turned into flows in the same command buffer
 * (`derived-targets.ts`).
 *
 * 2D slices: each dataset reads its own 3D spec (`[1, h, w]`, `[h, 1, w]` or `[h, w, 1]`, one per
 * slicing axis), all with the same voxel count, into the same `[h, w]` planes, so a batch may mix
 * slicing axes (one run per dataset); outputs are `[B, 1, h, w]` and `[B, C, h, w]`.
 * @module
 */

import type { SampleSpec } from "../array/cellmap-array.ts";
import { ArgumentError, throwIfAborted } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";
import type { GpuContext } from "../gpu/context.ts";
import type { CellMapDataset, SamplePlan } from "./dataset.ts";
import { maxSampleBytes } from "../gpu/batch-dispatch.ts";
import type { BatchBufferPool } from "./batch-buffers.ts";
import { batchArray, type BatchArrayPool } from "./batch-arrays.ts";
import { BatchStaging } from "./batch-readback.ts";
import { cellposeLabels, cellposeTargetCpu, encodeCellposeTarget, type CellposeLabels } from "./derived-targets.ts";
import { outputShape, sliceFrame, valueShape } from "./slicing.ts";
import { applyClassRelationships, applyValueOps, type PassTarget, type PassWork } from "./transforms-adapter.ts";
import type { ArrayData, ArraySpec, GpuArrayData } from "./types.ts";
import { BatchRecorder } from "../gpu/batch-recorder.ts";
import { USAGE } from "../gpu/usage.ts";
import { type BatchItem, runsOf, sameConfig } from "./batch-items.ts";
import { constantBuffer } from "./batch-constants.ts";

export type { BatchItem } from "./batch-items.ts";

/** Options of {@link readBatch}. */
export interface ReadBatchOptions {
  /** "cpu": Float32Arrays; "gpu": GPUBuffers left on the device (GPU datasets only). */
  output: "cpu" | "gpu";
  /** Seed of the value passes' noise (a u32). */
  seed: number;
  /**
   * Where the batch's internal GPU buffers come from and go back to (a loader passes one per
   * epoch, so consecutive batches reuse them); fresh buffers without one.
   */
  buffers?: BatchBufferPool;
  /**
   * Where the Float32Arrays of a CPU batch come from (a loader passes one, and `batch.release()`
   * gives them back); fresh arrays without one.
   */
  arrays?: BatchArrayPool;
  signal?: AbortSignal;
}

/** A batch as read: arrays by name, sample centers and plans. */
export interface ReadBatchResult<A> {
  arrays: Record<string, A>;
  centers: Vec3[];
}

const voxels = (s: ArraySpec): number => s.shape[0] * s.shape[1] * s.shape[2];
const BATCH_USAGE = USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST;

/**
 * Read a batch. Items must come grouped by dataset (the loader sorts them); each run of one
 * dataset is one resample call per array.
 *
 * @param items The samples, in batch order.
 * @param options Output kind, noise seed, abort signal.
 */
export async function readBatch(
  items: readonly BatchItem[],
  options: ReadBatchOptions,
): Promise<ReadBatchResult<ArrayData | GpuArrayData>> {
  if (items.length === 0) throw new ArgumentError("batch", "must hold at least one sample");
  sameConfig(items);
  const first = items[0]!.dataset;
  const B = items.length;
  const plans: SamplePlan[] = items.map((it) => it.dataset.plan(it.index, it.rng));
  const runs = runsOf(items);
  const specs: SampleSpec[] = plans.map((p) => ({ center: p.center, ...(p.augment ? { augment: p.augment } : {}), ...(p.deform ? { deform: p.deform } : {}) }));
  const specsOf = (start: number, end: number): SampleSpec[] => specs.slice(start, end);
  const signal = options.signal ? { signal: options.signal } : {};
  throwIfAborted(options.signal, "reading a batch");
  const classes = first.classes;
  const C = classes.length;
  const outShape = (spec: ArraySpec) => outputShape(spec, first.slicingAxis);
  const opsShape = (spec: ArraySpec) => valueShape(spec, first.slicingAxis);
  // The voxel size along opsShape's axes: the spacing of distance transforms.
  const opsScale = (spec: ArraySpec): Vec3 => (first.slicingAxis === undefined ? spec.scale : (sliceFrame(first.slicingAxis).map((i) => spec.scale[i]!) as Vec3));
  if (first.device === "cpu") {
    if (options.output === "gpu") throw new ArgumentError("output", 'must be "cpu" for datasets on device "cpu"', options.output);
    return readCpu();
  }
  return readGpu(contextOf(first));

  async function readCpu(): Promise<ReadBatchResult<ArrayData>> {
    // Shared memory when the executor's workers resample: they write into these arrays directly.
    const shared = first.input.stats.executor.kind === "workers";
    const pool = options.arrays;
    const take = (n: number): Float32Array => (pool ? pool.acquire(n, shared) : batchArray(n, shared));
    const arrays: Record<string, ArrayData> = {};
    const work: Promise<void>[] = [];
    for (const [name, spec] of Object.entries(first.inputArrays)) {
      const V = voxels(spec);
      const data = take(B * V);
      for (const r of runs) {
        const ds = items[r.start]!.dataset;
        const out = data.subarray(r.start * V, r.end * V);
        work.push(ds.input.sample(specsOf(r.start, r.end), { ...ds.inputArrays[name]!, interp: "linear", pad: ds.inputPad, out, ...signal }).then(() => {}));
      }
      arrays[name] = { data, shape: [B, 1, ...outShape(spec)] };
    }
    // Targets without value passes are written in place, `[B, C, V]`, each class's samples C * V
    // apart; with value passes, class by class into a `[C, B, V]` scratch first (each class's
    // samples contiguous for its pass) and then copied into place.
    const inPlace = plans.every((p) => classes.every((cls) => p.targetOps[cls]!.length === 0));
    const scratch: Record<string, Float32Array> = {};
    for (const [name, spec] of Object.entries(first.targetArrays)) {
      const V = voxels(spec);
      const s = (scratch[name] = take(C * B * V));
      // Where sample b of class c starts, and how far its next sample is.
      const at = inPlace ? (b: number, c: number) => (b * C + c) * V : (b: number, c: number) => (c * B + b) * V;
      const stride = inPlace ? C * V : V;
      classes.forEach((cls, c) => {
        for (const r of runs) {
          const ds = items[r.start]!.dataset;
          const arr = ds.classArray(cls);
          if (!arr) {
            for (let b = r.start; b < r.end; b++) s.fill(ds.emptyValue, at(b, c), at(b, c) + V);
          } else {
            const out = s.subarray(at(r.start, c), at(r.end - 1, c) + V);
            work.push(arr.sample(specsOf(r.start, r.end), { ...ds.targetArrays[name]!, interp: "nearest", pad: ds.emptyValue, out, outStride: stride, ...signal }).then(() => {}));
          }
        }
      });
    }
    // Flow targets: their class (and the classes exclusive with it) as labels, class-major.
    const flowLabels: Record<string, { data: Float32Array; labels: CellposeLabels }> = {};
    for (const [name, spec] of Object.entries(first.cellposeTargets)) {
      const V = voxels(spec);
      const labels = cellposeLabels(leafDatasets(), spec.class);
      const s = take(labels.classes.length * B * V);
      flowLabels[name] = { data: s, labels };
      labels.classes.forEach((cls, c) => {
        for (const r of runs) {
          const ds = items[r.start]!.dataset;
          const arr = ds.classArray(cls);
          const at = (c * B + r.start) * V;
          const own = ds.cellposeTargets[name]!;
          if (!arr) s.fill(ds.emptyValue, at, at + (r.end - r.start) * V);
          else work.push(arr.sample(specsOf(r.start, r.end), { shape: own.shape, scale: own.scale, interp: "nearest", pad: ds.emptyValue, out: s.subarray(at, at + (r.end - r.start) * V), ...signal }).then(() => {}));
        }
      });
    }
    await Promise.all(work);
    for (const [name, spec] of Object.entries(first.inputArrays)) {
      applyValueOps({ kind: "cpu", data: arrays[name]!.data }, { batch: B, shape: opsShape(spec), scale: opsScale(spec), ops: plans.map((p) => p.inputOps[name]!), seed: options.seed });
    }
    for (const [name, spec] of Object.entries(first.targetArrays)) {
      const V = voxels(spec);
      const s = scratch[name]!;
      if (inPlace) {
        // The same rule per voxel whichever layout: [B, C, V] is `B` samples of `V` voxels.
        relationships({ kind: "cpu", data: s }, V, B);
        arrays[name] = { data: s, shape: [B, C, ...outShape(spec)] };
        continue;
      }
      relationships({ kind: "cpu", data: s }, B * V, 1);
      classes.forEach((cls, c) => {
        const ops = plans.map((p) => p.targetOps[cls]!);
        applyValueOps({ kind: "cpu", data: s.subarray(c * B * V, (c + 1) * B * V) }, { batch: B, shape: opsShape(spec), scale: opsScale(spec), ops, seed: options.seed });
      });
      const out = take(B * C * V);
      for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) out.set(s.subarray((c * B + b) * V, (c * B + b + 1) * V), (b * C + c) * V);
      pool?.release(s);
      arrays[name] = { data: out, shape: [B, C, ...outShape(spec)] };
    }
    for (const [name, spec] of Object.entries(first.cellposeTargets)) {
      const { data, labels } = flowLabels[name]!;
      arrays[name] = { data: cellposeTargetCpu(data, { batch: B, spec, labels, emptyValue: first.emptyValue }), shape: [B, spec.flowShape.length, ...outShape(spec)] };
      pool?.release(data);
    }
    return { arrays, centers: plans.map((p) => p.center) };
  }

  // deno-lint-ignore no-explicit-any
  function leafDatasets(): CellMapDataset<any>[] {
    return [...new Set(items.map((it) => it.dataset))];
  }

  /**
   * True negatives on `[batch, C, V]` values, before the target value transforms: the rule reads
   * labels (1 present, `emptyValue` unknown), not transformed values such as distances. Both
   * paths run it on the class-major scratch `[C, B, V]` as one sample of `B * V` voxels (the GPU
   * path when that fits one binding).
   */
  function relationships(target: PassTarget, V: number, batch: number): PassWork | undefined {
    const withRel = new Set(items.map((it) => it.dataset).filter((d) => d.hasRelationships));
    if (withRel.size === 0) return undefined;
    const ref = JSON.stringify([...withRel][0]!.exclusive);
    if ([...withRel].some((d) => JSON.stringify(d.exclusive) !== ref) || withRel.size !== new Set(items.map((it) => it.dataset)).size) {
      throw new ArgumentError("classRelationships", "must be the same for every dataset of a batch");
    }
    return applyClassRelationships(target, { batch, classes: C, voxels: V, exclusive: [...withRel][0]!.exclusive, emptyValue: first.emptyValue });
  }

  async function readGpu(ctx: GpuContext): Promise<ReadBatchResult<ArrayData | GpuArrayData>> {
    const device = ctx.device;
    const toCpu = options.output === "cpu";
    const pool = options.buffers;
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
    const into = { recorder };
    try {
      // Inputs and flows are written by passes, so they get their own buffers; targets are
      // assembled from the class-major scratch straight into their destination (the batch's
      // buffer for GPU output, the staging buffer for CPU output).
      const finals: Record<string, GpuArrayData> = {};
      const targetShapes: Record<string, number[]> = {};
      const scratch: Record<string, GPUBuffer> = {};
      const fills: Array<{ buffer: GPUBuffer; at: number; bytes: number; value: number }> = [];
      const work: Promise<void>[] = [];
      for (const [name, spec] of Object.entries(first.inputArrays)) {
        const V = voxels(spec);
        const buffer = make(`batch ${name}`, B * V * 4, !toCpu);
        for (const r of runs) {
          const ds = items[r.start]!.dataset;
          work.push(ds.input.sampleInto(specsOf(r.start, r.end), { ...ds.inputArrays[name]!, interp: "linear", pad: ds.inputPad, buffer, byteOffset: r.start * V * 4, ...into, ...signal }));
        }
        finals[name] = { buffer, shape: [B, 1, ...outShape(spec)], byteLength: B * V * 4 };
      }
      for (const [name, spec] of Object.entries(first.targetArrays)) {
        const V = voxels(spec);
        const s = (scratch[name] = make(`batch ${name} scratch`, C * B * V * 4));
        classes.forEach((cls, c) => {
          for (const r of runs) {
            const ds = items[r.start]!.dataset;
            const arr = ds.classArray(cls);
            const at = (c * B + r.start) * V * 4;
            if (!arr) {
              fills.push({ buffer: s, at, bytes: (r.end - r.start) * V * 4, value: ds.emptyValue });
            } else {
              work.push(arr.sampleInto(specsOf(r.start, r.end), { ...ds.targetArrays[name]!, interp: "nearest", pad: ds.emptyValue, buffer: s, byteOffset: at, ...into, ...signal }));
            }
          }
        });
        targetShapes[name] = [B, C, ...outShape(spec)];
        if (!toCpu) finals[name] = { buffer: make(`batch ${name}`, B * C * V * 4, true), shape: targetShapes[name], byteLength: B * C * V * 4 };
      }
      // Flow targets: their class (and the classes exclusive with it) as labels, class-major.
      const flowLabels: Record<string, { buffer: GPUBuffer; labels: CellposeLabels }> = {};
      for (const [name, spec] of Object.entries(first.cellposeTargets)) {
        const V = voxels(spec);
        const labels = cellposeLabels(leafDatasets(), spec.class);
        const s = make(`batch ${name} labels`, labels.classes.length * B * V * 4);
        flowLabels[name] = { buffer: s, labels };
        labels.classes.forEach((cls, c) => {
          for (const r of runs) {
            const ds = items[r.start]!.dataset;
            const arr = ds.classArray(cls);
            const at = (c * B + r.start) * V * 4;
            const own = ds.cellposeTargets[name]!;
            if (!arr) fills.push({ buffer: s, at, bytes: (r.end - r.start) * V * 4, value: ds.emptyValue });
            else work.push(arr.sampleInto(specsOf(r.start, r.end), { shape: own.shape, scale: own.scale, interp: "nearest", pad: ds.emptyValue, buffer: s, byteOffset: at, ...into, ...signal }));
          }
        });
        const F = spec.flowShape.length; // flow channels: 3, or 2 on a 2D slice dataset
        finals[name] = { buffer: make(`batch ${name}`, B * F * V * 4, !toCpu), shape: [B, F, ...outShape(spec)], byteLength: B * F * V * 4 };
      }
      if (toCpu) {
        const sizes: Record<string, number> = {};
        for (const name of Object.keys(first.inputArrays)) sizes[name] = finals[name]!.byteLength;
        for (const [name, spec] of Object.entries(first.targetArrays)) sizes[name] = B * C * voxels(spec) * 4;
        for (const name of Object.keys(first.cellposeTargets)) sizes[name] = finals[name]!.byteLength;
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
      const gpuTarget = (buffer: GPUBuffer, byteOffset: number): PassTarget => ({ kind: "gpu", ctx, encoder, buffer, byteOffset });
      for (const [name, spec] of Object.entries(first.inputArrays)) {
        works.push(applyValueOps(gpuTarget(finals[name]!.buffer, 0), { batch: B, shape: opsShape(spec), scale: opsScale(spec), ops: plans.map((p) => p.inputOps[name]!), seed: options.seed }));
      }
      const withRelationships = items.some((it) => it.dataset.hasRelationships);
      for (const [name, spec] of Object.entries(first.targetArrays)) {
        const V = voxels(spec);
        const s = scratch[name]!;
        const dest = toCpu ? staging!.region(name) : { buffer: finals[name]!.buffer, offset: 0 };
        // [C, B, V] -> [B, C, V]: one copy per (sample, class).
        const assemble = (src: GPUBuffer, to: { buffer: GPUBuffer; offset: number }) => {
          for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) encoder.copyBufferToBuffer(src, (c * B + b) * V * 4, to.buffer, to.offset + (b * C + c) * V * 4, V * 4);
        };
        const targetOps = classes.map((cls) => plans.map((p) => p.targetOps[cls]!));
        const valueOps = () => targetOps.forEach((ops, c) => {
          works.push(applyValueOps(gpuTarget(s, c * B * V * 4), { batch: B, shape: opsShape(spec), scale: opsScale(spec), ops, seed: options.seed }));
        });
        // True negatives come first, on labels. The class-major scratch [C, B, V] is the
        // pass's [batch, classes, voxels] layout with batch 1 and B * V voxels, so it runs there
        // when the whole scratch fits one binding; otherwise on the [B, C, V] layout, bound per
        // group of samples, and back.
        if (!withRelationships || C * B * V * 4 <= maxSampleBytes(device)) {
          works.push(relationships(gpuTarget(s, 0), B * V, 1));
          valueOps();
          assemble(s, dest);
        } else {
          const out = toCpu ? make(`batch ${name}`, B * C * V * 4) : dest.buffer;
          assemble(s, { buffer: out, offset: 0 });
          works.push(relationships(gpuTarget(out, 0), V, B));
          if (targetOps.some((ops) => ops.some((o) => o.length > 0))) {
            for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) encoder.copyBufferToBuffer(out, (b * C + c) * V * 4, s, (c * B + b) * V * 4, V * 4);
            valueOps();
            assemble(s, { buffer: out, offset: 0 });
          }
          if (toCpu) encoder.copyBufferToBuffer(out, 0, dest.buffer, dest.offset, B * C * V * 4);
        }
      }
      for (const [name, spec] of Object.entries(first.cellposeTargets)) {
        const { buffer, labels } = flowLabels[name]!;
        works.push(encodeCellposeTarget(ctx, encoder, { scratch: buffer, flows: finals[name]!.buffer, batch: B, spec, labels, emptyValue: first.emptyValue }));
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
      if (!staging) return { arrays: finals, centers: plans.map((p) => p.center) };
      const data = await staging.read(options.signal);
      const arrays: Record<string, ArrayData> = {};
      for (const name of [...Object.keys(first.inputArrays), ...Object.keys(first.targetArrays), ...Object.keys(first.cellposeTargets)]) {
        arrays[name] = { data: data[name]!, shape: finals[name]?.shape ?? targetShapes[name]! };
      }
      return { arrays, centers: plans.map((p) => p.center) };
    } catch (e) {
      recorder.abandon();
      for (const b of [...owned, ...internal]) b.destroy();
      throw e;
    } finally {
      staging?.destroy();
    }
  }
}

function contextOf(ds: CellMapDataset): GpuContext {
  const ctx = ds.gpu;
  if (!ctx) throw new ArgumentError("gpu", "is required to read batches of GPU datasets");
  return ctx;
}
