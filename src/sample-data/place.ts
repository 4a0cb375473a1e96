/**
 * Place the organelles of the sample scene from a seed: the cell and nucleus at jittered fixed
 * spots, then ER sheets, mitochondria and vesicles by rejection sampling so they do not overlap.
 * Each crop gets some of its classes placed inside it first, so every crop holds its classes.
 * @module
 */

import {
  distance,
  dot,
  frameOf,
  normalize,
  pointSegmentDistance,
  segmentDistance,
  type Vec3,
} from "./geometry.ts";
import type { SampleLayout, WorldBox } from "./layout.ts";
import { createRandom } from "./rng.ts";
import {
  BIN,
  cellSd,
  clampIndex,
  type ErSheet,
  erSd,
  type Mito,
  type Nucleus,
  objectSd,
  PRIORITY,
  type Scene,
  type SceneObject,
  type Vesicle,
  type Wobble,
} from "./scene.ts";

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
