/**
 * Host side of `shaders/value-transforms.wgsl`: records the value transforms of a batch, in place
 * on an f32 buffer `[batch, z, y, x]`, with few dispatches. The CPU twin is
 * `src/reference/value-transforms.ts`.
 *
 * Each sample's op list is cut into stages at the ops that need more than one voxel: a blur (three
 * separable passes through a scratch buffer) and a contrast (whose pivot is the sample's mean, so
 * a reduction runs first). Every stage's pointwise ops of all samples run in ONE dispatch that
 * reads an op table; typical specs (normalize, noise, gamma, binarize, nanToNum) are one dispatch
 * per batch. Noise comes from a counter-based hash of (seed, sample, op key, voxel), so the result
 * never depends on scheduling. Two more barriers: a distance transform (three passes,
 * `src/gpu/distance.ts`) and a custom op (one dispatch of the op's own pipeline per distinct
 * source, `src/gpu/custom-op.ts`; prepare it first with {@link prepareValueTransforms}).
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

import { ArgumentError, GpuError } from "../../errors.ts";
import type { ValueOp } from "../../augment/value.ts";
import { gaussianKernel } from "./twin.ts";
import type { GpuContext } from "../../gpu/context.ts";
import {
  bytesOf,
  dispatchGrid,
  type SampleGroup,
  sampleGroups,
  syncPipeline,
  uploadBuffer,
  uploadUniforms,
  USAGE,
  WORKGROUP_SIZE,
} from "../../gpu/batch-dispatch.ts";
import { valueTransformsWgsl } from "./shader.gen.ts";
import { customOpPipeline, customParams, CUSTOM_ROW_WORDS, prepareCustomOp, writeCustomRow } from "../../gpu/custom-op.ts";
import { DISTANCE_ROW_WORDS, distanceScratchWords, distanceSteps, prepareDistance, writeDistanceRow } from "../distance/gpu.ts";

/** Inputs of {@link encodeValueOps}. */
export interface ValueOpsDispatchOptions {
  /** f32 values `[batch, z, y, x]` at `byteOffset`; needs STORAGE usage. */
  readonly buffer: GPUBuffer;
  /** Byte offset of the first value, a multiple of 4. */
  readonly byteOffset: number;
  readonly batch: number;
  /** Per-sample extent (z, y, x). */
  readonly shape: readonly [number, number, number];
  /** Per sample, the ops to apply in order (`ops.length === batch`). */
  readonly ops: readonly (readonly ValueOp[])[];
  /** Noise seed (u32; other numbers are reduced with `>>> 0`). */
  readonly seed: number;
  /** Voxel size (z, y, x) in world units, the spacing of distance transforms (default 1, 1, 1). */
  readonly scale?: readonly [number, number, number];
}

/** One recorded dispatch: its pipeline, uniform block (at most 64 bytes) and bindings. */
export interface ValueStep {
  readonly pipeline: GPUComputePipeline;
  /** What it does, for labels. */
  readonly name: string;
  readonly params: ArrayBuffer;
  readonly bindings: (uniform: GPUBufferBinding) => GPUBindGroupEntry[];
  readonly workgroups: readonly [number, number];
}

/** Recorded work; call `release()` once the command buffer is submitted. */
export interface EncodedWork {
  /** Destroys the buffers made for the work (valid after submit). */
  release(): void;
  /** Compute dispatches recorded (0 when there was nothing to do). */
  readonly dispatches: number;
}

const ENTRY_POINTS = ["pointwise", "reducePartial", "reduceFinal", "blur"] as const;
type EntryPoint = (typeof ENTRY_POINTS)[number];

const PARAMS_BYTES = 64;
const OP_WORDS = 8;
const KIND_CODE = { normalize: 0, gaussianNoise: 1, contrast: 2, gamma: 3, binarize: 4, nanToNum: 5 } as const;
const REDUCE_ITEMS = 16;
const COPY_AXIS = 3;

const key = (entry: EntryPoint) => `cellmap/value-transforms/${entry}`;

function pipelineFor(ctx: GpuContext, entry: EntryPoint): GPUComputePipeline {
  return syncPipeline(ctx, key(entry), `${ctx.label} value transforms ${entry}`, valueTransformsWgsl, entry);
}

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
  for (const entry of ENTRY_POINTS) {
    const made = await ctx.createComputePipeline(`${ctx.label} value transforms ${entry}`, valueTransformsWgsl, entry);
    ctx.pipeline(key(entry), () => made);
  }
  await prepareDistance(ctx);
  const customs = new Map<string, Extract<ValueOp, { kind: "custom" }>>();
  for (const list of ops) for (const op of list) if (op.kind === "custom") customs.set(op.source, op);
  await Promise.all([...customs.values()].map((op) => prepareCustomOp(ctx, op)));
}

