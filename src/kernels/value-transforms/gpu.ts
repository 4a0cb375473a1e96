/**
 * Host side of `value-transforms.wgsl`: records the value transforms of a batch, in place on an
 * f32 buffer `[batch, z, y, x]`, with few dispatches. The CPU twin is `twin.ts`; both take the
 * ops and the blur kernels from `contract.ts`.
 *
 * Each sample's op list is cut into stages at the ops that need more than one voxel: a blur (three
 * separable passes through a scratch buffer) and a contrast (whose pivot is the sample's mean, so
 * a reduction runs first). Every stage's pointwise ops of all samples run in ONE dispatch that
 * reads an op table; typical specs (normalize, noise, gamma, binarize, nanToNum) are one dispatch
 * per batch. Noise comes from a counter-based hash of (seed, sample, op key, voxel), so the result
 * never depends on scheduling. Two more barriers: a distance transform (three passes,
 * `../distance/gpu.ts`) and a custom op (one dispatch of the op's own pipeline per distinct
 * source, `src/kernels/custom-op/gpu.ts`; prepare it first with {@link prepareValueTransforms}).
 *
 * The parts: `gpu-plan.ts` cuts op lists into stages, `gpu-tables.ts` writes the tables and
 * uniforms by field name, `gpu-passes.ts` makes the dispatches of each pass, `gpu-record.ts`
 * records them.
 *
 * @example
 * ```ts
 * const encoder = ctx.device.createCommandEncoder();
 * const work = encodeValueOps(ctx, encoder, {
 *   buffer, byteOffset: 0, batch: 2, shape: [64, 64, 64], seed: 42,
 *   ops: [drawValueOps(spec, rng), drawValueOps(spec, rng)],
 * });
 * ctx.device.queue.submit([encoder.finish()]);
 * work.release(); // after submit
 * ```
 * @module
 */

import type { GpuContext } from "../../gpu/context.ts";
import { bytesOf, dispatchGrid, sampleGroups, uploadBuffer, USAGE, WORKGROUP_SIZE } from "../../gpu/batch-dispatch.ts";
import { customOpPipeline, CUSTOM_ROW_WORDS, prepareCustomOp, writeCustomRow } from "../custom-op/gpu.ts";
import { distanceScratchWords, distanceSteps, prepareDistance } from "../distance/gpu.ts";
import type { CustomOp, ValueOp, ValueOpsOptions } from "./contract.ts";
import { limitGroups, planSample, validateOptions } from "./gpu-plan.ts";
import { blurSteps, customStep, meanSteps, pointwiseStep, prepareValuePipelines, type ValueBuffers, type ValueGroup } from "./gpu-passes.ts";
import { type EncodedWork, encodedWork, recordSteps, type ValueStep } from "./gpu-record.ts";
import { buildTables, PARTIAL_BYTES } from "./gpu-tables.ts";

/** Inputs of {@link encodeValueOps}. */
export interface ValueOpsDispatchOptions extends ValueOpsOptions {
  /** f32 values `[batch, z, y, x]` at `byteOffset`; needs STORAGE usage. */
  readonly buffer: GPUBuffer;
  /** Byte offset of the first value, a multiple of 4. */
  readonly byteOffset: number;
}

/** Voxels each thread of the mean reduction sums per block, at least (more on huge samples). */
const REDUCE_ITEMS = 16;

/**
 * Compile and validate the value-transform pipelines of the context's device, so shader errors
 * surface as a {@link GpuError} with the compiler's messages rather than as a failed submit, and
 * compile the custom ops among `ops` (each distinct source once per device). Optional for the
 * built-in ops ({@link encodeValueOps} compiles them on first use); required before recording
 * a custom op.
 *
 * @param ctx the GPU context
 * @param ops op lists (per sample, as {@link encodeValueOps} takes them) whose custom ops to compile
 * @throws {GpuError} when a pipeline fails validation
 * @throws {CustomOpError} (a GpuError) naming the custom op whose WGSL does not compile
 * @example
 * ```ts
 * await prepareValueTransforms(ctx, [drawValueOps(spec, rng)]);
 * ```
 */
