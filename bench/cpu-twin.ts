/**
 * The CPU resample twin (`src/kernels/resample/twin.ts`) against its previous implementation
 * (`test/setup/resample-reference-v1.ts`), side by side in one process on the same inputs: a
 * warm chunk cache of a uint8 volume in 64³ chunks, figure 2's cases (linear and nearest, random
 * rotation, mirror and transpose about the volume's middle) plus one elastically deformed case,
 * and unaugmented or 90°-rotated cases whose source voxels are exact (signed axis permutations:
 * the current twin copies them), also timed on the current twin's general path (`fastPaths:
 * false`). The paths run alternately in every repeat; each row is the median of the repeats after
 * warm-up, and the ratios are previous / current and general / current time (above 1: the current
 * twin is faster). Every run also checks that all give the same output (Object.is per value).
 *
 *     node bench/cpu-twin.mjs [--quick]      # or: npx deno run -A --no-lock --cached-only bench/cpu-twin.ts [--quick]
 * @module
 */
import { packChunk, slotWords } from "../src/kernels/chunks/contract.ts";
import type { ResampleParams, ResampleSample, Vec3 } from "../src/kernels/resample/contract.ts";
import { resampleReference } from "../src/kernels/resample/twin.ts";
import { resampleReferenceV1 } from "../test/setup/resample-reference-v1.ts";
import { createRng, randomAugment } from "./lib/rng.ts";
import { summarize } from "./lib/stats.ts";

interface TwinCase {
  name: string;
  params: ResampleParams;
  samples: ResampleSample[];
  table: Uint32Array;
  cache: Uint32Array;
}

const CHUNK = 64;

/** A uint8 volume of `grid`³ chunks of 64³, packed into cache slots in shuffled order. */
function cachedVolume(rand: () => number, grid: number): { cache: Uint32Array; table: Uint32Array; words: number } {
  const chunks = grid ** 3;
  const words = slotWords([CHUNK, CHUNK, CHUNK], "u8");
  const cache = new Uint32Array(chunks * words);
  const order = Array.from({ length: chunks }, (_, i) => i);
  for (let i = chunks - 1; i > 0; i--) {
    const k = Math.floor(rand() * (i + 1));
    [order[i], order[k]] = [order[k]!, order[i]!];
  }
  const data = new Uint8Array(CHUNK ** 3);
  for (let c = 0; c < chunks; c++) {
    for (let i = 0; i < data.length; i++) data[i] = (rand() * 256) | 0;
    cache.set(packChunk(data, "u8"), order[c]! * words);
  }
  return { cache, table: Uint32Array.from(order), words };
}

/** Figure 2's samples: `batch` outputs of n³ at the volume's voxel size, augmented about the middle. */
function twinCase(rand: () => number, vol: ReturnType<typeof cachedVolume>, grid: number, interp: "linear" | "nearest", n: number, batch: number, deform: boolean, permuted = false): TwinCase {
  const size = grid * CHUNK;
  const samples: ResampleSample[] = [];
  for (let b = 0; b < batch; b++) {
    // Permuted: a signed axis permutation about a center that puts every output voxel on a source voxel.
    const a = permuted ? signedPermutation(rand) : randomAugment(rand);
    const center = [0, 1, 2].map(() => (permuted ? size / 2 + Math.round((rand() * 2 - 1) * 8) + ((n - 1) % 2) / 2 : size / 2 + (rand() * 2 - 1) * 8));
    const matrix = new Float64Array(12);
    for (let r = 0; r < 3; r++) {
      let t = center[r]!;
      for (let k = 0; k < 3; k++) {
        matrix[4 * r + k] = a[3 * r + k]!;
        t -= (a[3 * r + k]! * (n - 1)) / 2;
      }
      matrix[4 * r + 3] = t;
    }
    const sample: ResampleSample = { matrix, origin: [0, 0, 0], chunkLo: [0, 0, 0], chunkDims: [grid, grid, grid], tableOffset: 0 };
    if (!deform) {
      samples.push(sample);
      continue;
    }
    const dims: Vec3 = [6, 6, 6];
    const values = new Float64Array(3 * 216).map(() => (rand() * 2 - 1) * 3);
    samples.push({ ...sample, displacement: { dims, step: [3 / n, 3 / n, 3 / n], start: [1, 1, 1], values } });
  }
  const params: ResampleParams = {
    outShape: [n, n, n],
    batch,
    chunkShape: [CHUNK, CHUNK, CHUNK],
    kind: "u8",
    volShape: [size, size, size],
    interp,
    pad: 0,
    fill: 0,
    slotWords: vol.words,
  };
  return { name: `${interp} ${n}³ x${batch}${deform ? " deformed" : permuted ? " permuted" : ""}`, params, samples, table: vol.table, cache: vol.cache };
}

