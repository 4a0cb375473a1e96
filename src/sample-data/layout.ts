/**
 * Where everything of the sample dataset lies: the raw volume's grid, the annotated crops (their
 * grids, classes and world boxes) and the paths inside each zarr copy, following the CellMap
 * layout `recon-1/em/fibsem-uint8` and `recon-1/labels/groundtruth/crop<N>/<class>`.
 * @module
 */

import { ArgumentError } from "../errors.ts";
import { downsampledShape, type MultiscaleLevel, pyramidLevels } from "../zarr-write/ngff-meta.ts";
import type { Vec3 } from "./geometry.ts";

/** The label classes the sample dataset annotates. */
export type SampleClass = "mito" | "er" | "nucleus" | "ves" | "ecs";

/** Every class, in label-id order (id = index + 1; 0 is cytoplasm). */
export const SAMPLE_CLASSES: readonly SampleClass[] = ["ecs", "nucleus", "mito", "ves", "er"];

/** One pyramid level with its array shape. */
export interface LevelInfo extends MultiscaleLevel {
  readonly shape: readonly number[];
}

/** An axis-aligned world box, voxel edges included: `[min, max)` per axis in nm. */
export interface WorldBox {
  readonly min: readonly number[];
  readonly max: readonly number[];
}

/** A regular grid of voxel centers (`translation + i * scale`). */
export interface Grid {
  readonly shape: readonly number[];
  readonly scale: readonly number[];
  readonly translation: readonly number[];
}

/** An annotated crop. */
export interface CropLayout {
  readonly name: string;
  /** Path below the zarr root, e.g. `recon-1/labels/groundtruth/crop1`. */
  readonly path: string;
  readonly classes: readonly SampleClass[];
  readonly grid: Grid;
  readonly levels: readonly LevelInfo[];
  readonly box: WorldBox;
}

/** The whole dataset's geometry. */
export interface SampleLayout {
  readonly raw: { readonly path: string; readonly grid: Grid; readonly levels: readonly LevelInfo[]; readonly box: WorldBox };
  readonly crops: readonly CropLayout[];
}

/** The raw voxel size at s0 (z, y, x nm): anisotropic like FIB-SEM. */
export const RAW_SCALE: Vec3 = [8, 4, 4];
/** Default s0 shape of the raw volume (768 nm on every axis). */
export const DEFAULT_SIZE: Vec3 = [96, 192, 192];
export const RAW_PATH = "recon-1/em/fibsem-uint8";
export const GROUNDTRUTH_PATH = "recon-1/labels/groundtruth";

interface CropPlan {
  name: string;
  classes: SampleClass[];
  /** Fraction of the raw s0 grid covered, [from, to) per axis. */
  from: Vec3;
  to: Vec3;
  /** Label voxel size relative to raw s0 (1 = same, 2 = twice finer). */
  refine: Vec3;
}

const CROPS: CropPlan[] = [
  // isotropic 4 nm labels over the middle of the volume: finer than raw along z
  { name: "crop1", classes: ["mito", "er", "nucleus", "ves"], from: [0.25, 0.25, 0.25], to: [0.75, 0.75, 0.75], refine: [2, 1, 1] },
  // raw-resolution labels at the cell boundary corner
  { name: "crop2", classes: ["mito", "ecs"], from: [1 / 3, 7 / 12, 7 / 12], to: [5 / 6, 1, 1], refine: [1, 1, 1] },
];

function levelsOf(grid: Grid, count: number): LevelInfo[] {
  let shape = [...grid.shape];
  return pyramidLevels(count, grid.scale, grid.translation).map((level, k) => {
    if (k > 0) shape = downsampledShape(shape);
    return { ...level, shape };
  });
}

function boxOf(grid: Grid): WorldBox {
  return {
    min: grid.translation.map((t, i) => t - grid.scale[i]! / 2),
    max: grid.translation.map((t, i) => t + (grid.shape[i]! - 0.5) * grid.scale[i]!),
  };
}

/**
 * Compute the layout for an s0 shape and level count.
 * @param size raw s0 shape; each axis a multiple of 2^(levels-1) and at least 8 times that
 */
export function sampleLayout(size: readonly number[] = DEFAULT_SIZE, levels = 3): SampleLayout {
  if (!Number.isInteger(levels) || levels < 1 || levels > 6) {
    throw new ArgumentError("levels", "must be an integer from 1 to 6", levels);
  }
  const m = 2 ** (levels - 1);
  if (size.length !== 3 || size.some((n) => !Number.isInteger(n) || n % m !== 0 || n < 8 * m)) {
    throw new ArgumentError("size", `must be 3 integers, each a multiple of ${m} and at least ${8 * m}`, size);
  }
  const rawGrid: Grid = { shape: [...size], scale: [...RAW_SCALE], translation: [0, 0, 0] };
  const crops = CROPS.map((plan): CropLayout => {
    const lo = size.map((n, i) => Math.round((plan.from[i]! * n) / m) * m);
    const hi = size.map((n, i) => Math.round((plan.to[i]! * n) / m) * m);
    const scale = RAW_SCALE.map((s, i) => s / plan.refine[i]!);
    // first label voxel center: the raw voxel's lower edge plus half a label voxel
    const translation = lo.map((l, i) => l * RAW_SCALE[i]! - RAW_SCALE[i]! / 2 + scale[i]! / 2);
    const shape = lo.map((l, i) => (hi[i]! - l) * plan.refine[i]!);
    const grid: Grid = { shape, scale, translation };
    return {
      name: plan.name,
      path: `${GROUNDTRUTH_PATH}/${plan.name}`,
      classes: plan.classes,
      grid,
      levels: levelsOf(grid, levels),
      box: boxOf(grid),
    };
  });
  return {
    raw: { path: RAW_PATH, grid: rawGrid, levels: levelsOf(rawGrid, levels), box: boxOf(rawGrid) },
    crops,
  };
}
