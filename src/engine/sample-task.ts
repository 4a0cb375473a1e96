/**
 * One task of the CPU executor: a slab of a resample dispatch, `[from, to)` over the dispatch's
 * output z planes counted across its samples (`b * nz + z`), read from the shared chunk cache and
 * written into the shared output; or a pass over a CPU batch's arrays in shared memory, in place:
 * the value ops of a sample ({@link ValuesTask}), true negatives ({@link RelationshipsTask}), the
 * cellpose flows of a sample ({@link FlowsTask}). A sample worker runs it; so does the calling
 * thread without workers. The planes of a slab do not depend on which others are computed, nor a
 * sample's passes on the other samples, so the tasks of a dispatch together give the bits of the
 * whole dispatch run at once (`resampleReference`, the value, label and cellpose twins).
 *
 * @example
 * ```ts
 * runResampleTask({ params, samples, table, cache, out, outOffset: 0, from: 0, to: params.batch * params.outShape[0] });
 * ```
 * @module
 */

import type { ResampleParams, ResampleSample } from "../kernels/resample/contract.ts";
import { resampleReference } from "../kernels/resample/twin.ts";
import type { CellposeMode } from "../kernels/cellpose/contract.ts";
import { cellposeFlowsReference } from "../kernels/cellpose/twin.ts";
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

/**
 * The cellpose flows of one sample of a batch, from and into batch arrays in shared memory: its
 * labels `[classes, voxels]` at element `labelsAt` of `labels` (the flow class first, then the
 * classes exclusive with it) get their true negatives in place when there are several classes,
 * then the flows of the first class go to `flows` from element `flowsAt` (`[3, z, y, x]`, or
 * `[2, h, w]` for a 2D `shape`). True negatives are per voxel and flows per sample, so the
 * samples of a batch run as separate tasks with the bits of the whole batch at once.
 */
export interface FlowsTask {
  readonly kind: "flows";
  readonly labels: Float32Array;
  readonly labelsAt: number;
  readonly classes: number;
  /** `exclusive[c][d]`: class `d` present makes an unknown class `c` a true negative. */
  readonly exclusive: boolean[][];
  readonly emptyValue: number;
  readonly flows: Float32Array;
  readonly flowsAt: number;
  /** The grid of the flows: (z, y, x), or (y, x) for cellpose's 2D flows. */
  readonly shape: readonly [number, number, number] | readonly [number, number];
  readonly mode: CellposeMode;
  /** Fixed diffusion steps; absent: the sample's default. */
  readonly iterations?: number;
}

/** A pass over a batch's arrays, run by a sample worker (or here). */
export type PassTask = ValuesTask | RelationshipsTask | FlowsTask;

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
  if (t.kind === "flows") return runFlowsTask(t);
  const n = t.batch * t.classes * t.voxels;
  applyClassRelationshipsReference(t.data.subarray(t.at, t.at + n), { batch: t.batch, classes: t.classes, voxels: t.voxels, exclusive: t.exclusive, emptyValue: t.emptyValue });
}

/** Run a {@link FlowsTask}: true negatives of the sample's labels, then its flows, in place. */
export function runFlowsTask(t: FlowsTask): void {
  const V = t.shape.reduce((a, d) => a * d, 1);
  const labels = t.labels.subarray(t.labelsAt, t.labelsAt + t.classes * V);
  if (t.classes > 1) applyClassRelationshipsReference(labels, { batch: 1, classes: t.classes, voxels: V, exclusive: t.exclusive, emptyValue: t.emptyValue });
  const options = { mode: t.mode, out: t.flows, outOffset: t.flowsAt, ...(t.iterations === undefined ? {} : { iterations: t.iterations }) };
  cellposeFlowsReference(labels, { batch: 1, channels: t.classes, channel: 0, shape: t.shape }, options);
}
