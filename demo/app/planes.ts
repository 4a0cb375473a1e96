/**
 * Geometry of the three orthogonal slice views: which world axes a view shows, how a pixel maps
 * to world coordinates, and where a (rotated) sample box cuts a view's plane. Pure functions over
 * plain data, in float64, axis order z, y, x.
 * @module
 */
import type { Vec3 } from "../../src/index.ts";

/** The three views. */
export type PlaneName = "xy" | "xz" | "yz";

/** A view's axes: horizontal (left to right), vertical (top to bottom) and normal (0 z, 1 y, 2 x). */
export interface PlaneAxes {
  readonly h: 0 | 1 | 2;
  readonly v: 0 | 1 | 2;
  readonly n: 0 | 1 | 2;
}

/**
 * The view layout: xy top left, yz to its right (sharing y rows, z running left to right), xz
 * below xy (sharing x columns, z running downwards), as in neuroglancer's four-panel layout.
 */
export const PLANES: Readonly<Record<PlaneName, PlaneAxes>> = {
  xy: { h: 2, v: 1, n: 0 },
  yz: { h: 0, v: 1, n: 2 },
  xz: { h: 2, v: 0, n: 1 },
};

export const AXIS_NAMES = ["z", "y", "x"] as const;

/** Where a view looks: its plane's center (world), pixel size (world units) and canvas size. */
export interface SliceGeometry {
  readonly plane: PlaneName;
  readonly axes: PlaneAxes;
  readonly center: Readonly<Vec3>;
  /** World units per pixel, the same on both screen axes. */
  readonly pixelSize: number;
  readonly width: number;
  readonly height: number;
}

/**
 * The output grid of a slice read through `CellMapArray`: shape 1 along the normal, width and
 * height along the view's axes, and the pixel size on every axis (also along the normal, so the
 * level is chosen as for an isotropic request). Output voxel `j` lands at world
 * `center + (j - (n - 1) / 2) * pixelSize`, so pixel (px, py) is output voxel j with
 * `j[h] = px`, `j[v] = py`.
 */
export function sliceOutput(g: SliceGeometry): { shape: Vec3; scale: Vec3; strideH: number; strideV: number } {
  const shape: Vec3 = [1, 1, 1];
  shape[g.axes.h] = g.width;
  shape[g.axes.v] = g.height;
  const strides: Vec3 = [shape[1] * shape[2], shape[2], 1];
  return {
    shape,
    scale: [g.pixelSize, g.pixelSize, g.pixelSize],
    strideH: strides[g.axes.h],
    strideV: strides[g.axes.v],
  };
}

/** World position (z, y, x) of a pixel's center; pixel coordinates may be fractional. */
export function pixelToWorld(g: SliceGeometry, px: number, py: number): Vec3 {
  const p: Vec3 = [g.center[0], g.center[1], g.center[2]];
  p[g.axes.h] = g.center[g.axes.h] + (px - (g.width - 1) / 2) * g.pixelSize;
  p[g.axes.v] = g.center[g.axes.v] + (py - (g.height - 1) / 2) * g.pixelSize;
  return p;
}

/** Pixel coordinates (px, py) of a world point projected onto the view's plane. */
export function worldToPixel(g: SliceGeometry, p: Readonly<Vec3>): [number, number] {
  return [
    (p[g.axes.h] - g.center[g.axes.h]) / g.pixelSize + (g.width - 1) / 2,
    (p[g.axes.v] - g.center[g.axes.v]) / g.pixelSize + (g.height - 1) / 2,
  ];
}

/** An oriented box: center, 3x3 matrix A (row-major z, y, x) and half extents along A's columns. */
export interface OrientedBox {
  readonly center: Readonly<Vec3>;
  readonly axes: ArrayLike<number>;
  readonly half: Readonly<Vec3>;
}

/**
 * The box a sample array covers in the world: output voxel j sits at `c + A·((j - (n-1)/2) * s)`,
 * so its voxels' edges span `±n * s / 2` along each of A's columns.
 */
