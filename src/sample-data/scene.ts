/**
 * The synthetic cell the sample dataset draws: one cell (outside it, extracellular space), a
 * nucleus, mitochondria (capsules), ER sheets and vesicles, placed from a seed without overlaps.
 * Raw texture and labels are both evaluated from this one description in world coordinates, so
 * they agree at any voxel size. {@link locate} answers "what is at this point".
 * @module
 */

import {
  distance,
  dot,
  ellipsoidSd,
  frameOf,
  normalize,
  pointSegmentDistance,
  segmentDistance,
  type Vec3,
} from "./geometry.ts";
import type { SampleClass, SampleLayout, WorldBox } from "./layout.ts";
import { createRandom, sinDet } from "./rng.ts";

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

const BIN = 64;
const PRIORITY: Record<SceneObject["kind"], number> = { nucleus: 4, mito: 3, ves: 2, er: 1 };

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

function erSd(o: ErSheet, z: number, y: number, x: number): number {
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

function clampIndex(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/**
 * Place the organelles for a seed. Deterministic: the same seed and layout give the same scene.
 * Some organelles are placed inside each crop first, so every crop holds its classes.
 */
export function buildScene(seed: number, layout: SampleLayout): Scene {
  const rand = createRandom(seed);
  const box = layout.raw.box;
  const ext: Vec3 = [box.max[0]! - box.min[0]!, box.max[1]! - box.min[1]!, box.max[2]! - box.min[2]!];
  const at = (f: Vec3): Vec3 => [box.min[0]! + f[0] * ext[0], box.min[1]! + f[1] * ext[1], box.min[2]! + f[2] * ext[2]];
  const jitter = (v: number, frac: number) => v * (1 + frac * (2 * rand() - 1));
  const wobbles = (n: number, amp: number, minWave: number, maxWave: number): Wobble[] =>
    Array.from({ length: n }, () => {
      const dir = randomDirection(rand);
      const k = (2 * Math.PI) / (minWave + (maxWave - minWave) * rand());
      return { amp: amp * (0.5 + rand()), k: [dir[0] * k, dir[1] * k, dir[2] * k], phase: 2 * Math.PI * rand() };
    });

  const cellC = at([jitter(0.5, 0.03), jitter(0.34, 0.03), jitter(0.39, 0.03)]);
  const cellWobble = wobbles(3, 14, 300, 600);
  const cell = {
    c: cellC,
    r: [1.2 * ext[0], 0.64 * ext[1], 0.7 * ext[2]] as Vec3,
    wobble: cellWobble,
    reach: cellWobble.reduce((s, w) => s + w.amp, 0) + 20,
  };
  const nc = at([jitter(0.52, 0.03), jitter(0.33, 0.03), jitter(0.3, 0.03)]);
  const nr: Vec3 = [jitter(0.34, 0.05) * ext[0], jitter(0.25, 0.05) * ext[1], jitter(0.22, 0.05) * ext[2]];
  const nucleus: Nucleus = {
    kind: "nucleus",
    c: nc,
    r: nr,
    wobble: wobbles(2, 8, 200, 400),
    lo: [nc[0] - nr[0] - 40, nc[1] - nr[1] - 40, nc[2] - nr[2] - 40],
    hi: [nc[0] + nr[0] + 40, nc[1] + nr[1] + 40, nc[2] + nr[2] + 40],
  };
  const partial: Scene = { seed, box, cell, nucleus, objects: [], bins: [], binDims: [1, 1, 1] };
  const inCell = (p: Vec3, margin: number) => cellSd(partial, p[0], p[1], p[2]) < -margin;
  const awayFromNucleus = (p: Vec3, margin: number) => objectSd(nucleus, p[0], p[1], p[2]) > margin;

  // ER: a stack of sheets parallel to the nuclear envelope inside crop1, then a few elsewhere
  const ers: ErSheet[] = [];
  const crop1 = layout.crops[0]!.box;
  const stackC = mixBox(crop1, [0.5, 0.62, 0.7]);
  const toStack = normalize([(stackC[0] - nc[0]) * 0.3, stackC[1] - nc[1], stackC[2] - nc[2]]);
  const spacing = 80 + 30 * rand();
  for (let k = 0; k < 4; k++) {
    const off = (k - 1.5) * spacing;
    const c: Vec3 = [stackC[0] + toStack[0] * off, stackC[1] + toStack[1] * off, stackC[2] + toStack[2] * off];
    const sheet = fitSheet(makeSheet(rand, c, toStack), inCell, awayFromNucleus);
    if (sheet !== undefined) ers.push(sheet);
  }
  for (let tries = 0, placed = 0; tries < 300 && placed < 4; tries++) {
    const c = at([rand(), rand(), rand()]);
    const n = normalize([0.3 * (rand() - 0.5), rand() - 0.5, rand() - 0.5]);
    const sheet = fitSheet(makeSheet(rand, c, n), inCell, awayFromNucleus);
    if (sheet !== undefined && ers.every((o) => distance(o.c, c) > o.lu + sheet.lu)) {
      ers.push(sheet);
      placed++;
    }
  }
  const awayFromEr = (p: Vec3, margin: number) => ers.every((o) => erSd(o, p[0], p[1], p[2]) > margin);

  // mitochondria: some in each crop, the rest anywhere in the cell
  const mitos: Mito[] = [];
  const mitoPlan: [WorldBox, number][] = [[crop1, 5], [layout.crops[1]?.box ?? box, 3], [box, 6]];
  for (const [region, count] of mitoPlan) {
    for (let tries = 0, placed = 0; tries < 1500 && placed < count; tries++) {
      const c = mixBox(region, [rand(), rand(), rand()]);
      const r = 38 + 22 * rand();
      const len = 140 + 300 * rand();
      const axis = randomDirection(rand);
      const a: Vec3 = [c[0] - axis[0] * len / 2, c[1] - axis[1] * len / 2, c[2] - axis[2] * len / 2];
      const b: Vec3 = [c[0] + axis[0] * len / 2, c[1] + axis[1] * len / 2, c[2] + axis[2] * len / 2];
      const samples = Array.from({ length: 9 }, (_, i): Vec3 => {
        const t = i / 8;
        return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
      });
      if (!samples.every((p) => inCell(p, r + 15) && awayFromNucleus(p, r + 15) && awayFromEr(p, r + 8))) continue;
      if (!mitos.every((m) => segmentDistance(a, b, m.a, m.b) > r + m.r + 15)) continue;
      const [u, v] = frameOf(axis);
      mitos.push({
        kind: "mito",
        a,
        b,
        r,
        axis,
        len,
        u,
        v,
        period: 28 + 14 * rand(),
        phase: 2 * Math.PI * rand(),
        lo: [Math.min(a[0], b[0]) - r, Math.min(a[1], b[1]) - r, Math.min(a[2], b[2]) - r],
        hi: [Math.max(a[0], b[0]) + r, Math.max(a[1], b[1]) + r, Math.max(a[2], b[2]) + r],
      });
      placed++;
    }
  }

  // vesicles: many small spheres in free cytoplasm
  const ves: Vesicle[] = [];
  const vesPlan: [WorldBox, number][] = [[crop1, 30], [layout.crops[1]?.box ?? box, 8], [box, 60]];
  for (const [region, count] of vesPlan) {
    for (let tries = 0, placed = 0; tries < 2000 && placed < count; tries++) {
      const c = mixBox(region, [rand(), rand(), rand()]);
      const r = 18 + 16 * rand();
      if (!inCell(c, r + 10) || !awayFromNucleus(c, r + 10) || !awayFromEr(c, r + 8)) continue;
      if (!mitos.every((m) => pointSegmentDistance(c, m.a, m.b) > r + m.r + 8)) continue;
      if (!ves.every((o) => distance(o.c, c) > r + o.r + 6)) continue;
      ves.push({ kind: "ves", c, r, lo: [c[0] - r, c[1] - r, c[2] - r], hi: [c[0] + r, c[1] + r, c[2] + r] });
      placed++;
    }
  }

  const objects: SceneObject[] = [nucleus, ...mitos, ...ves, ...ers];
  const binDims: Vec3 = [Math.ceil(ext[0] / BIN), Math.ceil(ext[1] / BIN), Math.ceil(ext[2] / BIN)];
  const bins: SceneObject[][] = Array.from({ length: binDims[0] * binDims[1] * binDims[2] }, () => []);
  const sorted = [...objects].sort((p, q) => PRIORITY[q.kind] - PRIORITY[p.kind]);
  for (const o of sorted) {
    const lo = o.lo.map((v, i) => clampIndex(Math.floor((v - box.min[i]!) / BIN), binDims[i]!));
    const hi = o.hi.map((v, i) => clampIndex(Math.floor((v - box.min[i]!) / BIN), binDims[i]!));
    for (let bz = lo[0]!; bz <= hi[0]!; bz++) {
      for (let by = lo[1]!; by <= hi[1]!; by++) {
        for (let bx = lo[2]!; bx <= hi[2]!; bx++) bins[(bz * binDims[1] + by) * binDims[2] + bx]!.push(o);
      }
    }
  }
  return { seed, box, cell, nucleus, objects, bins, binDims };
}

function mixBox(b: WorldBox, f: Vec3): Vec3 {
  return [
    b.min[0]! + f[0] * (b.max[0]! - b.min[0]!),
    b.min[1]! + f[1] * (b.max[1]! - b.min[1]!),
    b.min[2]! + f[2] * (b.max[2]! - b.min[2]!),
  ];
}

function randomDirection(rand: () => number): Vec3 {
  for (;;) {
    const v: Vec3 = [2 * rand() - 1, 2 * rand() - 1, 2 * rand() - 1];
    const n2 = dot(v, v);
    if (n2 > 0.01 && n2 <= 1) return normalize(v);
  }
}

function makeSheet(rand: () => number, c: Vec3, n: Vec3): ErSheet {
  const [u, v] = frameOf(n);
  const lu = 170 + 110 * rand();
  const lv = 150 + 110 * rand();
  const w = 11 + 4 * rand();
  const amp1 = 12 + 18 * rand();
  const k1 = (2 * Math.PI) / (260 + 200 * rand());
  const p1 = 2 * Math.PI * rand();
  const amp2 = 8 + 12 * rand();
  const k2 = (2 * Math.PI) / (220 + 200 * rand());
  const p2 = 2 * Math.PI * rand();
  return withBounds({ kind: "er", c, n, u, v, lu, lv, w, waves: [amp1, k1, p1, amp2, k2, p2], lo: c, hi: c });
}

/** The sheet, shrunk until it lies in the cell away from the nucleus; undefined if it never does. */
function fitSheet(
  s: ErSheet,
  inCell: (p: Vec3, m: number) => boolean,
  awayFromNucleus: (p: Vec3, m: number) => boolean,
): ErSheet | undefined {
  for (let f = 1; f >= 0.4; f *= 0.8) {
    const t = withBounds({ ...s, lu: s.lu * f, lv: s.lv * f });
    if (sheetFits(t, inCell, awayFromNucleus)) return t;
  }
  return undefined;
}

/** The sheet with its bounding box recomputed. */
function withBounds(s: ErSheet): ErSheet {
  const amp = s.waves[0] + s.waves[3] + s.w;
  const reach = (i: number) => Math.abs(s.u[i]!) * s.lu + Math.abs(s.v[i]!) * s.lv + Math.abs(s.n[i]!) * amp;
  return {
    ...s,
    lo: [s.c[0] - reach(0), s.c[1] - reach(1), s.c[2] - reach(2)],
    hi: [s.c[0] + reach(0), s.c[1] + reach(1), s.c[2] + reach(2)],
  };
}

function sheetFits(
  s: ErSheet,
  inCell: (p: Vec3, m: number) => boolean,
  awayFromNucleus: (p: Vec3, m: number) => boolean,
): boolean {
  for (let i = -2; i <= 2; i++) {
    for (let j = -2; j <= 2; j++) {
      const a = (i / 2) * s.lu * 0.95;
      const b = (j / 2) * s.lv * 0.95;
      if ((a / s.lu) * (a / s.lu) + (b / s.lv) * (b / s.lv) > 1) continue;
      const p: Vec3 = [
        s.c[0] + s.u[0] * a + s.v[0] * b,
        s.c[1] + s.u[1] * a + s.v[1] * b,
        s.c[2] + s.u[2] * a + s.v[2] * b,
      ];
      if (!inCell(p, 40) || !awayFromNucleus(p, 50)) return false;
    }
  }
  return true;
}
