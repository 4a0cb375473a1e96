/**
 * The synthetic cell the sample dataset draws: one cell (outside it, extracellular space), a
 * nucleus, mitochondria (capsules), ER sheets and vesicles, placed from a seed without overlaps.
 * Raw texture and labels are both evaluated from this one description in world coordinates, so
 * they agree at any voxel size. {@link locate} answers "what is at this point"; `place.ts` builds
 * a scene from a seed.
 * @module
 */

import { ellipsoidSd, type Vec3 } from "./geometry.ts";
import type { SampleClass, WorldBox } from "./layout.ts";
import { sinDet } from "./rng.ts";

/** Label ids used while rendering: 0 cytoplasm, then one per class. */
export const CLASS_ID: Readonly<Record<SampleClass | "cyto", number>> = {
  cyto: 0,
  ecs: 1,
  nucleus: 2,
  mito: 3,
  ves: 4,
  er: 5,
};

/** A sinusoidal surface perturbation `amp * sin(k . p + phase)`. */
export interface Wobble {
  readonly amp: number;
  readonly k: Vec3;
  readonly phase: number;
}

/** The nucleus: a wobbly ellipsoid with a double membrane. */
export interface Nucleus {
  readonly kind: "nucleus";
  readonly c: Vec3;
  readonly r: Vec3;
  readonly wobble: readonly Wobble[];
  readonly lo: Vec3;
  readonly hi: Vec3;
}

/** A mitochondrion: capsule from `a` to `b` with radius `r` and cristae every `period` nm. */
export interface Mito {
  readonly kind: "mito";
  readonly a: Vec3;
  readonly b: Vec3;
  readonly r: number;
  readonly axis: Vec3;
  /** Distance from `a` to `b`. */
  readonly len: number;
  readonly u: Vec3;
  readonly v: Vec3;
  readonly period: number;
  readonly phase: number;
  readonly lo: Vec3;
  readonly hi: Vec3;
}

/** A vesicle: a small sphere. */
export interface Vesicle {
  readonly kind: "ves";
  readonly c: Vec3;
  readonly r: number;
  readonly lo: Vec3;
  readonly hi: Vec3;
}

/** An ER sheet: a curved elliptic patch of half thickness `w` around the surface `n = h(u, v)`. */
export interface ErSheet {
  readonly kind: "er";
  readonly c: Vec3;
  readonly n: Vec3;
  readonly u: Vec3;
  readonly v: Vec3;
  readonly lu: number;
  readonly lv: number;
  readonly w: number;
  readonly waves: readonly [number, number, number, number, number, number];
  readonly lo: Vec3;
  readonly hi: Vec3;
}

/** Any organelle of the scene. */
export type SceneObject = Nucleus | Mito | Vesicle | ErSheet;

/** The whole synthetic cell. */
export interface Scene {
  readonly seed: number;
  readonly box: WorldBox;
  /** The cell: a wobbly ellipsoid; `reach` bounds the wobble plus the plasma membrane's depth. */
  readonly cell: { readonly c: Vec3; readonly r: Vec3; readonly wobble: readonly Wobble[]; readonly reach: number };
  readonly nucleus: Nucleus;
  readonly objects: readonly SceneObject[];
  /** Objects per 64 nm bin (highest priority first), for fast lookup. */
  readonly bins: readonly (readonly SceneObject[])[];
  readonly binDims: Vec3;
}

/** Where {@link locate} reports what it found. */
export interface Hit {
  /** The organelle containing the point, or null for cytoplasm / extracellular space. */
  obj: SceneObject | null;
  /** Signed distance to that organelle's surface (to the cell surface when `obj` is null). */
  sd: number;
}

/** Edge of the lookup bins, nm. */
export const BIN = 64;
/** Which organelle wins where two overlap (higher first). */
export const PRIORITY: Readonly<Record<SceneObject["kind"], number>> = { nucleus: 4, mito: 3, ves: 2, er: 1 };

function wobbleAt(ws: readonly Wobble[], z: number, y: number, x: number): number {
  let s = 0;
  for (const w of ws) s += w.amp * sinDet(w.k[0] * z + w.k[1] * y + w.k[2] * x + w.phase);
  return s;
}

