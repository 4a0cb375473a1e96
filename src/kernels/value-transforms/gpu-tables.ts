/**
 * The data the value-transform shader reads, written by field name through the layouts reflected
 * from value-transforms.wgsl: the uniform block of a dispatch (`Params`), the op table (`Op`
 * records and per-(stage, sample) ranges), the blur tables (`BlurSample` rows and the kernels'
 * weights) and the distance table of every barrier.
 *
 * @example
 * ```ts
 * const tables = buildTables(plans, batch, barrierCount);
 * const params = encodeValueParams({ shape: [8, 8, 8], voxels: 512, batch: 1, stage: 0 });
 * ```
 * @module
 */

import { ArgumentError } from "../../errors.ts";
import { DISTANCE_ROW_BYTES, writeDistanceRow } from "../distance/gpu.ts";
import { type FieldValues, writeStruct } from "../layout.ts";
import { OP_KIND, type ValueOp } from "./contract.ts";
import type { SamplePlan } from "./gpu-plan.ts";
import { valueTransformsLayouts } from "./shader.gen.ts";

const PARAMS = valueTransformsLayouts.Params;
const OP = valueTransformsLayouts.Op;
const BLUR_SAMPLE = valueTransformsLayouts.BlurSample;

/** Bytes of one per-block partial sum (`Partial` of value-transforms.wgsl, written by the shader only). */
export const PARTIAL_BYTES = valueTransformsLayouts.Partial.size;

/** The uniform block (`Params`) of one dispatch, its fields written by name. */
export function encodeValueParams(values: FieldValues<typeof PARAMS>): ArrayBuffer {
  const buffer = new ArrayBuffer(PARAMS.size);
  writeStruct(PARAMS, new DataView(buffer), 0, values);
  return buffer;
}

/** The tables of one call, ready to upload. */
export interface ValueTables {
  /** `Op` records of every (sample, stage), in that order; at least one record. */
  readonly ops: ArrayBuffer;
  /** Per (stage, sample): the first op record and the number of ops (`vec2u`). */
  readonly segs: Uint32Array;
  /** `BlurSample` rows per (barrier, sample): weight offsets and radii per axis. */
  readonly blurTable: ArrayBuffer;
  /** The blur kernels' weights; `weights[0] = 1` is the identity kernel of samples that do not blur. */
  readonly weights: number[];
  readonly anyBlur: boolean;
  readonly anyMean: boolean;
  /** `DistSample` rows per (barrier, sample). */
  readonly distTable: ArrayBuffer;
}

/**
 * The op table, the per-(stage, sample) ranges into it, and the blur and distance tables of
 * every barrier.
 */
export function buildTables(plans: readonly SamplePlan[], batch: number, barrierCount: number): ValueTables {
  const stageCount = barrierCount + 1;
  const records: ValueOp[] = [];
  const segs = new Uint32Array(stageCount * batch * 2);
  plans.forEach((p, b) => {
    for (let k = 0; k < stageCount; k++) {
      const stage = p.stages[k] ?? [];
      segs[(k * batch + b) * 2] = records.length;
      segs[(k * batch + b) * 2 + 1] = stage.length;
      records.push(...stage);
    }
  });
  const ops = new ArrayBuffer(Math.max(1, records.length) * OP.size);
  const opView = new DataView(ops);
  records.forEach((op, i) => writeOp(opView, i, op));

  const weights: number[] = [1];
  const blurTable = new ArrayBuffer(Math.max(1, barrierCount) * batch * BLUR_SAMPLE.size);
  const blurView = new DataView(blurTable);
  let anyBlur = false;
  let anyMean = false;
  for (let k = 0; k < barrierCount; k++) {
    plans.forEach((p, b) => {
      const barrier = p.barriers[k];
      if (barrier?.kind === "mean") anyMean = true;
      if (barrier?.kind !== "blur") return;
      const offsets = [0, 0, 0];
      const radii = [0, 0, 0];
      for (let a = 0; a < 3; a++) {
        const r = barrier.radii[a]!;
        if (r === 0) continue;
        anyBlur = true;
        offsets[a] = weights.length;
        radii[a] = r;
        weights.push(...barrier.kernels[a]!);
      }
      writeStruct(BLUR_SAMPLE, blurView, (k * batch + b) * BLUR_SAMPLE.size, { offsets, radii });
    });
  }
  const distTable = new ArrayBuffer(Math.max(1, barrierCount) * batch * DISTANCE_ROW_BYTES);
  for (let k = 0; k < barrierCount; k++) {
    plans.forEach((p, b) => {
      const barrier = p.barriers[k];
      writeDistanceRow(distTable, k * batch + b, barrier?.kind === "distance" ? barrier.op : undefined);
    });
  }
  return { ops, segs, blurTable, weights, anyBlur, anyMean, distTable };
}

/**
 * Write op record `index` of the op table: `head` = (kind, noise key), `args` = the op's numbers.
 *
 * @throws {ArgumentError} for an op that is not pointwise (a blur, distance or custom op)
 */
export function writeOp(view: DataView, index: number, op: ValueOp): void {
  const [kind, key, args] = opRecord(op);
  writeStruct(OP, view, index * OP.size, { head: [kind, key], args });
}

/** [kind, key, args] of a pointwise op. */
function opRecord(op: ValueOp): [number, number, number[]] {
  switch (op.kind) {
    case "normalize":
      return [OP_KIND.normalize, 0, [op.scale, op.offset, 0]];
    case "gaussianNoise":
      return [OP_KIND.gaussianNoise, op.key >>> 0, [op.mean, op.std, 0]];
    case "contrast":
      return [OP_KIND.contrast, 0, [op.factor, 0, 0]];
    case "gamma":
      return [OP_KIND.gamma, 0, [op.gamma, 0, 0]];
    case "binarize":
      return [OP_KIND.binarize, 0, [op.threshold, 0, 0]];
    case "nanToNum":
      return [OP_KIND.nanToNum, 0, [op.nan, op.posinf, op.neginf]];
    case "gaussianBlur":
    case "distance":
    case "custom":
      throw new ArgumentError("ops", `${op.kind} is not a pointwise op`);
  }
}