export async function prepareValueTransforms(ctx: GpuContext, ops: readonly (readonly ValueOp[])[] = []): Promise<void> {
  await prepareValuePipelines(ctx);
  await prepareDistance(ctx);
  const customs = new Map<string, CustomOp>();
  for (const list of ops) for (const op of list) if (op.kind === "custom") customs.set(op.source, op);
  await Promise.all([...customs.values()].map((op) => prepareCustomOp(ctx, op)));
}

/**
 * Record the value transforms of a batch into `encoder`, in place on `buffer`. Samples are bound
 * in groups that fit the device's storage-binding limit.
 *
 * @param ctx the GPU context (its device owns `buffer`)
 * @param encoder where the compute passes are recorded
 * @param options buffer, layout, per-sample ops and noise seed
 * @returns the recorded work; call `release()` after submitting
 * @throws {ArgumentError} on inconsistent options or malformed ops
 * @throws {GpuError} when one sample exceeds the device's binding limit
 * @example
 * ```ts
 * const work = encodeValueOps(ctx, encoder, { buffer, byteOffset: 0, batch: 1, shape: [8, 8, 8],
 *   ops: [[{ kind: "binarize", threshold: 0.5 }]], seed: 0 });
 * ```
 */
export function encodeValueOps(ctx: GpuContext, encoder: GPUCommandEncoder, options: ValueOpsDispatchOptions): EncodedWork {
  ctx.assertAlive();
  validateOptions(options);
  const { buffer, batch, shape } = options;
  const voxels = shape[0] * shape[1] * shape[2];
  const sampleBytes = voxels * 4;
  const seed = options.seed >>> 0;
  const plans = options.ops.map((ops, b) => planSample(ops, `ops[${b}]`));
  const barrierCount = Math.max(...plans.map((p) => p.barriers.length));
  const stageCount = barrierCount + 1;
  if (plans.every((p) => p.barriers.length === 0 && p.stages[0]!.length === 0)) return { release() {}, dispatches: 0 };

  const device = ctx.device;
  const scale = options.scale ?? [1, 1, 1];
  const anyDistance = plans.some((p) => p.barriers.some((b) => b.kind === "distance"));
  const distWords = distanceScratchWords(shape);
  let groups = sampleGroups(device, buffer, { byteOffset: options.byteOffset, batch, sampleBytes }, "value transforms");
  if (anyDistance) groups = limitGroups(groups, device, 4 * distWords.env, { byteOffset: options.byteOffset, sampleBytes }, "distance transform");
  const label = `${ctx.label} value transforms`;
  // Custom pipelines first: an op that is not prepared (or did not compile) throws before anything is made.
  const customPipelines = new Map<string, GPUComputePipeline>();
  for (const p of plans) for (const b of p.barriers) if (b.kind === "custom") customPipelines.set(b.op.source, customOpPipeline(ctx, b.op));

  const tables = buildTables(plans, batch, barrierCount);

  const made: GPUBuffer[] = [];
  const make = (name: string, data: ArrayBufferView) => {
    const b = uploadBuffer(ctx.uploads, `${label} ${name}`, USAGE.STORAGE, bytesOf(data));
    made.push(b);
    return b;
  };
  const scratchBuffer = (name: string, size: number) => {
    const b = ctx.uploads.scratch(encoder, `${label} ${name}`, USAGE.STORAGE, size);
    made.push(b);
    return b;
  };
  const maxCount = Math.max(...groups.map((g) => g.count));
  const items = Math.max(REDUCE_ITEMS, Math.ceil(voxels / (WORKGROUP_SIZE * 65535)));
  const blocks = Math.ceil(voxels / (WORKGROUP_SIZE * items));
  const buffers: ValueBuffers = {
    ops: make("ops", new Uint32Array(tables.ops)),
    segs: make("segments", tables.segs),
    means: make("means", new Float32Array(batch)),
    blurTable: tables.anyBlur ? make("blur table", new Uint8Array(tables.blurTable)) : undefined,
    weights: tables.anyBlur ? make("blur weights", new Float32Array(tables.weights)) : undefined,
    scratch: tables.anyBlur ? scratchBuffer("scratch", maxCount * sampleBytes) : undefined,
  };
  let distWork: GPUBuffer | undefined;
  let distEnv: GPUBuffer | undefined;
  let distTableBuf: GPUBuffer | undefined;
  if (anyDistance) {
    distWork = scratchBuffer("distance channels", maxCount * distWords.work * 4);
    distEnv = scratchBuffer("distance envelopes", maxCount * distWords.env * 4);
    distTableBuf = make("distance table", new Uint8Array(tables.distTable));
  }
  const customTables = new Map<string, GPUBuffer>();
  const customTable = (k: number, source: string): GPUBuffer => {
    const id = `${k}\u0000${source}`;
    let t = customTables.get(id);
    if (!t) {
      const rows = new ArrayBuffer(batch * CUSTOM_ROW_WORDS * 4);
      plans.forEach((p, b) => {
        const barrier = p.barriers[k];
        writeCustomRow(rows, b, barrier?.kind === "custom" && barrier.op.source === source ? barrier.op : undefined);
      });
      customTables.set(id, (t = make(`custom table ${k}`, new Uint8Array(rows))));
    }
    return t;
  };
  const all: ValueBuffers = tables.anyMean
    ? { ...buffers, partials: scratchBuffer("partial sums", Math.max(16, maxCount * blocks * PARTIAL_BYTES)) }
    : buffers;

  const maxDim = device.limits.maxComputeWorkgroupsPerDimension;
  const steps: ValueStep[] = [];
  for (const g of groups) {
    const grid = dispatchGrid(g.count * voxels, maxDim);
    const data: GPUBufferBinding = { buffer, offset: g.bindOffset, size: g.bindSize };
    const base = { shape, voxels, batch: g.count, sampleBase: g.first, rowWidth: grid.rowWidth, stage: 0, totalBatch: batch, srcOffset: 0, dstOffset: 0, seed, blocks, items };
    const v: ValueGroup = { group: g, data, sampleBytes, batch, grid, base };
    const inGroup = plans.slice(g.first, g.first + g.count);
    for (let k = 0; k < stageCount; k++) {
      if (inGroup.some((p) => (p.stages[k]?.length ?? 0) > 0)) steps.push(pointwiseStep(ctx, v, k, all));
      if (k === barrierCount) break;
      const atK = inGroup.map((p) => p.barriers[k]);
      // Axes some sample of this group blurs along at barrier k.
      const axes = [0, 1, 2].map((a) => atK.some((b) => b?.kind === "blur" && b.radii[a]! > 0));
      if (axes.some(Boolean)) steps.push(...blurSteps(ctx, v, k, axes, all));
      if (atK.some((b) => b?.kind === "mean")) steps.push(...meanSteps(ctx, v, all));
      if (atK.some((b) => b?.kind === "distance")) {
        steps.push(
          ...distanceSteps(ctx, shape, scale, {
            count: g.count,
            first: g.first,
            data,
            elementOffset: g.elementOffset,
            work: { buffer: distWork!, offset: 0, size: g.count * distWords.work * 4 },
            env: { buffer: distEnv!, offset: 0, size: g.count * distWords.env * 4 },
            table: distTableBuf!,
            tableBase: k * batch,
          }),
        );
      }
      const sources = new Set(atK.flatMap((b) => (b?.kind === "custom" ? [b.op.source] : [])));
      for (const source of sources) steps.push(customStep(v, customPipelines.get(source)!, customTable(k, source)));
    }
  }
  recordSteps(ctx, encoder, label, steps, made);
  return encodedWork(ctx.uploads, made, steps.length);
}