/** Signed distance to the cell surface (positive outside, in the extracellular space). */
export function cellSd(scene: Scene, z: number, y: number, x: number): number {
  const { c, r, wobble, reach } = scene.cell;
  const e = ellipsoidSd(z - c[0], y - c[1], x - c[2], r);
  // deep inside, the wobble cannot reach the surface: skip it (callers only need "far inside")
  return e < -reach ? e + reach : e + wobbleAt(wobble, z, y, x);
}

/** Signed distance to an organelle's surface (approximate, exact enough near the surface). */
export function objectSd(o: SceneObject, z: number, y: number, x: number): number {
  switch (o.kind) {
    case "nucleus":
      return ellipsoidSd(z - o.c[0], y - o.c[1], x - o.c[2], o.r) + wobbleAt(o.wobble, z, y, x);
    case "mito": {
      const az = z - o.a[0];
      const ay = y - o.a[1];
      const ax = x - o.a[2];
      let t = az * o.axis[0] + ay * o.axis[1] + ax * o.axis[2];
      t = t < 0 ? 0 : t > o.len ? o.len : t;
      const dz = az - o.axis[0] * t;
      const dy = ay - o.axis[1] * t;
      const dx = ax - o.axis[2] * t;
      return Math.sqrt(dz * dz + dy * dy + dx * dx) - o.r;
    }
    case "ves": {
      const dz = z - o.c[0];
      const dy = y - o.c[1];
      const dx = x - o.c[2];
      return Math.sqrt(dz * dz + dy * dy + dx * dx) - o.r;
    }
    case "er":
      return erSd(o, z, y, x);
  }
}

/** Signed distance to an ER sheet (1e9 outside its patch). */
export function erSd(o: ErSheet, z: number, y: number, x: number): number {
  const dz = z - o.c[0];
  const dy = y - o.c[1];
  const dx = x - o.c[2];
  const pu = dz * o.u[0] + dy * o.u[1] + dx * o.u[2];
  const pv = dz * o.v[0] + dy * o.v[1] + dx * o.v[2];
  const pn = dz * o.n[0] + dy * o.n[1] + dx * o.n[2];
  const e = (pu / o.lu) * (pu / o.lu) + (pv / o.lv) * (pv / o.lv);
  if (e >= 1) return 1e9;
  const [a1, k1, p1, a2, k2, p2] = o.waves;
  const h = a1 * sinDet(k1 * pu + p1) + a2 * sinDet(k2 * pv + p2);
  const taper = Math.min(1, (1 - e) * 4);
  const d = pn - h;
  return (d < 0 ? -d : d) - o.w * Math.sqrt(taper);
}

/**
 * What is at world point (z, y, x): the label id ({@link CLASS_ID}) and, in `hit`, the organelle
 * and the signed distance to its surface.
 */
export function locate(scene: Scene, z: number, y: number, x: number, hit: Hit): number {
  const sdc = cellSd(scene, z, y, x);
  hit.obj = null;
  hit.sd = sdc;
  if (sdc > 0) return CLASS_ID.ecs;
  const { box, binDims } = scene;
  const bz = clampIndex(Math.floor((z - box.min[0]!) / BIN), binDims[0]);
  const by = clampIndex(Math.floor((y - box.min[1]!) / BIN), binDims[1]);
  const bx = clampIndex(Math.floor((x - box.min[2]!) / BIN), binDims[2]);
  const list = scene.bins[(bz * binDims[1] + by) * binDims[2] + bx]!;
  for (let i = 0; i < list.length; i++) {
    const o = list[i]!;
    if (z < o.lo[0] || z > o.hi[0] || y < o.lo[1] || y > o.hi[1] || x < o.lo[2] || x > o.hi[2]) continue;
    const sd = objectSd(o, z, y, x);
    if (sd < 0) {
      hit.obj = o;
      hit.sd = sd;
      return CLASS_ID[o.kind];
    }
  }
  return CLASS_ID.cyto;
}

/** Clamp a bin index to [0, n). */
export function clampIndex(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

