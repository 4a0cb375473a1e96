// Shared bodies of the CPU executor's tests, run in Node and Deno from the case registry
// (test/setup/cases.ts); Chromium runs the two that hold where the page cannot share memory (the
// vitest page is not cross-origin isolated, so the executor falls back and says why). The executor's
// sample workers resample slabs of a dispatch out of a chunk cache in shared memory
// (src/engine/); these cases hold every dispatch to the CPU twin run whole on the calling thread,
// value for value (Object.is: NaN and the sign of zero included), on random dispatches: general
// affines (rotations, scales, shears), signed permutations with integer offsets (the copy fast
// path), displacement fields, linear and nearest, every storage kind with arbitrary words, NaN,
// -0 and finite pad and fill values, absent chunks and short tables; and with 1, 2 and 3 workers,
// into shared and unshared outputs at an offset. Plain async functions that throw on failure.

import { rngFor } from "../../src/augment/rng.ts";
import { slotWords, STORAGE_KINDS, type StorageKind } from "../../src/kernels/chunks/contract.ts";
import { CpuExecutor, openCpuExecutor } from "../../src/engine/cpu-executor.ts";
import { sharedMemory } from "../../src/engine/shared-memory.ts";
import { isCellMapError } from "../../src/errors.ts";
import { ABSENT_SLOT, type ResampleParams, type ResampleSample, type Vec3 } from "../../src/kernels/resample/contract.ts";
import { resampleReference } from "../../src/kernels/resample/twin.ts";
import { check } from "./assert.ts";
import { CellMapDataLoader } from "../../src/dataset/dataloader.ts";
import { CellMapDataset, type CellMapDatasetOptions } from "../../src/dataset/dataset.ts";
import { buildFixture, SCALE } from "./dataset-fixture.ts";

const KINDS = Object.keys(STORAGE_KINDS) as StorageKind[];
const PERMUTATIONS = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] as const;

interface Case {
  params: ResampleParams;
  samples: ResampleSample[];
  table: Uint32Array;
  /** Cache words, not shared: each run copies them into the executor's shared memory. */
  cache: Uint32Array;
  what: string;
}

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
const vec = (f: (a: number) => number): Vec3 => [f(0), f(1), f(2)];
const show = (v: number | undefined): string => (Object.is(v, -0) ? "-0" : String(v));

function randomCache(r: Rand, kind: StorageKind, words: number): Uint32Array {
  const cache = new Uint32Array(words);
  if (r() < 0.4) {
    for (let i = 0; i < words; i++) cache[i] = (r() * 0x100000000) >>> 0;
    return cache;
  }
  const bytes = STORAGE_KINDS[kind].bytes;
  const view = kind === "f32" ? new Float32Array(cache.buffer) : bytes === 1 ? new Uint8Array(cache.buffer) : bytes === 2 ? new Uint16Array(cache.buffer) : cache;
  for (let i = 0; i < view.length; i++) {
    view[i] = kind === "f32" ? pick(r, [(r() - 0.5) * 200, (r() - 0.5) * 200, -0, 0, Number.NaN]) : int(r, 0, 2 ** (8 * bytes) - 1);
  }
  return cache;
}

/** A random 3x4 matrix: a signed permutation with integer offsets (fast path), or a general affine. */
function randomMatrix(r: Rand, out: Vec3, vol: Vec3, permuted: boolean): { matrix: Float64Array; origin: Vec3 } {
  const m = new Float64Array(12);
  const origin = vec(() => int(r, -3, 3));
  if (permuted) {
    const from = pick(r, PERMUTATIONS);
    for (let a = 0; a < 3; a++) {
      const sign = r() < 0.5 ? -1 : 1;
      m[4 * a + from[a]!] = sign;
      const n = out[from[a]!]!;
      const first = sign > 0 ? int(r, -2, Math.max(-2, vol[a]! - n + 2)) : int(r, n - 3, vol[a]! + 1);
      m[4 * a + 3] = first - origin[a]!;
    }
  } else {
    for (let a = 0; a < 3; a++) {
      for (let k = 0; k < 3; k++) m[4 * a + k] = (r() - 0.5) * 2.2;
      m[4 * a + 3] = r() * vol[a]! - origin[a]!;
    }
  }
  return { matrix: m, origin };
}

