/**
 * The bytes of one resample dispatch, as `resample.wgsl` reads them: the `Params` uniform, the
 * `Sample` structs and the displacement control points, and the dispatch grid whose `rowWidth`
 * goes into `Params`. Part of the GPU host (`gpu.ts` records the dispatch).
 *
 * @example
 * ```ts
 * const grid = resampleGrid(total, device.limits.maxComputeWorkgroupsPerDimension);
 * device.queue.writeBuffer(uniform, 0, encodeParams({ ...params, rowWidth: grid.rowWidth }));
 * ```
 * @module
 */

import { ArgumentError, GpuError } from "../../errors.ts";
import { storageKindCode } from "../chunks/contract.ts";
import { wordOffsets, writeStruct } from "../layout.ts";
import { INTERPOLATION_CODES, RESAMPLE_WORKGROUP_SIZE, type ResampleParams, type ResampleSample } from "./contract.ts";
import { resampleLayouts } from "./shader.gen.ts";

const { Params, Sample } = resampleLayouts;
/** Byte size of the WGSL `Params` struct. */
export const PARAMS_BYTES = Params.size;
/** Byte size (and array stride) of the WGSL `Sample` struct. */
export const SAMPLE_BYTES = Sample.size;
/** Where each `Sample` field starts, in words from the struct's start. */
const S = wordOffsets(Sample);

/**
 * Encode the `Params` uniform.
 *
 * @param params dispatch parameters plus `rowWidth` (threads per dispatch row, from {@link resampleGrid})
 * @returns {@link PARAMS_BYTES} bytes
 * @example
 * ```ts
 * const bytes = encodeParams({ ...params, rowWidth: resampleGrid(total).rowWidth });
 * device.queue.writeBuffer(uniform, 0, bytes);
 * ```
 */
export function encodeParams(params: ResampleParams & { readonly rowWidth: number }): ArrayBuffer {
  const buffer = new ArrayBuffer(PARAMS_BYTES);
  writeStruct(Params, new DataView(buffer), 0, {
    outShape: params.outShape,
    batch: params.batch,
    chunkShape: params.chunkShape,
    kind: storageKindCode(params.kind),
    volShape: params.volShape,
    interp: INTERPOLATION_CODES[params.interp],
    pad: params.pad,
    fill: params.fill,
    slotWords: params.slotWords,
    rowWidth: params.rowWidth,
  });
  return buffer;
}

/**
 * Encode the `Sample` structs, one per batch item, {@link SAMPLE_BYTES} apart. A sample's
 * displacement points start where {@link encodeDisplacements} puts them (samples in order).
 *
 * @returns `samples.length * SAMPLE_BYTES` bytes
 * @example
 * ```ts
 * const identity = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
 * encodeSampleStructs([{ matrix: identity, origin: [10, 20, 30], chunkLo: [0, 0, 0], chunkDims: [1, 1, 1], tableOffset: 0 }]);
 * ```
 */
export function encodeSampleStructs(samples: readonly ResampleSample[]): ArrayBuffer {
  const buffer = new ArrayBuffer(samples.length * SAMPLE_BYTES);
  const f = new Float32Array(buffer);
  const i = new Int32Array(buffer);
  const u = new Uint32Array(buffer);
  let point = 0;
  samples.forEach((s, k) => {
    if (s.matrix.length !== 12) throw new ArgumentError(`samples[${k}].matrix`, "must hold 12 numbers (3x4)", s.matrix.length);
    const w = (k * SAMPLE_BYTES) / 4;
    const m = s.matrix;
    for (let c = 0; c < 4; c++) {
      f[w + S.m0 + c] = m[c]!; // rows z, y, x of the 3x4 affine
      f[w + S.m1 + c] = m[4 + c]!;
      f[w + S.m2 + c] = m[8 + c]!;
    }
    i.set(s.origin, w + S.origin);
    i.set(s.chunkLo, w + S.chunkLo);
    u[w + S.chunkLo + 3] = s.tableOffset; // chunkLo.w
    u.set(s.chunkDims, w + S.chunkDims);
    const d = s.displacement;
    if (d) {
      f.set(d.step, w + S.dispStep);
      f.set(d.start, w + S.dispStart);
      u.set(d.dims, w + S.dispDims);
      u[w + S.dispDims + 3] = point; // dispDims.w
      point += d.dims[0] * d.dims[1] * d.dims[2];
    }
  });
  return buffer;
}

/**
 * Encode the displacement control points of every sample that has some, concatenated in sample
 * order (3 f32 per point), as the shader's `disp` binding reads them.
 *
 * @returns the f32 words; empty when no sample is displaced
 * @example
 * ```ts
 * const words = encodeDisplacements(samples); // bind as binding 5
 * ```
 */
export function encodeDisplacements(samples: readonly ResampleSample[]): Float32Array {
  let total = 0;
  for (const s of samples) if (s.displacement) total += s.displacement.values.length;
  const out = new Float32Array(total);
  let at = 0;
  for (const s of samples) {
    if (!s.displacement) continue;
    out.set(s.displacement.values, at);
    at += s.displacement.values.length;
  }
  return out;
}

/** Dispatch geometry: workgroup counts and the `rowWidth` the shader's flat index uses. */
export interface ResampleGrid {
  readonly x: number;
  readonly y: number;
  /** Threads per row: `x * 64`. */
  readonly rowWidth: number;
}

/**
 * Workgroups for `total` output voxels: one row while it fits in `maxPerDimension`, else as many
 * equal rows as needed (2D dispatch).
 *
 * @throws {GpuError} when even `maxPerDimension`² workgroups are not enough
 * @example
 * ```ts
 * resampleGrid(1000); // { x: 16, y: 1, rowWidth: 1024 }
 * resampleGrid(65535 * 64 + 1); // { x: 32768, y: 2, rowWidth: 2097152 }
 * ```
 */
export function resampleGrid(total: number, maxPerDimension = 65535): ResampleGrid {
  const groups = Math.max(1, Math.ceil(total / RESAMPLE_WORKGROUP_SIZE));
  const y = Math.ceil(groups / maxPerDimension);
  if (y > maxPerDimension || total > 0xffffffff) {
    throw new GpuError(`a resample dispatch of ${total} voxels is too large; split the batch`);
  }
  const x = Math.ceil(groups / y);
  return { x, y, rowWidth: x * RESAMPLE_WORKGROUP_SIZE };
}
