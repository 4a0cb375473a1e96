/**
 * The geometry of {@link CellMapDatasetWriter}'s output, pure and float64: the tile grid over the
 * union of the target bounds, and per target array its voxel grid (snapped so that every tile's
 * prediction voxels land on it), output shape, chunks and NGFF level. See `./writer.ts` for the
 * rules in prose.
 *
 * @example
 * ```ts
 * const g = planWriterGeometry(
 *   { pred: { shape: [64, 64, 64], scale: [8, 8, 8] } },
 *   { pred: { z: [0, 1000], y: [0, 1000], x: [0, 1000] } },
 * );
 * g.extent; // [512, 512, 512]; g.counts: [2, 2, 2]; g.plans[0].outShape: [125, 125, 125]
 * ```
 * @module
 */

import { ArgumentError } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";

/** z, y, x. */
export type { Vec3 };

/** A world interval `[lo, hi]`. */
export type WorldRange = readonly [number, number];

/** A world box per axis, as in Python's `target_bounds`. */
export interface WorldBounds {
  readonly z: WorldRange;
  readonly y: WorldRange;
  readonly x: WorldRange;
}

/** One target array: the prediction's shape (voxels) and voxel size (world units), z, y, x. */
export interface WriterArraySpec {
  readonly shape: readonly [number, number, number];
  readonly scale: readonly [number, number, number];
}

/** Per target array: where its voxels are and how predictions map onto them. */
export interface ArrayPlan {
  readonly name: string;
  readonly shape: Vec3;
  readonly scale: Vec3;
  /** Tile extent in voxels. */
  readonly q: Vec3;
  /** Output voxel of the first voxel of tile 0 (<= 0). */
  readonly base: Vec3;
  /** Prediction voxel `j` of tile k is output voxel `k q + off0 + j`. */
  readonly off0: Vec3;
  /** Output array shape: its bounds in voxels, rounded up. */
  readonly outShape: Vec3;
  /** NGFF translation: world center of output voxel 0. */
  readonly translation: Vec3;
  /** Chunk shape: the tile in voxels, split into pieces of at most 128. */
  readonly chunks: Vec3;
  /** Level path in the class groups: "s0" for the finest voxel size. */
  readonly level: string;
}

/** The tile grid and every array's plan. */
export interface WriterGeometry {
  /** World extent of a tile: the smallest target array's `shape * scale`, per axis. */
  readonly extent: Vec3;
  /** World corner of tile 0: the low corner of the union of the bounds. */
  readonly origin: Vec3;
  /** Tiles per axis. */
  readonly counts: Vec3;
  /** One per target array, finest voxel size first (levels s0, s1, ...). */
  readonly plans: readonly ArrayPlan[];
}

const AXES = ["z", "y", "x"] as const;
const EPS = 1e-9;

const isInt = (x: number) => Math.abs(x - Math.round(x)) < 1e-6;

function checkVec(v: unknown, field: string, positiveInt: boolean): Vec3 {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === "number" && Number.isFinite(x) && x > 0)) {
    throw new ArgumentError(field, "must be 3 positive numbers (z, y, x)", v);
  }
  if (positiveInt && !v.every((x) => Number.isInteger(x))) throw new ArgumentError(field, "must be integers", v);
  return [v[0], v[1], v[2]];
}

function boundsOf(b: WorldBounds | undefined, field: string): { lo: Vec3; hi: Vec3 } {
  if (b === undefined) throw new ArgumentError(field, "is missing: give { z: [lo, hi], y: [lo, hi], x: [lo, hi] }");
  const lo: Vec3 = [0, 0, 0];
  const hi: Vec3 = [0, 0, 0];
  AXES.forEach((a, k) => {
    const r = b[a];
    if (!Array.isArray(r) || r.length !== 2 || !r.every(Number.isFinite) || !(r[1] > r[0])) {
      throw new ArgumentError(`${field}.${a}`, "must be [lo, hi] with lo < hi", r);
    }
    lo[k] = r[0];
    hi[k] = r[1];
  });
  return { lo, hi };
}

/** Chunk extent along one axis: the tile (in voxels) split into pieces of at most 128. */
const chunkFor = (q: number) => Math.ceil(q / Math.ceil(q / 128));

