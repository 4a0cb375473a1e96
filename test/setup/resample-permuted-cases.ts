// Shared bodies of the CPU resample twin's fast-path test, run in Node, Deno and Chromium from the case registry (test/setup/cases.ts).
// A sample whose affine is a signed axis permutation with integer offsets is copied instead of
// interpolated (src/kernels/resample/twin-permuted.ts); these cases pin every such copy to the general
// path (`fastPaths: false`) and to the frozen previous twin (test/setup/resample-reference-v1.ts),
// value for value (Object.is: NaN and the sign of zero included). The random cases cover all 48
// signed permutations, every storage kind with arbitrary word contents (f32 NaN, infinities, -0),
// linear and nearest, boxes crossing chunk and volume borders (and boxes wholly outside), far
// origins, absent chunks, slots past the cache, windows of the chunk grid, short tables, and NaN
// and -0 pad and fill values. Plain synchronous functions that throw on failure.

import { rngFor } from "../../src/augment/rng.ts";
import { slotWords, STORAGE_KINDS, type StorageKind } from "../../src/kernels/chunks/contract.ts";
import { ABSENT_SLOT, type ResampleParams, type ResampleSample, sampleAxisPermutation, type Vec3 } from "../../src/kernels/resample/contract.ts";
import { resampleReference } from "../../src/kernels/resample/twin.ts";
import { resampleReferenceV1 } from "./resample-reference-v1.ts";
import { check } from "./assert.ts";
import type { Cases } from "./cases.ts";

const KINDS = Object.keys(STORAGE_KINDS) as StorageKind[];
const PERMUTATIONS = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] as const;

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

/** Cache words: arbitrary bits (f32 NaN, infinities, -0), or small values of the kind. */
function randomCache(r: Rand, kind: StorageKind, words: number): Uint32Array {
  const cache = new Uint32Array(words);
  if (r() < 0.4) {
    for (let i = 0; i < words; i++) cache[i] = (r() * 0x100000000) >>> 0;
    return cache;
  }
  const bytes = STORAGE_KINDS[kind].bytes;
  const n = (words * 4) / bytes;
  const view = kind === "f32" ? new Float32Array(cache.buffer) : bytes === 1 ? new Uint8Array(cache.buffer) : bytes === 2 ? new Uint16Array(cache.buffer) : cache;
  for (let i = 0; i < n; i++) {
    view[i] = kind === "f32" ? pick(r, [(r() - 0.5) * 200, (r() - 0.5) * 200, -0, 0, Number.NaN, Infinity]) : int(r, 0, 2 ** (8 * bytes) - 1);
  }
  return cache;
}

/** The 3x4 matrix of a signed permutation: source axis `a` reads `sign[a] * j[from[a]] + t[a]`. */
function permutationMatrix(from: readonly number[], sign: readonly number[], t: readonly number[]): Float64Array {
  const m = new Float64Array(12);
  for (let a = 0; a < 3; a++) {
    m[4 * a + from[a]!] = sign[a]!;
    m[4 * a + 3] = t[a]!;
  }
  return m;
}

/**
 * A seeded random dispatch whose samples are all signed permutations with integer offsets, placed
 * so that most boxes lie inside the volume, many cross its borders and a few miss it.
 */