function randomCase(seed: number): Case {
  const g = rngFor(seed, "cpu-executor");
  const r: Rand = () => g.next();
  const kind = pick(r, KINDS);
  const vol = vec(() => int(r, 1, 28));
  const chunkShape = vec((a) => int(r, 1, Math.min(10, vol[a]! + 2)));
  const grid = vec((a) => Math.ceil(vol[a]! / chunkShape[a]!));
  const words = slotWords(chunkShape, kind);
  const slotCount = grid[0] * grid[1] * grid[2] + int(r, 0, 2);
  const cache = randomCache(r, kind, slotCount * words);
  const outShape = vec(() => int(r, 1, 14));
  const batch = int(r, 1, 4);
  const table: number[] = [];
  const samples: ResampleSample[] = [];
  let kinds = "";
  for (let b = 0; b < batch; b++) {
    const whole = r() < 0.8;
    const chunkLo = vec((a) => (whole ? 0 : int(r, -1, Math.max(0, grid[a]! - 2))));
    const chunkDims = vec((a) => (whole ? grid[a]! : int(r, 1, grid[a]! + 1)));
    const tableOffset = table.length;
    for (let i = chunkDims[0] * chunkDims[1] * chunkDims[2]; i > 0; i--) table.push(r() < 0.1 ? ABSENT_SLOT : int(r, 0, slotCount - 1));
    const u = r();
    const { matrix, origin } = randomMatrix(r, outShape, vol, u < 0.45);
    const sample: ResampleSample = { matrix, origin, chunkLo, chunkDims, tableOffset };
    if (u > 0.8) {
      const dims = vec(() => int(r, 1, 4));
      const values = Array.from({ length: dims[0] * dims[1] * dims[2] * 3 }, () => (r() - 0.5) * 3);
      samples.push({ ...sample, displacement: { dims, step: vec((a) => (dims[a]! - 1) / Math.max(1, outShape[a]! - 1)), start: [0, 0, 0], values } });
      kinds += "d";
    } else {
      samples.push(sample);
      kinds += u < 0.45 ? "p" : "g";
    }
  }
  const params: ResampleParams = {
    outShape,
    batch,
    chunkShape,
    kind,
    volShape: vol,
    interp: r() < 0.5 ? "linear" : "nearest",
    pad: pick(r, [0, -0, Number.NaN, -1.5, 7]),
    fill: pick(r, [0, -0, Number.NaN, 3.25, -2]),
    slotWords: words,
  };
  const what = `seed ${seed}: ${kind} ${params.interp} vol ${vol.join("x")} chunks ${chunkShape.join("x")} out ${outShape.join("x")} x${batch} (${kinds}), pad ${show(params.pad)}, fill ${show(params.fill)}`;
  return { params, samples, table: Uint32Array.from(table), cache, what };
}

function sameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  check(actual.length === expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) throw new Error(`${what}: output ${i} is ${show(actual[i])}, the twin on the calling thread gave ${show(expected[i])}`);
  }
}

/** Run a case in the executor, into an output of its own kind (shared or not) at an offset. */
async function runIn(exec: CpuExecutor, c: Case, sharedOut: boolean, offset: number): Promise<Float32Array> {
  const n = c.params.batch * c.params.outShape[0] * c.params.outShape[1] * c.params.outShape[2];
  const cache = exec.allocateWords(c.cache.length);
  cache.set(c.cache);
  const out = sharedOut ? new Float32Array(new SharedArrayBuffer((n + offset + 3) * 4)) : new Float32Array(n + offset + 3);
  out.fill(-123);
  await exec.resample(c.params, c.samples, c.table, cache, out, offset, { inlineBelow: 0 });
  for (const i of [...Array(offset).keys(), n + offset, n + offset + 1, n + offset + 2]) check(out[i] === -123, `the executor wrote outside its output at ${i}`);
  return out.slice(offset, offset + n);
}

/**
 * Run a case in the executor with its samples `stride` values apart (more than a sample) from
 * `offset`: returns them back to back, and checks that nothing between or around was written.
 */
