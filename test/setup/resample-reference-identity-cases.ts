// Shared bodies of the CPU resample twin's identity test, run in Node, Deno and Chromium from the case registry (test/setup/cases.ts): the twin (src/kernels/resample/twin.ts) against its
// previous implementation (test/setup/resample-reference-v1.ts, kept unchanged). On many seeded
// random dispatches every output value must be the same float, NaN and the sign of zero included
// (Object.is per value). The cases cover every storage kind with arbitrary word contents (f32 NaN
// and infinities), random rotations, scales and mirrors, axis permutations with decimal steps that
// land within rounding of voxel borders and ties, far origins (where the order of the float64 sums
// shows), absent chunks, slots past the cache, tables shorter than the sample needs, chunk
// coordinates outside the table, NaN and -0 pad and fill values, ragged edge chunks, and
// displacement fields (Float64Array, Float32Array and plain arrays, clamped grids, constant fields
// whose rounding decides nearest ties). Plain synchronous functions that throw on failure.

import { rngFor } from "../../src/augment/rng.ts";
import { slotWords, STORAGE_KINDS, type StorageKind } from "../../src/kernels/chunks/contract.ts";
import { ABSENT_SLOT, type ResampleDisplacement, type ResampleParams, type ResampleSample, type Vec3 } from "../../src/kernels/resample/contract.ts";
import { resampleReference } from "../../src/kernels/resample/twin.ts";
import { resampleReferenceV1 } from "./resample-reference-v1.ts";
import { check } from "./assert.ts";
import type { Cases } from "./cases.ts";

function throwsRangeError(work: () => unknown, what: string): void {
  try {
    work();
  } catch (e) {
    check(e instanceof RangeError, `${what} threw ${String(e)}, expected a RangeError`);
    return;
  }
  throw new Error(`${what} should have thrown`);
}

const KINDS = Object.keys(STORAGE_KINDS) as StorageKind[];

interface Case {
  params: ResampleParams;
  samples: ResampleSample[];
  table: Uint32Array;
  cache: Uint32Array;
}

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
const vec = (f: (a: number) => number): Vec3 => [f(0), f(1), f(2)];

/** Cache words: arbitrary bits, or small values of the kind (so blends are not all NaN). */
function randomCache(r: Rand, kind: StorageKind, words: number): Uint32Array {
  const cache = new Uint32Array(words);
  if (r() < 0.4) {
    for (let i = 0; i < words; i++) cache[i] = (r() * 0x100000000) >>> 0;
    return cache;
  }
  const bytes = STORAGE_KINDS[kind].bytes;
  const n = (words * 4) / bytes;
  const view = kind === "f32" ? new Float32Array(cache.buffer) : bytes === 1 ? new Uint8Array(cache.buffer) : bytes === 2 ? new Uint16Array(cache.buffer) : cache;
  for (let i = 0; i < n; i++) view[i] = kind === "f32" ? (r() - 0.5) * 200 : int(r, 0, 2 ** (8 * bytes) - 1);
  return cache;
}

/** An affine: a random rotation, scale and mirror about a random center, or an exact permutation. */
function randomMatrix(r: Rand, outShape: Vec3, vol: Vec3, origin: Vec3): Float64Array {
  const m = new Float64Array(12);
  const center = vec((a) => (r() < 0.7 ? r() : r() * 1.4 - 0.2) * vol[a]!);
  if (r() < 0.3) {
    // Axis permutation with mirrors and integer or half-integer offsets: lands exactly on borders.
    const perm = pick(r, [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] as const);
    for (let a = 0; a < 3; a++) {
      const k = perm[a]!;
      const sign = r() < 0.3 ? -1 : 1;
      // Decimal steps do not sum exactly: points land within rounding of voxel borders and ties.
      const step = pick(r, [1, 1, 0.5, 2, 0.1, 0.3, 0.7, 1 / 3]);
      m[4 * a + k] = sign * step;
      m[4 * a + 3] = Math.round(center[a]! * 2) / 2 - sign * step * Math.floor((outShape[k]! - 1) / 2) - origin[a]!;
    }
    return m;
  }
  let [w, x, y, z] = [r() - 0.5, r() - 0.5, r() - 0.5, r() - 0.5];
  const len = Math.hypot(w, x, y, z) || 1;
  [w, x, y, z] = [w / len, x / len, y / len, z / len];
  const rot = [
    1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
    2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
    2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
  ];
  const scale = vec(() => (0.3 + r() * 1.2) * (r() < 0.3 ? -1 : 1));
  for (let a = 0; a < 3; a++) {
    let t = center[a]! - origin[a]!;
    for (let k = 0; k < 3; k++) {
      const e = rot[3 * a + k]! * scale[k]!;
      m[4 * a + k] = e;
      t -= (e * (outShape[k]! - 1)) / 2;
    }
    m[4 * a + 3] = t;
  }
  return m;
}

