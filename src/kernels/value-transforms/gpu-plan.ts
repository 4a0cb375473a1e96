/**
 * Planning of the value-transform stage on the GPU: each sample's op list cut into pointwise
 * stages at the barriers (a mean before a contrast, a blur, a distance transform, a custom op),
 * the checks of ops and options that name the bad field, and sample groups small enough for the
 * distance transform's scratch.
 *
 * @example
 * ```ts
 * const plan = planSample([{ kind: "gamma", gamma: 2 }, { kind: "contrast", factor: 1.2 }], "ops[0]");
 * // plan.stages: [[gamma], [contrast]]; plan.barriers: [{ kind: "mean" }]
 * ```
 * @module
 */

import { ArgumentError, GpuError } from "../../errors.ts";
import type { SampleGroup } from "../../gpu/batch-dispatch.ts";
import { type CustomOp, type DistanceOp, gaussianKernel, OP_KIND, type ValueOp, type ValueOpsOptions } from "./contract.ts";

/** What sits between two pointwise stages: a mean (before a contrast), a blur, a distance transform or a custom op. */
export type Barrier =
  | { readonly kind: "mean" }
  | { readonly kind: "blur"; readonly radii: readonly number[]; readonly kernels: readonly Float64Array[] }
  | { readonly kind: "distance"; readonly op: DistanceOp }
  | { readonly kind: "custom"; readonly op: CustomOp };

/** One sample's ops as stages and barriers. */
export interface SamplePlan {
  /** Pointwise ops per stage. */
  readonly stages: ValueOp[][];
  /** Barrier k sits between stage k and stage k + 1. */
  readonly barriers: Barrier[];
}

/**
 * Cut one sample's ops into stages. A blur whose sigmas are all 0 is dropped.
 *
 * @param ops the sample's ops
 * @param where the field of the ops in error messages (`ops[3]`)
 * @throws {ArgumentError} naming the bad op field
 */
export function planSample(ops: readonly ValueOp[], where: string): SamplePlan {
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
  if (!(op.kind in OP_KIND) && op.kind !== "gaussianBlur") {
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

/**
 * Check the options of a call but the ops.
 *
 * @throws {ArgumentError} naming the bad field
 */
export function validateOptions(o: ValueOpsOptions): void {
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

/**
 * Split groups further so that `perSample` scratch bytes of each fit one binding.
 *
 * @throws {GpuError} when one sample's scratch alone exceeds the binding limit
 */
export function limitGroups(
  groups: readonly SampleGroup[],
  device: GPUDevice,
  perSample: number,
  layout: { byteOffset: number; sampleBytes: number },
  what: string,
): SampleGroup[] {
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