async function runStrided(exec: CpuExecutor, c: Case, sharedOut: boolean, offset: number, gap: number): Promise<Float32Array> {
  const per = c.params.outShape[0] * c.params.outShape[1] * c.params.outShape[2];
  const stride = per + gap;
  const B = c.params.batch;
  const cache = exec.allocateWords(c.cache.length);
  cache.set(c.cache);
  const len = offset + (B - 1) * stride + per + 2;
  const out = sharedOut ? new Float32Array(new SharedArrayBuffer(len * 4)) : new Float32Array(len);
  out.fill(-123);
  await exec.resample(c.params, c.samples, c.table, cache, out, offset, { inlineBelow: 0, outStride: stride });
  const got = new Float32Array(B * per);
  for (let b = 0; b < B; b++) got.set(out.subarray(offset + b * stride, offset + b * stride + per), b * per);
  for (let i = 0; i < len; i++) {
    const r = i - offset;
    const inside = r >= 0 && r % stride < per && Math.floor(r / stride) < B;
    if (!inside) check(out[i] === -123, `the executor wrote outside its samples at ${i} (stride ${stride}, offset ${offset})`);
  }
  return got;
}

/** Loader batches of a CPU dataset (rotations, mirrors, deformation, both interpolations) with `cpuWorkers`. */
async function datasetBatches(cpuWorkers: number | undefined, extra: Partial<CellMapDatasetOptions<"raw", "gt">> = {}): Promise<{ arrays: Float32Array[]; executor: string }> {
  const fx = await buildFixture(2);
  const ds = await CellMapDataset.open<"raw", "gt">({
    ...extra,
    inputPath: fx.rawUrl,
    targetPath: `${fx.cropUrl}/[mito,er]`,
    classes: ["mito", "er"],
    inputArrays: { raw: { shape: [12, 16, 18], scale: [SCALE, SCALE, SCALE] } },
    targetArrays: { gt: { shape: [10, 12, 14], scale: [SCALE, SCALE, SCALE] } },
    spatialTransforms: { mirror: { axes: { z: 0.5, x: 0.5 } }, transpose: { axes: ["y", "x"] }, rotate: { axes: { z: [-180, 180] } }, deform: { spacing: 16, magnitude: 4, p: 0.5 } },
    isTrain: true,
    device: "cpu",
    workers: 0,
    cacheBytes: 1 << 20,
    ...(cpuWorkers === undefined ? {} : { cpuWorkers }),
    storeOptions: { fetch: fx.fetch },
  });
  try {
    const arrays: Float32Array[] = [];
    const workers = ds.input.stats.executor.kind === "workers";
    const exec = workers ? await CpuExecutor.acquire(ds.input.stats.executor.workers) : undefined;
    try {
      const before = exec?.stats.passTasks ?? 0;
      for await (const b of new CellMapDataLoader(ds, { batchSize: 4, iterationsPerEpoch: 3, seed: 9 })) arrays.push(b.raw.data, b.gt.data);
      // The value passes and true negatives ran in the workers when they resample: a task per sample.
      if (exec && (extra.valueTransforms || extra.classRelationships)) check(exec.stats.passTasks - before >= 3 * 4, `pass tasks in the workers: ${exec.stats.passTasks - before}`);
    } finally {
      exec?.release();
    }
    const e = ds.input.stats.executor;
    return { arrays, executor: `${e.kind} (${e.workers})` };
  } finally {
    ds.destroy();
  }
}

/** Run a case with the executor's default threshold (small cases run on the calling thread). */
async function runIn2(exec: CpuExecutor, c: Case): Promise<Float32Array> {
  const n = c.params.batch * c.params.outShape[0] * c.params.outShape[1] * c.params.outShape[2];
  const cache = exec.allocateWords(c.cache.length);
  cache.set(c.cache);
  const out = new Float32Array(n);
  await exec.resample(c.params, c.samples, c.table, cache, out, 0);
  return out;
}