function randomCase(seed: number, options: { kind?: StorageKind; interp?: "linear" | "nearest"; big?: boolean } = {}): Case {
  const g = rngFor(seed, "resample-permuted");
  const r: Rand = () => g.next();
  const kind = options.kind ?? pick(r, KINDS);
  const vol = vec(() => (options.big ? int(r, 40, 90) : int(r, 1, 30)));
  const chunkShape = vec((a) => (options.big ? int(r, 8, 24) : int(r, 1, Math.min(12, vol[a]! + 2))));
  const grid = vec((a) => Math.ceil(vol[a]! / chunkShape[a]!));
  const words1 = slotWords(chunkShape, kind);
  const slotCount = grid[0] * grid[1] * grid[2] + int(r, 0, 3);
  const cache = randomCache(r, kind, slotCount * words1);
  const outShape = vec(() => (options.big ? int(r, 16, 40) : int(r, 1, 16)));
  const batch = int(r, 1, 4);
  const table: number[] = [];
  const samples: ResampleSample[] = [];
  for (let b = 0; b < batch; b++) {
    for (let i = int(r, 0, 2); i > 0; i--) table.push(int(r, 0, slotCount - 1));
    const whole = r() < 0.7;
    const chunkLo = vec((a) => (whole ? 0 : int(r, -1, Math.max(0, grid[a]! - 2))));
    const chunkDims = vec((a) => (whole ? grid[a]! : r() < 0.05 ? 0 : int(r, 1, grid[a]! + 1)));
    const tableOffset = table.length;
    for (let i = chunkDims[0] * chunkDims[1] * chunkDims[2]; i > 0; i--) {
      const u = r();
      table.push(u < 0.1 ? ABSENT_SLOT : u < 0.13 ? pick(r, [slotCount, slotCount + 7, 0xdeadbeef]) : int(r, 0, slotCount - 1));
    }
    const from = pick(r, PERMUTATIONS);
    const sign = vec(() => (r() < 0.5 ? -1 : 1));
    // Where the box's first voxel lands, per source axis: mostly inside, sometimes over a border.
    const first = vec((a) => {
      const n = outShape[from[a]!]!;
      const span = sign[a]! > 0 ? [0, vol[a]! - n] : [n - 1, vol[a]! - 1];
      return r() < 0.85 ? int(r, Math.min(span[0]!, span[1]!), Math.max(span[0]!, span[1]!)) : int(r, -n - 2, vol[a]! + 2);
    });
    // Far origins: the matrix is relative to the origin, and the sums are exact integers either way.
    const far = r() < 0.3;
    const origin = vec(() => (far ? int(r, -200_000, 200_000) : int(r, -4, 4)));
    const matrix = permutationMatrix(from, sign, vec((a) => first[a]! - origin[a]!));
    samples.push({ matrix, origin, chunkLo, chunkDims, tableOffset });
  }
  if (r() < 0.1 && table.length > 0) table.length = int(r, 0, table.length - 1);
  const params: ResampleParams = {
    outShape,
    batch,
    chunkShape,
    kind,
    volShape: vol,
    interp: options.interp ?? (r() < 0.5 ? "linear" : "nearest"),
    pad: pick(r, [0, -0, Number.NaN, -1.5, 7]),
    fill: pick(r, [0, -0, Number.NaN, 3.25, -2, Infinity]),
    slotWords: words1,
  };
  return { params, samples, table: Uint32Array.from(table), cache };
}

function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/** A number as written, -0 included. */
const show = (v: number | undefined): string => (Object.is(v, -0) ? "-0" : String(v));

function describe(c: Case): string {
  const p = c.params;
  return `${p.kind} ${p.interp} vol ${p.volShape.join("x")} chunks ${p.chunkShape.join("x")} out ${p.outShape.join("x")} x${p.batch}, pad ${show(p.pad)}, fill ${show(p.fill)}`;
}

/** The fast path's output, after checking that it equals the general path's and the previous twin's. */
function compare(what: string, c: Case): Float32Array {
  const fast = resampleReference(c.params, c.samples, c.table, c.cache);
  const general = resampleReference(c.params, c.samples, c.table, c.cache, { fastPaths: false });
  const v1 = resampleReferenceV1(c.params, c.samples, c.table, c.cache);
  for (const [name, other] of [["the general path", general], ["the previous twin", v1]] as const) {
    const i = firstDifference(fast, other);
    if (i >= 0) throw new Error(`${what} (${describe(c)}): output ${i} is ${show(fast[i])}, ${name} gave ${show(other[i])}`);
  }
  return fast;
}

/** A dispatch of one sample over a 20x18x22 u8 volume of 5x4x6 chunks, every chunk present. */
function namedCase(matrix: Float64Array, interp: "linear" | "nearest"): Case {
  const vol: Vec3 = [20, 18, 22];
  const chunkShape: Vec3 = [5, 4, 6];
  const grid = vec((a) => Math.ceil(vol[a]! / chunkShape[a]!));
  const chunks = grid[0] * grid[1] * grid[2];
  const words = slotWords(chunkShape, "u8");
  const cache = new Uint32Array(chunks * words);
  new Uint8Array(cache.buffer).forEach((_, i, a) => (a[i] = (i * 37) % 251));
  const table = Uint32Array.from({ length: chunks }, (_, i) => (i * 7) % chunks);
  const params: ResampleParams = { outShape: [8, 10, 12], batch: 1, chunkShape, kind: "u8", volShape: vol, interp, pad: -1, fill: 0, slotWords: words };
  return { params, samples: [{ matrix, origin: [3, -2, 5], chunkLo: [0, 0, 0], chunkDims: grid, tableOffset: 0 }], table, cache };
}

