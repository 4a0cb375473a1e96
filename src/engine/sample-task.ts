/**
 * One task of the CPU executor: a slab of a resample dispatch, `[from, to)` over the dispatch's
 * output z planes counted across its samples (`b * nz + z`), read from the shared chunk cache and
 * written into the shared output. A sample worker runs it; so does a test on the calling thread.
 * The planes of a slab do not depend on which others are computed, so the slabs of a dispatch
 * together give the bits of the whole dispatch run at once (`resampleReference`).
 *
 * @example
 * ```ts
 * runResampleTask({ params, samples, table, cache, out, outOffset: 0, from: 0, to: params.batch * params.outShape[0] });
 * ```
 * @module
 */

import type { ResampleParams, ResampleSample } from "../kernels/resample/contract.ts";
import { resampleReference } from "../kernels/resample/twin.ts";
import { applyClassRelationshipsReference } from "../kernels/labels/twin.ts";
import type { ValueOp } from "../kernels/value-transforms/contract.ts";
import { applySampleOps } from "../kernels/value-transforms/twin.ts";

/** What a sample worker is asked to do, as it travels (typed arrays over shared memory). */
export interface ResampleTask {
  readonly params: ResampleParams;
  readonly samples: readonly ResampleSample[];
  /** The slot tables of all samples of the dispatch, concatenated. */
  readonly table: Uint32Array;
  /** The chunk cache words (over a SharedArrayBuffer in a worker). */
  readonly cache: Uint32Array;
  /** The dispatch's output (over a SharedArrayBuffer in a worker). */
  readonly out: Float32Array;
  /** Where the dispatch's output starts in `out` (elements). */
  readonly outOffset: number;
  /** Elements between the starts of consecutive samples in `out` (default: one sample's voxels). */
  readonly outStride?: number;
  /** First z plane of the slab, counted over the dispatch (`b * nz + z`). */
  readonly from: number;
  /** One past the slab's last z plane. */
  readonly to: number;
}

/** Compute one slab of a dispatch: every output z plane `from <= b * nz + z < to`. */
export function runResampleTask(t: ResampleTask): void {
  const nz = t.params.outShape[0];
  const per = nz * t.params.outShape[1] * t.params.outShape[2];
  const stride = t.outStride ?? per;
  const one = { ...t.params, batch: 1 };
  for (let b = Math.floor(t.from / nz); b * nz < t.to && b < t.params.batch; b++) {
    const z0 = Math.max(0, t.from - b * nz);
    const z1 = Math.min(nz, t.to - b * nz);
    resampleReference(one, [t.samples[b]!], t.table, t.cache, { out: t.out, outOffset: t.outOffset + b * stride, zRange: [z0, z1] });
  }
}

/**
 * Split a dispatch of `planes` output z planes (batch times nz) into at most `parts` slabs of
 * nearly equal size: `[from, to)` pairs, in order, none empty.
 */
export function slabs(planes: number, parts: number): Array<[number, number]> {
  const n = Math.max(1, Math.min(planes, parts));
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    const from = Math.floor((i * planes) / n), to = Math.floor(((i + 1) * planes) / n);
    if (to > from) out.push([from, to]);
  }
  return out;
}

/**
 * Value ops of some samples of a batch array in shared memory, in place: sample `b` (its index in
 * the batch, which keys its noise) at element `at`, `prod(shape)` values. No custom op: its CPU
 * function cannot travel to a worker.
 */
export interface ValuesTask {
  readonly kind: "values";
  readonly data: Float32Array;
  readonly shape: readonly [number, number, number];
  readonly scale: readonly [number, number, number];
  readonly seed: number;
  readonly samples: ReadonlyArray<{ readonly b: number; readonly at: number; readonly ops: readonly ValueOp[] }>;
}

/** True negatives of `batch` samples `[batch, classes, voxels]` from element `at` of a batch array in shared memory. */
export interface RelationshipsTask {
  readonly kind: "relationships";
  readonly data: Float32Array;
  readonly at: number;
  readonly batch: number;
  readonly classes: number;
  readonly voxels: number;
  readonly exclusive: boolean[][];
  readonly emptyValue: number;
}

/** A pass over a batch's arrays, run by a sample worker (or here). */
export type PassTask = ValuesTask | RelationshipsTask;

/** Anything a sample worker runs: a resample slab, or a pass. */
export type SampleTask = ResampleTask | PassTask;

/** Run a task of any kind. */
export function runSampleTask(t: SampleTask): void {
  if (!("kind" in t)) return runResampleTask(t);
  if (t.kind === "values") {
    const n = t.shape[0] * t.shape[1] * t.shape[2];
    for (const s of t.samples) applySampleOps(t.data.subarray(s.at, s.at + n), s.ops, t.shape, t.seed, s.b, t.scale);
    return;
  }
  const n = t.batch * t.classes * t.voxels;
  applyClassRelationshipsReference(t.data.subarray(t.at, t.at + n), { batch: t.batch, classes: t.classes, voxels: t.voxels, exclusive: t.exclusive, emptyValue: t.emptyValue });
}