/**
 * Plan the output of a writer: validates shapes, scales and bounds.
 *
 * @param targetArrays prediction shape and voxel size per target array
 * @param targetBounds world box per target array
 * @returns the tile grid and the per-array plans
 * @throws {ArgumentError} naming the bad option
 */
export function planWriterGeometry(
  targetArrays: Readonly<Record<string, WriterArraySpec>>,
  targetBounds: Readonly<Record<string, WorldBounds>>,
): WriterGeometry {
  const names = Object.keys(targetArrays);
  if (names.length === 0) throw new ArgumentError("targetArrays", "must name at least one array");
  const specs = names.map((name) => ({
    name,
    shape: checkVec(targetArrays[name]?.shape, `targetArrays.${name}.shape`, true),
    scale: checkVec(targetArrays[name]?.scale, `targetArrays.${name}.scale`, false),
    bounds: boundsOf(targetBounds[name], `targetBounds.${name}`),
  }));
  for (const k of Object.keys(targetBounds)) {
    if (!names.includes(k)) throw new ArgumentError(`targetBounds.${k}`, "names no target array");
  }
  const extent = [0, 1, 2].map((k) => Math.min(...specs.map((s) => s.shape[k]! * s.scale[k]!))) as Vec3;
  const ulo = [0, 1, 2].map((k) => Math.min(...specs.map((s) => s.bounds.lo[k]!))) as Vec3;
  const uhi = [0, 1, 2].map((k) => Math.max(...specs.map((s) => s.bounds.hi[k]!))) as Vec3;
  const ordered = [...specs].sort((a, b) => a.scale[0] * a.scale[1] * a.scale[2] - b.scale[0] * b.scale[1] * b.scale[2]);
  const plans: ArrayPlan[] = ordered.map((s, level) => {
    const q = [0, 0, 0] as Vec3;
    const base = [0, 0, 0] as Vec3;
    const off0 = [0, 0, 0] as Vec3;
    const outShape = [0, 0, 0] as Vec3;
    const translation = [0, 0, 0] as Vec3;
    for (let k = 0; k < 3; k++) {
      const sk = s.scale[k]!;
      const qk = extent[k]! / sk;
      if (!isInt(qk)) {
        throw new ArgumentError(
          `targetArrays.${s.name}.scale`,
          `must divide the tile extent ${extent[k]} (the smallest target array's ${AXES[k]} extent) into whole voxels`,
          s.scale,
        );
      }
      q[k] = Math.round(qk);
      // phi2 = 2 (t - U.lo) / s, snapped to the parity that puts prediction voxels on the grid.
      const parity = (((q[k]! - s.shape[k]! + 1) % 2) + 2) % 2;
      const want = (2 * (s.bounds.lo[k]! - ulo[k]!)) / sk + 1;
      // Nearest lattice position; on a tie the lower one, so the array starts before its bounds.
      const phi2 = Math.ceil((want - parity) / 2 - 0.5) * 2 + parity;
      base[k] = Math.ceil(-phi2 / 2) + 0;
      off0[k] = (q[k]! - phi2 - s.shape[k]! + 1) / 2;
      const j0 = base[k]! - off0[k]!;
      if (j0 < 0 || j0 + q[k]! > s.shape[k]!) {
        throw new ArgumentError(`targetArrays.${s.name}.shape`, "does not cover a tile; it must be at least the tile extent", s.shape);
      }
      translation[k] = ulo[k]! + (phi2 / 2) * sk;
      outShape[k] = Math.max(1, Math.ceil((s.bounds.hi[k]! - (translation[k]! - sk / 2)) / sk - EPS));
    }
    return { name: s.name, shape: s.shape, scale: s.scale, q, base, off0, outShape, translation, chunks: q.map(chunkFor) as Vec3, level: `s${level}` };
  });
  for (let i = 1; i < plans.length; i++) {
    if (plans[i]!.scale.every((v, k) => v === plans[i - 1]!.scale[k])) {
      throw new ArgumentError(`targetArrays.${plans[i]!.name}.scale`, `equals that of ${plans[i - 1]!.name}; each target array is one level of the class groups`);
    }
  }
  const counts = [0, 1, 2].map((k) =>
    Math.max(1, Math.ceil((uhi[k]! - ulo[k]!) / extent[k]! - EPS), ...plans.map((p) => Math.ceil((p.outShape[k]! - p.base[k]!) / p.q[k]!))),
  ) as Vec3;
  return { extent, origin: ulo, counts, plans };
}

