/**
 * The contract of `cellpose.wgsl` (cellpose flow targets), shared by the GPU host (`gpu.ts`) and
 * the CPU twin (`twin.ts`): the layout and options of a call, their check ({@link planCellpose}),
 * and the scratch records the host sizes for the shader. The algorithm is described in the twin.
 *
 * @example
 * ```ts
 * const plan = planCellpose({ batch: 2, shape: [16, 32, 32] }, { mode: "instances" });
 * // plan.ndim 3, plan.voxels 16384, plan.maxIterations 6 * (16 + 32 + 32 + 3)
 * ```
 * @module
 */

import { ArgumentError } from "../../errors.ts";

/** How label values become objects. */
export type CellposeMode = "binary" | "instances";

/** Parameters of the cellpose flow computation. */
export interface CellposeFlowOptions {
  /**
   * `"binary"` (default): voxels `> 0` are foreground, each face-connected component is an
   * object (Python binarizes the class mask). `"instances"`: values `> 0` are object ids.
   */
  readonly mode?: CellposeMode;
  /**
   * Diffusion steps for every volume. Default: per volume, `6 * sum over axes of (foreground
   * bounding-box extent + 1)` in 3D and `2 * ...` in 2D, cellpose's rules applied to the
   * binarized mask.
   */
  readonly iterations?: number;
}

/** Where the labels sit: channel `channel` of an f32 array `[batch, channels, z, y, x]`. */
export interface CellposeLayout {
  readonly batch: number;
  /** Channels of the label array (default 1). */
  readonly channels?: number;
  /** The channel holding the labels (default 0). */
  readonly channel?: number;
  /** Per-sample extent: (z, y, x) for volumes, (y, x) for 2D images. */
  readonly shape: readonly [number, number, number] | readonly [number, number];
}

/** A checked layout and options, shared by the GPU host and the CPU twin. */
export interface CellposePlan {
  readonly batch: number;
  readonly channels: number;
  readonly channel: number;
  /** Per-sample extent (z, y, x); `[1, h, w]` for a 2D image. */
  readonly shape: readonly [number, number, number];
  /** 3 for volumes (flows z, y, x), 2 for images (flows y, x): also the flow channels. */
  readonly ndim: 2 | 3;
  readonly voxels: number;
  /** 0 binary, 1 instances. */
  readonly mode: 0 | 1;
  /** Fixed iteration count, or 0 for the per-volume default. */
  readonly iterations: number;
  /** Most iterations any volume can need: `iterations`, or the default's bound from the shape. */
  readonly maxIterations: number;
  /** Fractional bits of the fixed-point mean. */
  readonly bits: number;
}

/** The largest `iterations` accepted. */
export const MAX_CELLPOSE_ITERATIONS = 100_000;
/** The most voxels per volume (instance ids and a center flag share a u32 on the GPU). */
export const MAX_CELLPOSE_VOXELS = 2 ** 30;
const MAX_BITS = 12;

/**
 * u32 words per object root in the centers scratch (`const ACC_WORDS` of cellpose.wgsl): position
 * sums z, y, x (64 bits each), voxel count, ~best key, ~best index.
 */
export const ACC_WORDS = 9;
/**
 * u32 words per sample in the per-sample scratch (`const SAMPLE_WORDS` of cellpose.wgsl): ~min
 * z, y, x, max z, y, x + 1, iterations, unused; one more word after the group's samples.
 */
export const SAMPLE_WORDS = 8;
/**
 * Check a layout and options.
 *
 * @throws {ArgumentError} naming the bad field
 */
export function planCellpose(layout: CellposeLayout, options: CellposeFlowOptions = {}): CellposePlan {
  const { batch, shape } = layout;
  const channels = layout.channels ?? 1;
  const channel = layout.channel ?? 0;
  if (!Number.isInteger(batch) || batch < 1) throw new ArgumentError("batch", "must be a positive integer", batch);
  if (!Number.isInteger(channels) || channels < 1) throw new ArgumentError("channels", "must be a positive integer", channels);
  if (!Number.isInteger(channel) || channel < 0 || channel >= channels) {
    throw new ArgumentError("channel", `must be an integer from 0 to ${channels - 1}`, channel);
  }
  if (!Array.isArray(shape) || (shape.length !== 3 && shape.length !== 2) || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ArgumentError("shape", "must be three positive integers (z, y, x) or two (y, x)", shape);
  }
  const ndim = shape.length as 2 | 3;
  const [nz, ny, nx] = shape.length === 3 ? shape : [1, shape[0], shape[1]];
  const voxels = nz * ny * nx;
  if (voxels > MAX_CELLPOSE_VOXELS) throw new ArgumentError("shape", `holds more than 2^30 voxels`, shape);
  let bits = -1;
  for (let k = MAX_BITS; k >= 0 && bits < 0; k--) {
    const worst = [nz, ny, nx].reduce((s, d) => s + ((d - 1) * 2 ** k) ** 2, 0);
    if (worst <= 0xffffffff) bits = k;
  }
  if (bits < 0) throw new ArgumentError("shape", "is too large: the sum of (extent - 1)^2 must stay below 2^32", shape);
  const mode = options.mode ?? "binary";
  if (mode !== "binary" && mode !== "instances") {
    throw new ArgumentError("mode", `must be "binary" or "instances"`, mode);
  }
  const it = options.iterations;
  if (it !== undefined && (!Number.isInteger(it) || it < 1 || it > MAX_CELLPOSE_ITERATIONS)) {
    throw new ArgumentError("iterations", `must be an integer from 1 to ${MAX_CELLPOSE_ITERATIONS}`, it);
  }
  return {
    batch,
    channels,
    channel,
    shape: [nz, ny, nx],
    ndim,
    voxels,
    mode: mode === "binary" ? 0 : 1,
    iterations: it ?? 0,
    maxIterations: it ?? (ndim === 3 ? 6 * (nz + ny + nx + 3) : 2 * (ny + nx + 2)),
    bits,
  };
}