export const cpuExecutorCases = {
  /** A CPU dataset's loader batches in the executor's workers are those of the calling thread, bit for bit. */
  async "a CPU dataset's loader batches in the workers are the calling thread's, bit for bit"(): Promise<string> {
    const lines: string[] = [];
    // Resampling alone; then with value passes (noise keyed by sample), true negatives and target
    // passes, which the workers run too.
    const passes: Partial<CellMapDatasetOptions<"raw", "gt">> = {
      valueTransforms: { raw: [{ normalize: { range: [0, 200] } }, { gaussianNoise: { std: 0.1 } }] },
      targetValueTransforms: { er: [{ nanToNum: { nan: 2 } }] },
      classRelationships: { er: ["mito"] },
    };
    for (const [name, extra] of [["resampling", {}], ["with passes", passes]] as const) {
      const here = await datasetBatches(0, extra);
      check(here.executor === "main-thread (0)", `cpuWorkers 0 runs on the calling thread: ${here.executor}`);
      for (const workers of sharedMemory().ok ? [1, 2, undefined] : [undefined]) {
        const got = await datasetBatches(workers, extra);
        lines.push(`${name} ${got.executor}`);
        check(got.arrays.length === here.arrays.length, "as many arrays");
        got.arrays.forEach((a, i) => sameBits(a, here.arrays[i]!, `${name}: batch array ${i} with cpuWorkers ${workers ?? "default"} (${got.executor})`));
      }
    }
    return `loader batches identical: ${lines.join(", ")} vs main-thread`;
  },

  /** Random dispatches, 1, 2 and 3 workers: the twin's bits. Returns a summary line. */
  async "random dispatches in 1, 2 and 3 workers give the twin's bits: general, permuted, displaced, every kind"(): Promise<string> {
    const count = 150;
    let voxels = 0;
    const tally: Record<string, number> = {};
    for (const workers of [1, 2, 3]) {
      const exec = await CpuExecutor.acquire(workers);
      try {
        for (let seed = 0; seed < count; seed++) {
          const c = randomCase(seed * 7 + workers);
          const expected = resampleReference(c.params, c.samples, c.table, c.cache);
          const got = await runIn(exec, c, seed % 2 === 0, seed % 5);
          sameBits(got, expected, `${workers} workers, ${c.what}`);
          voxels += got.length;
          for (const k of c.what.match(/\((\w+)\)/)![1]!) tally[k] = (tally[k] ?? 0) + 1;
        }
      } finally {
        exec.release();
      }
    }
    return `${count * 3} dispatches, ${voxels} voxels; samples: ${tally["g"] ?? 0} general, ${tally["p"] ?? 0} permuted, ${tally["d"] ?? 0} displaced`;
  },

  /** Samples spaced apart in the output (outStride), in workers and on the calling thread: the twin's bits, nothing between written. */
  async "random dispatches with an output stride give the twin's bits and write nothing between samples"(): Promise<string> {
    const exec = await CpuExecutor.acquire(2);
    let n = 0;
    try {
      for (let seed = 0; seed < 60; seed++) {
        const c = randomCase(5000 + seed);
        const expected = resampleReference(c.params, c.samples, c.table, c.cache);
        sameBits(await runStrided(exec, c, seed % 2 === 0, seed % 3, 1 + (seed % 4) * 5), expected, `strided, ${c.what}`);
        // The twin on its own, with the same stride.
        const per = c.params.outShape[0] * c.params.outShape[1] * c.params.outShape[2];
        const stride = per + 3;
        const out = new Float32Array((c.params.batch - 1) * stride + per);
        resampleReference(c.params, c.samples, c.table, c.cache, { out, outStride: stride });
        for (let b = 0; b < c.params.batch; b++) sameBits(out.slice(b * stride, b * stride + per), expected.slice(b * per, (b + 1) * per), `twin strided sample ${b}, ${c.what}`);
        n++;
      }
    } finally {
      exec.release();
    }
    return `${n} strided dispatches`;
  },

  /** One large sample cut into slabs across workers gives the twin's bits, and several dispatches at once too. */
  async "one sample cut into slabs, and dispatches running at once, give the twin's bits"(): Promise<void> {
    const exec = await CpuExecutor.acquire(3);
    try {
      const cases = [11, 12, 13, 14, 15, 16].map((s) => {
        const c = randomCase(1000 + s);
        const outShape: Vec3 = [37, c.params.outShape[1] + 5, c.params.outShape[2] + 5];
        return { ...c, params: { ...c.params, outShape, batch: 1 }, samples: c.samples.slice(0, 1) };
      });
      const got = await Promise.all(cases.map((c, i) => runIn(exec, c, i % 2 === 0, i)));
      cases.forEach((c, i) => sameBits(got[i]!, resampleReference(c.params, c.samples, c.table, c.cache), `concurrent ${c.what}`));
      check(exec.stats.tasks >= 6 * 3, `every 37-plane sample should be cut into 3 slabs: ${exec.stats.tasks} tasks`);
    } finally {
      exec.release();
    }
  },

  /** A task that throws in a worker rejects its dispatch with a WorkerError naming it; the executor goes on. */
  async "a task that throws in a worker is a WorkerError naming the dispatch"(): Promise<void> {
    const exec = await CpuExecutor.acquire(2);
    try {
      const c = randomCase(5);
      const cache = exec.allocateWords(c.cache.length);
      const out = new Float32Array(new SharedArrayBuffer(4 * c.params.batch * c.params.outShape.reduce((a, b) => a * b, 1)));
      // A batch larger than its samples: the twin throws a RangeError in the worker.
      const bad = { ...c.params, batch: c.params.batch + 1 };
      const big = new Float32Array(new SharedArrayBuffer(4 * bad.batch * bad.outShape.reduce((a, b) => a * b, 1)));
      let error: unknown;
      await exec.resample(bad, c.samples, c.table, cache, big, 0, { what: "a broken dispatch", inlineBelow: 0 }).catch((e: unknown) => (error = e));
      check(isCellMapError(error, "worker"), `expected a WorkerError, got ${String(error)}`);
      check((error as Error).message.includes("a broken dispatch") && /samples has \d+ entries/.test((error as Error).message), `the message names the dispatch and the cause: ${(error as Error).message}`);
      await exec.resample(c.params, c.samples, c.table, cache, out, 0);
    } finally {
      exec.release();
    }
  },

  /** An aborted dispatch rejects with an AbortedError and runs no slab after the abort; destroy rejects the rest. */
  async "an aborted dispatch is an AbortedError; a released executor stops its workers"(): Promise<void> {
    const exec = await CpuExecutor.acquire(1);
    const c = randomCase(21);
    const params = { ...c.params, outShape: [64, 40, 40] as Vec3, batch: 1 };
    const cache = exec.allocateWords(c.cache.length);
    const out = new Float32Array(new SharedArrayBuffer(4 * 64 * 40 * 40));
    const ac = new AbortController();
    ac.abort(new Error("stop"));
    let error: unknown;
    await exec.resample(params, c.samples.slice(0, 1), c.table, cache, out, 0, { signal: ac.signal }).catch((e: unknown) => (error = e));
    check(isCellMapError(error, "aborted"), `expected an AbortedError, got ${String(error)}`);
    const running = exec.resample(params, c.samples.slice(0, 1), c.table, cache, out, 0).then(() => "resolved", (e: unknown) => e);
    exec.release();
    const r = await running;
    check(r === "resolved" || isCellMapError(r, "aborted"), `a dispatch cut off by release ends resolved or aborted, got ${String(r)}`);
    error = undefined;
    await exec.resample(params, c.samples.slice(0, 1), c.table, cache, out, 0).catch((e: unknown) => (error = e));
    check(isCellMapError(error, "aborted"), `a released executor refuses work: ${String(error)}`);
  },

  /** A dispatch too small to be worth a worker runs on the calling thread, with the same bits. */
  async "a dispatch too small for a worker runs on the calling thread, with the same bits"(): Promise<void> {
    const exec = await CpuExecutor.acquire(2);
    try {
      const c = randomCase(77);
      const before = exec.stats;
      const got = await runIn2(exec, c);
      sameBits(got, resampleReference(c.params, c.samples, c.table, c.cache), `small ${c.what}`);
      const after = exec.stats;
      check(after.inline === before.inline + 1 && after.tasks === before.tasks, `a small dispatch runs here: ${JSON.stringify(after)}`);
    } finally {
      exec.release();
    }
  },

  /** Where memory can be shared, the default is one worker per core; cpuWorkers 0 and no shared memory run on the calling thread, saying why. */
  async "the executor: one worker per core by default where memory can be shared, else the calling thread, saying why"(): Promise<string> {
    const zero = await openCpuExecutor(0);
    check(zero.executor === undefined && zero.info.kind === "main-thread" && zero.info.reason.includes("cpuWorkers"), `cpuWorkers 0: ${JSON.stringify(zero.info)}`);
    const auto = await openCpuExecutor();
    try {
      if (sharedMemory().ok) {
        check(auto.executor !== undefined && auto.info.kind === "workers" && auto.info.workers >= 1, `default: ${JSON.stringify(auto.info)}`);
      } else {
        check(auto.executor === undefined && auto.info.kind === "main-thread" && /cross-origin isolated/.test(auto.info.reason), `without shared memory: ${JSON.stringify(auto.info)}`);
      }
      return `${auto.info.kind} (${auto.info.workers}): ${auto.info.reason}`;
    } finally {
      auto.executor?.release();
    }
  },
};