function randomDisplacement(r: Rand, outShape: Vec3): ResampleDisplacement {
  const dims = vec(() => int(r, 1, 6));
  const n = 3 * dims[0] * dims[1] * dims[2];
  // A constant field moves every voxel by that constant, up to the rounding of the weighted sum
  // (whose order therefore shows): by half a voxel, nearest sampling then hits ties.
  const constant = r() < 0.3 ? vec(() => pick(r, [0.5, -0.5, 1.5, 0.25, 0])) : undefined;
  const list = Array.from({ length: n }, (_, i) => (constant ? constant[i % 3]! : (r() - 0.5) * 6));
  if (r() < 0.1) list[int(r, 0, n - 1)] = Number.NaN;
  const layout = r();
  const values = layout < 0.5 ? Float64Array.from(list) : layout < 0.8 ? Float32Array.from(list) : list;
  return {
    dims,
    step: vec((a) => (r() < 0.2 ? -1 : 1) * r() * (dims[a]! / Math.max(1, outShape[a]!)) * 1.5),
    start: vec((a) => (r() * 1.6 - 0.3) * dims[a]!),
    values,
  };
}

/** A seeded random dispatch: volume, chunking, cache, slot tables and samples. */
function randomCase(seed: number, options: { big?: boolean; kind?: StorageKind } = {}): Case {
  const g = rngFor(seed, "resample-identity");
  const r: Rand = () => g.next();
  const kind = options.kind ?? pick(r, KINDS);
  const vol = vec(() => (options.big ? int(r, 40, 90) : int(r, 1, 40)));
  const chunkShape = vec((a) => (options.big ? int(r, 8, 24) : int(r, 1, Math.min(12, vol[a]! + 2))));
  const grid = vec((a) => Math.ceil(vol[a]! / chunkShape[a]!));
  const words1 = slotWords(chunkShape, kind);
  const slotCount = grid[0] * grid[1] * grid[2] + int(r, 0, 3);
  const cache = randomCache(r, kind, slotCount * words1);
  const outShape = vec(() => (options.big ? int(r, 16, 32) : int(r, 1, 14)));
  const batch = int(r, 1, 3);
  const table: number[] = [];
  const samples: ResampleSample[] = [];
  for (let b = 0; b < batch; b++) {
    for (let i = int(r, 0, 2); i > 0; i--) table.push(int(r, 0, slotCount - 1));
    // Mostly a table over the whole chunk grid; else a random window (partly outside the grid, or empty).
    const whole = r() < 0.6;
    const chunkLo = vec((a) => (whole ? 0 : int(r, -1, Math.max(0, grid[a]! - 2))));
    const chunkDims = vec((a) => (whole ? grid[a]! : r() < 0.05 ? 0 : int(r, 1, grid[a]! + 1)));
    const tableOffset = table.length;
    for (let i = chunkDims[0] * chunkDims[1] * chunkDims[2]; i > 0; i--) {
      const u = r();
      table.push(u < 0.1 ? ABSENT_SLOT : u < 0.13 ? pick(r, [slotCount, slotCount + 7, 0xdeadbeef]) : int(r, 0, slotCount - 1));
    }
    // Far origins make the float64 rounding of origin + (matrix · j) matter (the matrix is relative to it).
    const far = r() < 0.4;
    const origin = vec(() => (far ? int(r, -200_000, 200_000) : int(r, -4, 4)));
    const sample: ResampleSample = { matrix: randomMatrix(r, outShape, vol, origin), origin, chunkLo, chunkDims, tableOffset };
    samples.push(r() < 0.35 ? { ...sample, displacement: randomDisplacement(r, outShape) } : sample);
  }
  // Sometimes the last table ends early: its missing entries read as absent.
  if (r() < 0.1 && table.length > 0) table.length = int(r, 0, table.length - 1);
  const params: ResampleParams = {
    outShape,
    batch,
    chunkShape,
    kind,
    volShape: vol,
    interp: r() < 0.5 ? "linear" : "nearest",
    pad: pick(r, [0, -0, Number.NaN, -1.5, 7]),
    fill: pick(r, [0, -0, Number.NaN, 3.25, -2]),
    slotWords: words1,
  };
  return { params, samples, table: Uint32Array.from(table), cache };
}