export function sampleBox(center: Readonly<Vec3>, augment: ArrayLike<number> | undefined, shape: Readonly<Vec3>, scale: Readonly<Vec3>): OrientedBox {
  return {
    center,
    axes: augment ?? [1, 0, 0, 0, 1, 0, 0, 0, 1],
    half: [shape[0] * scale[0] / 2, shape[1] * scale[1] / 2, shape[2] * scale[2] / 2],
  };
}

/** The 8 world corners of an oriented box. */
export function boxCorners(b: OrientedBox): Vec3[] {
  const out: Vec3[] = [];
  for (const sz of [-1, 1]) for (const sy of [-1, 1]) for (const sx of [-1, 1]) {
    const o = [sz * b.half[0], sy * b.half[1], sx * b.half[2]];
    const p: Vec3 = [0, 0, 0];
    for (let r = 0; r < 3; r++) p[r] = b.center[r]! + b.axes[r * 3]! * o[0]! + b.axes[r * 3 + 1]! * o[1]! + b.axes[r * 3 + 2]! * o[2]!;
    out.push(p);
  }
  return out;
}

/** Edges of a box as pairs of indices into {@link boxCorners}. */
const EDGES: ReadonlyArray<[number, number]> = [
  [0, 1], [2, 3], [4, 5], [6, 7], // along x
  [0, 2], [1, 3], [4, 6], [5, 7], // along y
  [0, 4], [1, 5], [2, 6], [3, 7], // along z
];

/**
 * Where an oriented box cuts the plane `world[n] = value`: a convex polygon as world points in
 * order around it, or an empty list when the plane misses the box.
 */
export function cutBox(b: OrientedBox, n: 0 | 1 | 2, value: number, axes: PlaneAxes): Vec3[] {
  const corners = boxCorners(b);
  const pts: Vec3[] = [];
  for (const [i, j] of EDGES) {
    const a = corners[i]!;
    const c = corners[j]!;
    const da = a[n] - value;
    const dc = c[n] - value;
    if (da === 0 && dc === 0) {
      pts.push(a, c);
    } else if ((da <= 0 && dc >= 0) || (da >= 0 && dc <= 0)) {
      const t = da / (da - dc);
      pts.push([a[0] + t * (c[0] - a[0]), a[1] + t * (c[1] - a[1]), a[2] + t * (c[2] - a[2])]);
    }
  }
  if (pts.length < 3) return [];
  // Order by angle around the centroid, in the view's (h, v) coordinates.
  const cx = pts.reduce((s, p) => s + p[axes.h], 0) / pts.length;
  const cy = pts.reduce((s, p) => s + p[axes.v], 0) / pts.length;
  const sorted = pts
    .map((p) => ({ p, a: Math.atan2(p[axes.v] - cy, p[axes.h] - cx) }))
    .sort((x, y) => x.a - y.a)
    .map((e) => e.p);
  // Drop duplicates (a plane through a corner meets several edges there).
  const out: Vec3[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (!last || Math.hypot(p[axes.h] - last[axes.h], p[axes.v] - last[axes.v]) > 1e-9) out.push(p);
  }
  if (out.length > 1) {
    const f = out[0]!;
    const l = out[out.length - 1]!;
    if (Math.hypot(f[axes.h] - l[axes.h], f[axes.v] - l[axes.v]) <= 1e-9) out.pop();
  }
  return out.length >= 3 ? out : [];
}

/** The outline of a box projected onto a view's plane: the convex hull of its corners (h, v). */
export function projectBox(b: OrientedBox, axes: PlaneAxes): Array<[number, number]> {
  const pts = boxCorners(b).map((p): [number, number] => [p[axes.h], p[axes.v]]);
  return convexHull(pts);
}

/** Andrew's monotone chain. */
export function convexHull(points: ReadonlyArray<[number, number]>): Array<[number, number]> {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o: [number, number], a: [number, number], b: [number, number]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Array<[number, number]> = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: Array<[number, number]> = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, q) <= 0) upper.pop();
    upper.push(q);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}