type DistanceOp = Extract<ValueOp, { kind: "distance" }>;
type CustomOp = Extract<ValueOp, { kind: "custom" }>;

/** What sits between two pointwise stages: a mean (before a contrast), a blur, a distance transform or a custom op. */
type Barrier =
  | { readonly kind: "mean" }
  | { readonly kind: "blur"; readonly radii: readonly number[]; readonly kernels: readonly Float64Array[] }
  | { readonly kind: "distance"; readonly op: DistanceOp }
  | { readonly kind: "custom"; readonly op: CustomOp };

interface SamplePlan {
  /** Pointwise ops per stage. */
  readonly stages: ValueOp[][];
  /** Barrier k sits between stage k and stage k + 1. */
  readonly barriers: Barrier[];
}

function planSample(ops: readonly ValueOp[], where: string): SamplePlan {
  const stages: ValueOp[][] = [[]];
  const barriers: Barrier[] = [];
  ops.forEach((op, i) => {
    checkOp(op, `${where}[${i}]`);
    if (op.kind === "gaussianBlur") {
      const kernels = op.sigma.map((s) => gaussianKernel(s));
      const radii = kernels.map((k) => (k.length - 1) / 2);
      if (radii.every((r) => r === 0)) return;
      barriers.push({ kind: "blur", radii, kernels });
      stages.push([]);
    } else if (op.kind === "contrast") {
      barriers.push({ kind: "mean" });
      stages.push([op]);
    } else if (op.kind === "distance" || op.kind === "custom") {
      barriers.push(op.kind === "distance" ? { kind: "distance", op } : { kind: "custom", op });
      stages.push([]);
    } else {
      stages[stages.length - 1]!.push(op);
    }
  });
  return { stages, barriers };
}

function checkOp(op: ValueOp, field: string): void {
  if (op.kind === "distance") return checkDistance(op, field);
  if (op.kind === "custom") return checkCustom(op, field);
  const numbers = Object.entries(op).filter(([k]) => k !== "kind" && k !== "sigma");
  if (!(op.kind in KIND_CODE) && op.kind !== "gaussianBlur") {
    throw new ArgumentError(`${field}.kind`, "is not a value op kind", (op as { kind: unknown }).kind);
  }
  for (const [k, v] of numbers) {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new ArgumentError(`${field}.${k}`, "must be a finite number", v);
  }
  if (op.kind === "gaussianBlur" && (op.sigma.length !== 3 || op.sigma.some((s) => !(s >= 0) || s > 64))) {
    throw new ArgumentError(`${field}.sigma`, "must be 3 sigmas in [0, 64] voxels", op.sigma);
  }
}

function checkDistance(op: DistanceOp, field: string): void {
  const c = op.clip;
  if (c !== undefined && (c.length !== 2 || c.some((x) => typeof x !== "number" || Number.isNaN(x)) || c[0] > c[1])) {
    throw new ArgumentError(`${field}.clip`, "must be [low, high] numbers with low <= high", c);
  }
  const t = op.tanhScale;
  if (t !== undefined && !(Number.isFinite(t) && t > 0)) throw new ArgumentError(`${field}.tanhScale`, "must be a positive number", t);
}

function checkCustom(op: CustomOp, field: string): void {
  if (typeof op.source !== "string" || typeof op.name !== "string") throw new ArgumentError(`${field}.source`, "must be WGSL text", op.source);
  if (op.params.length !== 4 || !op.params.every(Number.isFinite)) {
    throw new ArgumentError(`${field}.params`, "must be 4 finite numbers", op.params);
  }
}

function encodeParams(p: {
  shape: readonly number[];
  voxels: number;
  batch: number;
  sampleBase: number;
  rowWidth: number;
  stage: number;
  totalBatch: number;
  srcOffset: number;
  dstOffset: number;
  seed: number;
  blocks: number;
  items: number;
}): ArrayBuffer {
  const buffer = new ArrayBuffer(PARAMS_BYTES);
  const u = new Uint32Array(buffer);
  u.set(p.shape, 0);
  u.set([p.voxels, p.batch, p.sampleBase, p.rowWidth, p.stage, p.totalBatch, p.srcOffset, p.dstOffset, p.seed, p.blocks, p.items], 3);
  return buffer;
}