/** Index of the first value that differs (Object.is), or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function describe(c: Case): string {
  const p = c.params;
  const disp = c.samples.filter((s) => s.displacement).length;
  return `${p.kind} ${p.interp} vol ${p.volShape.join("x")} chunks ${p.chunkShape.join("x")} out ${p.outShape.join("x")} x${p.batch} (${disp} displaced), pad ${p.pad}, fill ${p.fill}`;
}

/** Run both implementations on `c`; return the old output after checking the new one equals it. */
function compare(seed: number, c: Case): Float32Array {
  const before = resampleReferenceV1(c.params, c.samples, c.table, c.cache);
  const after = resampleReference(c.params, c.samples, c.table, c.cache);
  const i = firstDifference(before, after);
  if (i >= 0) {
    throw new Error(`case ${seed} (${describe(c)}): output ${i} is ${after[i]}, the previous twin gave ${before[i]}`);
  }
  return before;
}

/** The test bodies, one per title. */
export const resampleIdentityCases = {
  /** 400 random dispatches give bit-identical output to the previous twin, every kind, linear and nearest, displaced or not. */
  "400 random dispatches give bit-identical output to the previous twin, every kind, linear and nearest, displaced or not"(): string {
    // What the cases reached, so that the comparison cannot pass on outputs that are all pad.
    const seen = { pad: 0, fill: 0, other: 0, nan: 0, negativeZero: 0, displaced: 0, kinds: new Set<string>() };
    for (let seed = 0; seed < 400; seed++) {
      const c = randomCase(seed);
      const out = compare(seed, c);
      seen.kinds.add(`${c.params.kind} ${c.params.interp}`);
      seen.displaced += c.samples.filter((s) => s.displacement).length;
      for (const v of out) {
        if (Object.is(v, -0)) seen.negativeZero++;
        if (Number.isNaN(v)) seen.nan++;
        if (Object.is(v, Math.fround(c.params.pad))) seen.pad++;
        else if (Object.is(v, Math.fround(c.params.fill))) seen.fill++;
        else seen.other++;
      }
    }
    check(seen.kinds.size === 2 * KINDS.length, `cases reached ${seen.kinds.size} kind and interpolation pairs of ${2 * KINDS.length}`);
    check(seen.displaced > 50, `only ${seen.displaced} displaced samples`);
    for (const k of ["pad", "fill", "other"] as const) check(seen[k] > 10_000, `only ${seen[k]} ${k} outputs`);
    for (const k of ["nan", "negativeZero"] as const) check(seen[k] > 100, `only ${seen[k]} ${k} outputs`);
    return `${seen.other} blended or read, ${seen.pad} pad, ${seen.fill} fill, ${seen.nan} NaN, ${seen.negativeZero} -0 outputs identical`;
  },

  /** Larger volumes crossing many chunks give bit-identical output, every kind. */
  "larger volumes crossing many chunks give bit-identical output, every kind"(): void {
    for (const [i, kind] of KINDS.entries()) {
      for (let k = 0; k < 3; k++) compare(10_000 + 10 * i + k, randomCase(10_000 + 10 * i + k, { big: true, kind }));
    }
  },

  /** The comparison notices changed pad and fill values. */
  "the comparison notices changed pad and fill values"(): void {
    const c = randomCase(7, { big: true, kind: "f32" });
    const before = resampleReferenceV1(c.params, c.samples, c.table, c.cache);
    const params = { ...c.params, pad: 1234.5, fill: 4321.5 };
    check(firstDifference(before, resampleReference(params, c.samples, c.table, c.cache)) >= 0, "other pad and fill values went unnoticed");
    check(firstDifference(before, resampleReference(c.params, c.samples, c.table, c.cache)) === -1, "the same inputs differ");
  },

  /** A missing sample raises RangeError like before. */
  "a missing sample raises RangeError like before"(): void {
    const c = randomCase(3);
    const params = { ...c.params, batch: c.params.batch + 1 };
    throwsRangeError(() => resampleReferenceV1(params, c.samples, c.table, c.cache), "the previous twin");
    throwsRangeError(() => resampleReference(params, c.samples, c.table, c.cache), "the twin");
  },
} satisfies Cases;
