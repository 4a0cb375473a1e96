/**
 * The types a batch's executors share with the datasets that plan it: output grids, arrays on the
 * CPU and on the GPU, and cellpose flow targets. The dataset's public types re-export them.
 * @module
 */

import type { Vec3 } from "../geometry/types.ts";
import type { CellposeMode } from "../kernels/cellpose/contract.ts";

/** One output array: its shape and voxel size, z, y, x, world units. */
export interface ArraySpec {
  shape: Vec3;
  scale: Vec3;
}

/** An array on the CPU: C-order `data` of `shape`. */
export interface ArrayData {
  data: Float32Array;
  shape: number[];
}

/** An array left on the GPU: f32, C-order, `shape`, starting at byte 0 of `buffer`. */
export interface GpuArrayData {
  buffer: GPUBuffer;
  shape: number[];
  /** `4 * prod(shape)`. */
  byteLength: number;
}

/** A checked cellpose flow target: its output grid, class, object mode and iterations. */
export interface CellposeTargetSpec extends ArraySpec {
  readonly class: string;
  readonly mode: CellposeMode;
  /** Fixed diffusion steps; absent: the per-sample default. */
  readonly iterations?: number;
  /**
   * The grid the flows are computed on: `shape` for a 3D dataset (flows `[3, z, y, x]`), the
   * slice's `[h, w]` for a 2D one (flows `[2, h, w]`, rows then columns). Its length is the
   * number of flow channels.
   */
  readonly flowShape: readonly [number, number, number] | readonly [number, number];
}

/** The labels a flow target reads. */
export interface CellposeLabels {
  /** The flow class first, then the classes exclusive with it (their presence makes true negatives). */
  readonly classes: readonly string[];
  /** `exclusive` restricted to `classes`. */
  readonly exclusive: boolean[][];
}