/** The test bodies, one per title. */
export const resamplePermutedCases = {
  /** 600 random signed permutations give the general path's bits, every kind, linear and nearest. */
  "600 random signed permutations give the general path's bits, every kind, linear and nearest"(): string {
    const seen = { pad: 0, fill: 0, other: 0, nan: 0, negativeZero: 0, samples: 0, kinds: new Set<string>(), perms: new Set<string>() };
    for (let seed = 0; seed < 600; seed++) {
      const c = randomCase(seed);
      for (const s of c.samples) {
        const p = sampleAxisPermutation(s);
        check(p !== undefined, `case ${seed}: a signed permutation was not recognised`);
        seen.perms.add(`${p.from} ${p.sign}`);
        seen.samples++;
      }
      const out = compare(`case ${seed}`, c);
      seen.kinds.add(`${c.params.kind} ${c.params.interp}`);
      for (const v of out) {
        if (Object.is(v, -0)) seen.negativeZero++;
        if (Number.isNaN(v)) seen.nan++;
        if (Object.is(v, Math.fround(c.params.pad))) seen.pad++;
        else if (Object.is(v, Math.fround(c.params.fill))) seen.fill++;
        else seen.other++;
      }
    }
    check(seen.kinds.size === 2 * KINDS.length, `cases reached ${seen.kinds.size} kind and interpolation pairs of ${2 * KINDS.length}`);
    check(seen.perms.size === 48, `cases reached ${seen.perms.size} of the 48 signed permutations`);
    for (const k of ["pad", "fill", "other"] as const) check(seen[k] > 10_000, `only ${seen[k]} ${k} outputs`);
    for (const k of ["nan", "negativeZero"] as const) check(seen[k] > 100, `only ${seen[k]} ${k} outputs`);
    return `${seen.samples} permuted samples: ${seen.other} copied, ${seen.pad} pad, ${seen.fill} fill, ${seen.nan} NaN, ${seen.negativeZero} -0 outputs identical`;
  },

  /** Larger volumes crossing many chunks give the general path's bits, every kind, both interpolations. */
  "larger permuted volumes crossing many chunks give the general path's bits"(): void {
    for (const [i, kind] of KINDS.entries()) {
      for (const interp of ["linear", "nearest"] as const) {
        for (let k = 0; k < 2; k++) {
          const seed = 20_000 + 100 * i + 10 * k + (interp === "linear" ? 0 : 1);
          compare(`case ${seed}`, randomCase(seed, { big: true, kind, interp }));
        }
      }
    }
  },

  /** Identity, mirrors, transposes and 90° rotations are copies of the source. */
  "identity, mirrors, transposes and 90° rotations are copies of the source"(): void {
    const named: Record<string, Float64Array> = {
      identity: permutationMatrix([0, 1, 2], [1, 1, 1], [2, 3, 1]),
      "mirror x": permutationMatrix([0, 1, 2], [1, 1, -1], [2, 3, 14]),
      "mirror z, y, x": permutationMatrix([0, 1, 2], [-1, -1, -1], [9, 12, 14]),
      "transpose y, x": permutationMatrix([0, 2, 1], [1, 1, 1], [2, 0, 1]),
      "rotate 90° about z": permutationMatrix([0, 2, 1], [1, -1, 1], [2, 13, 1]),
      "rotate 180° about z": permutationMatrix([0, 1, 2], [1, -1, -1], [2, 12, 14]),
      "rotate 270° about y": permutationMatrix([2, 1, 0], [-1, 1, 1], [14, 3, 1]),
      "box over every border": permutationMatrix([1, 2, 0], [-1, 1, -1], [22, -8, 3]),
    };
    for (const [name, matrix] of Object.entries(named)) {
      for (const interp of ["linear", "nearest"] as const) {
        const c = namedCase(matrix, interp);
        check(sampleAxisPermutation(c.samples[0]!) !== undefined, `${name}: not recognised as a signed permutation`);
        const out = compare(`${name}, ${interp}`, c);
        // The copy reads voxel i = origin + matrix · j: check one voxel inside against the cache.
        const inside = out.some((v) => v !== -1);
        check(inside || name === "box over every border", `${name}: every output is pad`);
      }
    }
    // Written into a larger array at an offset: the same values, nothing around them touched.
    const c0 = namedCase(named["rotate 90° about z"]!, "linear");
    const alone = resampleReference(c0.params, c0.samples, c0.table, c0.cache);
    const big = new Float32Array(alone.length + 10).fill(42);
    const view = resampleReference(c0.params, c0.samples, c0.table, c0.cache, { out: big, outOffset: 3 });
    check(view.length === alone.length && view.byteOffset === 12 && firstDifference(view, alone) === -1, "the output written at an offset differs");
    check(big.slice(0, 3).every((v) => v === 42) && big.slice(3 + alone.length).every((v) => v === 42), "writing at an offset touched other values");
    // The identity at its own origin copies the volume's first voxels in order.
    const c = namedCase(permutationMatrix([0, 1, 2], [1, 1, 1], [-3, 2, -5]), "nearest");
    const out = resampleReference(c.params, c.samples, c.table, c.cache);
    const bytes = new Uint8Array(c.cache.buffer);
    const slot = c.table[0]!;
    for (let x = 0; x < 6; x++) check(out[x] === bytes[slot * c.params.slotWords * 4 + x], `identity: output x=${x} is ${out[x]}, the source voxel ${bytes[slot * c.params.slotWords * 4 + x]}`);
  },

  /** A matrix 1e-9 off a permutation, a fractional offset, a scale or a displacement takes the general path. */
  "a matrix 1e-9 off a permutation, a fractional offset, a scale or a displacement takes the general path"(): void {
    const exact = permutationMatrix([0, 2, 1], [1, -1, 1], [-3, 11, -5]);
    const misses: Record<string, Float64Array> = {};
    for (const k of [1, 3, 6, 7, 8, 11]) {
      const m = exact.slice();
      m[k] = m[k]! + (k === 3 || k === 7 || k === 11 ? -1e-9 : 1e-9);
      misses[`entry ${k} 1e-9 off`] = m;
    }
    misses["half-voxel offset"] = permutationMatrix([0, 2, 1], [1, -1, 1], [-3, 10.5, -5]);
    misses["scale 2"] = permutationMatrix([0, 2, 1], [2, -1, 1], [-3, 11, -5]);
    misses["a repeated axis"] = permutationMatrix([0, 2, 2], [1, -1, 1], [-3, 11, -5]);
    for (const [name, matrix] of Object.entries(misses)) {
      for (const interp of ["linear", "nearest"] as const) {
        const c = namedCase(matrix, interp);
        check(sampleAxisPermutation(c.samples[0]!) === undefined, `${name}: taken for a signed permutation`);
        compare(`${name}, ${interp}`, c);
      }
    }
    const base = namedCase(exact, "linear");
    check(sampleAxisPermutation(base.samples[0]!) !== undefined, "the exact permutation was not recognised");
    check(sampleAxisPermutation({ ...base.samples[0]!, origin: [3, -2.5, 5] }) === undefined, "a fractional origin was taken for a permutation");
    const displaced = { ...base.samples[0]!, displacement: { dims: [1, 1, 1] as Vec3, step: [0, 0, 0] as Vec3, start: [0, 0, 0] as Vec3, values: [0, 0, 0] } };
    check(sampleAxisPermutation(displaced) === undefined, "a displaced sample was taken for a permutation");
    // Observable: 1e-9 before the volume's first voxel, trilinear pads where a copy would read voxel 0.
    const edge = namedCase(permutationMatrix([0, 1, 2], [1, 1, 1], [-3, 2, -5 - 1e-9]), "linear");
    const out = resampleReference(edge.params, edge.samples, edge.table, edge.cache);
    check(out[0] === -1, `1e-9 outside the volume gave ${out[0]}, expected the pad value`);
  },

  /** Trilinear copies where a neighbour of weight 0 is NaN or infinite, or the voxel is -0, keep the general path's bits. */
  "trilinear copies next to NaN, infinite or -0 values keep the general path's bits"(): void {
    let nan = 0, negativeZero = 0;
    for (let seed = 0; seed < 40; seed++) {
      const c = randomCase(30_000 + seed, { kind: "f32", interp: "linear" });
      const f = new Float32Array(c.cache.buffer);
      for (let i = 0; i < f.length; i += 3) f[i] = i % 2 ? Number.NaN : -0;
      const out = compare(`f32 case ${seed}`, c);
      for (const v of out) {
        if (Number.isNaN(v)) nan++;
        if (Object.is(v, -0)) negativeZero++;
      }
      // Integer kinds with a NaN, infinite or -0 fill blend it in like the general path.
      for (const fill of [Number.NaN, -0, -Infinity]) {
        const d = randomCase(31_000 + seed, { kind: "i16", interp: "linear" });
        compare(`i16 case ${seed}, fill ${fill}`, { ...d, params: { ...d.params, fill } });
      }
    }
    check(nan > 1000 && negativeZero > 100, `only ${nan} NaN and ${negativeZero} -0 outputs`);
  },
} satisfies Cases;