function validate(o: ValueOpsDispatchOptions): void {
  if (!Number.isInteger(o.batch) || o.batch < 1) throw new ArgumentError("batch", "must be a positive integer", o.batch);
  if (o.shape.length !== 3 || !o.shape.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new ArgumentError("shape", "must be 3 positive integers (z, y, x)", o.shape);
  }
  if (o.ops.length !== o.batch) throw new ArgumentError("ops", `must hold one op list per sample (${o.batch})`, o.ops.length);
  if (!Number.isFinite(o.seed)) throw new ArgumentError("seed", "must be a finite number", o.seed);
  if (o.scale !== undefined && (o.scale.length !== 3 || !o.scale.every((s) => Number.isFinite(s) && s > 0))) {
    throw new ArgumentError("scale", "must be 3 positive voxel sizes (z, y, x)", o.scale);
  }
}

/** Split groups further so that `perSample` scratch bytes of each fit one binding. */
function limitGroups(groups: readonly SampleGroup[], device: GPUDevice, perSample: number, layout: { byteOffset: number; sampleBytes: number }, what: string): SampleGroup[] {
  const max = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  const most = Math.floor(max / perSample);
  if (most < 1) throw new GpuError(`${what}: one sample needs ${perSample} bytes of scratch, more than this device binds at once; use a smaller output shape`);
  if (groups.every((g) => g.count <= most)) return [...groups];
  const align = device.limits.minStorageBufferOffsetAlignment;
  const out: SampleGroup[] = [];
  for (const g of groups) {
    for (let first = g.first; first < g.first + g.count; first += most) {
      const count = Math.min(most, g.first + g.count - first);
      const start = layout.byteOffset + first * layout.sampleBytes;
      const bindOffset = Math.floor(start / align) * align;
      out.push({ first, count, bindOffset, bindSize: start - bindOffset + count * layout.sampleBytes, elementOffset: (start - bindOffset) / 4 });
    }
  }
  return out;
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
  validate(options);
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

  const { opWords, segs, blurTable, weights, anyBlur, anyMean, distTable } = buildTables(plans, batch, barrierCount);

  const made: GPUBuffer[] = [];
  const make = (name: string, data: ArrayBufferView) => {
    const b = uploadBuffer(device, `${label} ${name}`, USAGE.STORAGE, bytesOf(data));
    made.push(b);
    return b;
  };
  const opsBuf = make("ops", new Uint32Array(opWords));
  const segsBuf = make("segments", segs);
  const meansBuf = make("means", new Float32Array(batch));
  const blurBuf = anyBlur ? make("blur table", blurTable) : undefined;
  const weightsBuf = anyBlur ? make("blur weights", new Float32Array(weights)) : undefined;
  const maxCount = Math.max(...groups.map((g) => g.count));
  const items = Math.max(REDUCE_ITEMS, Math.ceil(voxels / (WORKGROUP_SIZE * 65535)));
  const blocks = Math.ceil(voxels / (WORKGROUP_SIZE * items));
  let scratch: GPUBuffer | undefined;
  if (anyBlur) {
    scratch = device.createBuffer({ label: `${label} scratch`, size: maxCount * sampleBytes, usage: USAGE.STORAGE });
    made.push(scratch);
  }
  let distWork: GPUBuffer | undefined;
  let distEnv: GPUBuffer | undefined;
  let distTableBuf: GPUBuffer | undefined;
  if (anyDistance) {
    distWork = device.createBuffer({ label: `${label} distance channels`, size: maxCount * distWords.work * 4, usage: USAGE.STORAGE });
    distEnv = device.createBuffer({ label: `${label} distance envelopes`, size: maxCount * distWords.env * 4, usage: USAGE.STORAGE });
    made.push(distWork, distEnv);
    distTableBuf = make("distance table", new Uint8Array(distTable));
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
  let partials: GPUBuffer | undefined;
  if (anyMean) {
    partials = device.createBuffer({ label: `${label} partial sums`, size: Math.max(16, maxCount * blocks * 8), usage: USAGE.STORAGE });
    made.push(partials);
  }

  const maxDim = device.limits.maxComputeWorkgroupsPerDimension;
  const steps: ValueStep[] = [];
  const pipe = (entry: EntryPoint) => ({ pipeline: pipelineFor(ctx, entry), name: entry });
  for (const g of groups) {
    const grid = dispatchGrid(g.count * voxels, maxDim);
    const data: GPUBufferBinding = { buffer, offset: g.bindOffset, size: g.bindSize };
    const scratchBinding = (): GPUBufferBinding => ({ buffer: scratch!, offset: 0, size: g.count * sampleBytes });
    const base = {
      shape,
      voxels,
      batch: g.count,
      sampleBase: g.first,
      rowWidth: grid.rowWidth,
      stage: 0,
      totalBatch: batch,
      srcOffset: 0,
      dstOffset: 0,
      seed,
      blocks,
      items,
    };
    for (let k = 0; k < stageCount; k++) {
      if (plans.slice(g.first, g.first + g.count).some((p) => (p.stages[k]?.length ?? 0) > 0)) {
        steps.push({
          ...pipe("pointwise"),
          params: encodeParams({ ...base, stage: k, dstOffset: g.elementOffset }),
          bindings: (uniform) => [
            { binding: 0, resource: uniform },
            { binding: 1, resource: data },
            { binding: 2, resource: { buffer: opsBuf } },
            { binding: 3, resource: { buffer: segsBuf } },
            { binding: 4, resource: { buffer: meansBuf } },
          ],
          workgroups: [grid.x, grid.y],
        });
      }
      if (k === barrierCount) break;
      // Axes some sample of this group blurs along at barrier k.
      const axes = [0, 1, 2].map((a) =>
        plans.slice(g.first, g.first + g.count).some((p) => {
          const barrier = p.barriers[k];
          return barrier?.kind === "blur" && barrier.radii[a]! > 0;
        }),
      );
      if (axes.some(Boolean)) {
        const passes = [0, 1, 2].filter((a) => axes[a]);
        if (passes.length % 2 === 1) passes.push(COPY_AXIS);
        passes.forEach((axis, i) => {
          const fromData = i % 2 === 0;
          const src = fromData ? data : scratchBinding();
          const dst = fromData ? scratchBinding() : data;
          steps.push({
            ...pipe("blur"),
            params: encodeParams({
              ...base,
              stage: axis,
              sampleBase: k * batch + g.first,
              srcOffset: fromData ? g.elementOffset : 0,
              dstOffset: fromData ? 0 : g.elementOffset,
            }),
            bindings: (uniform) => [
              { binding: 0, resource: uniform },
              { binding: 5, resource: src },
              { binding: 6, resource: dst },
              { binding: 7, resource: { buffer: blurBuf! } },
              { binding: 8, resource: { buffer: weightsBuf! } },
            ],
            workgroups: [grid.x, grid.y],
          });
        });
      }
      if (plans.slice(g.first, g.first + g.count).some((p) => p.barriers[k]?.kind === "mean")) {
        const partialBinding: GPUBufferBinding = { buffer: partials!, offset: 0, size: Math.max(16, g.count * blocks * 8) };
        steps.push({
          ...pipe("reducePartial"),
          params: encodeParams({ ...base, srcOffset: g.elementOffset }),
          bindings: (uniform) => [
            { binding: 0, resource: uniform },
            { binding: 5, resource: data },
            { binding: 9, resource: partialBinding },
          ],
          workgroups: [blocks, g.count],
        });
        steps.push({
          ...pipe("reduceFinal"),
          params: encodeParams(base),
          bindings: (uniform) => [
            { binding: 0, resource: uniform },
            { binding: 10, resource: partialBinding },
            { binding: 11, resource: { buffer: meansBuf } },
          ],
          workgroups: [g.count, 1],
        });
      }
      const atK = plans.slice(g.first, g.first + g.count).map((p) => p.barriers[k]);
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
      for (const source of sources) {
        const table = customTable(k, source);
        steps.push({
          pipeline: customPipelines.get(source)!,
          name: "custom op",
          params: customParams({ voxels, count: g.count, sampleBase: g.first, rowWidth: grid.rowWidth, dataOffset: g.elementOffset }),
          bindings: (uniform) => [
            { binding: 0, resource: uniform },
            { binding: 1, resource: data },
            { binding: 2, resource: { buffer: table } },
          ],
          workgroups: [grid.x, grid.y],
        });
      }
    }
  }
  record(ctx, encoder, label, steps, made);
  let released = false;
  return {
    dispatches: steps.length,
    release() {
      if (released) return;
      released = true;
      for (const b of made) b.destroy();
    },
  };
}

/**
 * The op table (8 words per op: kind, key, 2 unused, then 4 f32 arguments), the per-(stage,
 * sample) ranges into it, and the blur tables of every barrier (per (barrier, sample): weight
 * offsets and radii per axis; weights[0] = 1 is the identity kernel of samples that do not blur).
 */
function buildTables(plans: readonly SamplePlan[], batch: number, barrierCount: number) {
  const stageCount = barrierCount + 1;
  const records: number[][] = [];
  const segs = new Uint32Array(stageCount * batch * 2);
  plans.forEach((p, b) => {
    for (let k = 0; k < stageCount; k++) {
      const stage = p.stages[k] ?? [];
      segs[(k * batch + b) * 2] = records.length;
      segs[(k * batch + b) * 2 + 1] = stage.length;
      for (const op of stage) records.push(opRecord(op));
    }
  });
  const opWords = new ArrayBuffer(Math.max(1, records.length) * OP_WORDS * 4);
  const opU = new Uint32Array(opWords);
  const opF = new Float32Array(opWords);
  records.forEach((r, i) => {
    opU[i * OP_WORDS] = r[0]!;
    opU[i * OP_WORDS + 1] = r[1]!;
    opF.set(r.slice(2), i * OP_WORDS + 4);
  });

  const weights: number[] = [1];
  const blurTable = new Uint32Array(Math.max(1, barrierCount) * batch * 8);
  let anyBlur = false;
  let anyMean = false;
  for (let k = 0; k < barrierCount; k++) {
    plans.forEach((p, b) => {
      const barrier = p.barriers[k];
      if (barrier?.kind === "mean") anyMean = true;
      if (barrier?.kind !== "blur") return;
      for (let a = 0; a < 3; a++) {
        const r = barrier.radii[a]!;
        if (r === 0) continue;
        anyBlur = true;
        blurTable[(k * batch + b) * 8 + a] = weights.length;
        blurTable[(k * batch + b) * 8 + 4 + a] = r;
        weights.push(...barrier.kernels[a]!);
      }
    });
  }
  const distTable = new ArrayBuffer(Math.max(1, barrierCount) * batch * DISTANCE_ROW_WORDS * 4);
  for (let k = 0; k < barrierCount; k++) {
    plans.forEach((p, b) => {
      const barrier = p.barriers[k];
      writeDistanceRow(distTable, k * batch + b, barrier?.kind === "distance" ? barrier.op : undefined);
    });
  }
  return { opWords, segs, blurTable, weights, anyBlur, anyMean, distTable };
}

/** [kind, key, a, b, c] of a pointwise op. */
function opRecord(op: ValueOp): number[] {
  switch (op.kind) {
    case "normalize":
      return [KIND_CODE.normalize, 0, op.scale, op.offset, 0];
    case "gaussianNoise":
      return [KIND_CODE.gaussianNoise, op.key >>> 0, op.mean, op.std, 0];
    case "contrast":
      return [KIND_CODE.contrast, 0, op.factor, 0, 0];
    case "gamma":
      return [KIND_CODE.gamma, 0, op.gamma, 0, 0];
    case "binarize":
      return [KIND_CODE.binarize, 0, op.threshold, 0, 0];
    case "nanToNum":
      return [KIND_CODE.nanToNum, 0, op.nan, op.posinf, op.neginf];
    case "gaussianBlur":
    case "distance":
    case "custom":
      throw new ArgumentError("ops", `${op.kind} is not a pointwise op`);
  }
}

/** Upload the steps' uniforms and record them, in order, in one compute pass. */
function record(ctx: GpuContext, encoder: GPUCommandEncoder, label: string, steps: readonly ValueStep[], made: GPUBuffer[]): void {
  if (steps.length === 0) return;
  const device = ctx.device;
  const stride = Math.max(PARAMS_BYTES, device.limits.minUniformBufferOffsetAlignment);
  const uniforms = uploadUniforms(device, `${label} params`, steps.map((s) => s.params), stride);
  made.push(uniforms);
  const pass = encoder.beginComputePass({ label: `${label} pass` });
  steps.forEach((s, i) => {
    const pipeline = s.pipeline;
    const bindGroup = device.createBindGroup({
      label: `${label} ${s.name} bind group`,
      layout: pipeline.getBindGroupLayout(0),
      entries: s.bindings({ buffer: uniforms, offset: i * stride, size: PARAMS_BYTES }),
    });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(s.workgroups[0], s.workgroups[1]);
  });
  pass.end();
}