/** A random signed axis permutation (identity, mirrors, transposes, 90° rotations), row-major 3x3. */
function signedPermutation(rand: () => number): number[] {
  const perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  const p = perms[Math.floor(rand() * 6)]!;
  const m = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) m[3 * r + p[r]!] = rand() < 0.5 ? -1 : 1;
  return m;
}

function same(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** Time the previous twin, the current one's general path and the current one on `c`, alternating; ms per run of each. */
function timeAll(c: TwinCase, warmup: number, repeats: number): { v1: number[]; general: number[]; now: number[] } {
  const v1: number[] = [];
  const general: number[] = [];
  const now: number[] = [];
  for (let i = 0; i < warmup + repeats; i++) {
    const t0 = performance.now();
    const a = resampleReferenceV1(c.params, c.samples, c.table, c.cache);
    const t1 = performance.now();
    const g = resampleReference(c.params, c.samples, c.table, c.cache, { fastPaths: false });
    const t2 = performance.now();
    const b = resampleReference(c.params, c.samples, c.table, c.cache);
    const t3 = performance.now();
    if (!same(a, b) || !same(g, b)) throw new Error(`${c.name}: the twins differ`);
    if (i >= warmup) {
      v1.push(t1 - t0);
      general.push(t2 - t1);
      now.push(t3 - t2);
    }
  }
  return { v1, general, now };
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

function main(args: readonly string[]): void {
  const quick = args.includes("--quick");
  const rand = createRng(2);
  const grid = 4; // 256³ voxels, 64 chunks: every case's box fits
  const vol = cachedVolume(rand, grid);
  const sizes = quick ? [{ n: 64, batch: 2 }, { n: 128, batch: 1 }] : [{ n: 64, batch: 8 }, { n: 128, batch: 2 }];
  const cases: TwinCase[] = [];
  for (const interp of ["linear", "nearest"] as const) for (const { n, batch } of sizes) cases.push(twinCase(rand, vol, grid, interp, n, batch, false));
  cases.push(twinCase(rand, vol, grid, "linear", 64, quick ? 1 : 2, true));
  for (const interp of ["linear", "nearest"] as const) for (const { n, batch } of sizes) cases.push(twinCase(rand, vol, grid, interp, n, batch, false, true));
  const warmup = 1;
  const repeats = quick ? 3 : 5;
  console.log(`CPU resample twin, previous vs current, same process and inputs (${quick ? "quick" : "full"}; median of ${repeats} after ${warmup} warm-up)`);
  console.log(["case", "previous Mvox/s", "general path Mvox/s", "current Mvox/s", "vs previous (median)", "[min - max] of per-run ratios", "vs general path", "identical"].join("\t"));
  for (const c of cases) {
    const voxels = c.params.batch * c.params.outShape[0] * c.params.outShape[1] * c.params.outShape[2];
    const { v1, general, now } = timeAll(c, warmup, repeats);
    const a = summarize(v1), g = summarize(general), b = summarize(now);
    const ratios = summarize(v1.map((t, i) => t / now[i]!));
    const mvox = (ms: number) => voxels / 1e3 / ms;
    console.log([c.name, fmt(mvox(a.median)), fmt(mvox(g.median)), fmt(mvox(b.median)), `${fmt(a.median / b.median)}x`, `[${fmt(ratios.min)} - ${fmt(ratios.max)}]`, `${fmt(g.median / b.median)}x`, "yes"].join("\t"));
  }
}

const argv = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? (globalThis as { process?: { argv: string[] } }).process?.argv.slice(2) ?? [];
main(argv);
