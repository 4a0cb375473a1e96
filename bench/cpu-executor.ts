/**
 * The CPU executor (`src/engine/`) against the CPU twin on the calling thread, side by side in
 * one process on the same inputs: a resident chunk cache of a uint8 volume of 4³ chunks of 64³
 * in shared memory, and the standard workload's dispatches (raw: 2 x 128³ linear, randomly
 * rotated; labels: 8 x 64³ nearest, randomly rotated; and 8 x 64³ nearest unaugmented, the copy
 * fast path). Each repeat runs the calling thread, 1 worker and 2 workers (and more with
 * `--workers=4,8`) one after the other; rows are medians after warm-up, ratios are time / time
 * (above 1: faster). Every run checks that the outputs are bit for bit the calling thread's.
 * This isolates the resampling: no fetch, no decode, no value passes.
 *
 *     node bench/cpu-executor.mjs [--quick] [--workers=1,2]
 * @module
 */
import { packChunk, slotWords } from "../src/kernels/chunks/contract.ts";
import { CpuExecutor } from "../src/engine/cpu-executor.ts";
import type { ResampleParams, ResampleSample, Vec3 } from "../src/kernels/resample/contract.ts";
import { resampleReference } from "../src/kernels/resample/twin.ts";
import { createRng, randomAugment } from "./lib/rng.ts";
import { summarize } from "./lib/stats.ts";

const CHUNK = 64;
const GRID = 4;
const quick = process.argv.includes("--quick");
const workerArg = process.argv.find((a) => a.startsWith("--workers="));
const WORKERS = workerArg ? workerArg.slice(10).split(",").map(Number) : [1, 2];
const REPEATS = quick ? 5 : 11;
const WARMUP = 2;

const rand = createRng(7);
const words = slotWords([CHUNK, CHUNK, CHUNK], "u8");
const chunks = GRID ** 3;
const plain = new Uint32Array(chunks * words);
const data = new Uint8Array(CHUNK ** 3);
for (let c = 0; c < chunks; c++) {
  for (let i = 0; i < data.length; i++) data[i] = (rand() * 256) | 0;
  plain.set(packChunk(data, "u8"), c * words);
}
const table = Uint32Array.from({ length: chunks }, (_, i) => i);

function dispatch(interp: "linear" | "nearest", n: number, batch: number, rotate: boolean): { params: ResampleParams; samples: ResampleSample[] } {
  const size = GRID * CHUNK;
  const samples: ResampleSample[] = [];
  for (let b = 0; b < batch; b++) {
    const a = rotate ? randomAugment(rand) : new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const center = [0, 1, 2].map(() => size / 2 + (rotate ? (rand() * 2 - 1) * 8 : Math.round((rand() * 2 - 1) * 8) + ((n - 1) % 2) / 2));
    const matrix = new Float64Array(12);
    for (let r = 0; r < 3; r++) {
      let t = center[r]!;
      for (let k = 0; k < 3; k++) {
        matrix[4 * r + k] = a[3 * r + k]!;
        t -= a[3 * r + k]! * ((n - 1) / 2);
      }
      matrix[4 * r + 3] = t;
    }
    samples.push({ matrix, origin: [0, 0, 0], chunkLo: [0, 0, 0], chunkDims: [GRID, GRID, GRID], tableOffset: 0 });
  }
  const vol: Vec3 = [size, size, size];
  return { params: { outShape: [n, n, n], batch, chunkShape: [CHUNK, CHUNK, CHUNK], kind: "u8", volShape: vol, interp, pad: 0, fill: 0, slotWords: words }, samples };
}

const edge = quick ? 64 : 128;
const cases = [
  { name: `linear ${edge}³ x2, rotated (raw)`, ...dispatch("linear", edge, 2, true) },
  { name: `nearest ${edge / 2}³ x8, rotated (labels)`, ...dispatch("nearest", edge / 2, 8, true) },
  { name: `nearest ${edge / 2}³ x8, unaugmented (copy)`, ...dispatch("nearest", edge / 2, 8, false) },
];

const execs = new Map<number, { exec: CpuExecutor; cache: Uint32Array }>();
for (const w of WORKERS) {
  const exec = await CpuExecutor.acquire(w);
  const cache = exec.allocateWords(plain.length);
  cache.set(plain);
  execs.set(w, { exec, cache });
}
const os = await import("node:os");
const load = () => os.loadavg().map((x) => x.toFixed(1)).join(" ");
console.log(`CPU executor vs the calling thread (${quick ? "quick" : "full"}); load average ${load()}`);
console.log(`case | calling thread ms | ${WORKERS.map((w) => `${w} worker${w > 1 ? "s" : ""} ms`).join(" | ")} | ${WORKERS.map((w) => `${w}w vs calling`).join(" | ")}${WORKERS.includes(1) && WORKERS.includes(2) ? " | 2w vs 1w" : ""}`);
for (const c of cases) {
  const n = c.params.batch * c.params.outShape[0] ** 3;
  const expected = new Float32Array(n);
  const out = new Float32Array(new SharedArrayBuffer(n * 4));
  const times = new Map<number, number[]>([[0, []], ...WORKERS.map((w) => [w, []] as [number, number[]])]);
  for (let r = 0; r < WARMUP + REPEATS; r++) {
    let t = performance.now();
    resampleReference(c.params, c.samples, table, plain, { out: expected });
    if (r >= WARMUP) times.get(0)!.push(performance.now() - t);
    for (const w of WORKERS) {
      const { exec, cache } = execs.get(w)!;
      out.fill(-1);
      t = performance.now();
      await exec.resample(c.params, c.samples, table, cache, out, 0);
      if (r >= WARMUP) times.get(w)!.push(performance.now() - t);
      for (let i = 0; i < n; i++) if (!Object.is(out[i], expected[i])) throw new Error(`${c.name}, ${w} workers: output ${i} differs`);
    }
  }
  const med = (w: number) => summarize(times.get(w)!).median;
  const cells = WORKERS.map((w) => med(w).toFixed(1));
  const ratios = WORKERS.map((w) => `${(med(0) / med(w)).toFixed(2)}x`);
  const scale = WORKERS.includes(1) && WORKERS.includes(2) ? ` | ${(med(1) / med(2)).toFixed(2)}x` : "";
  console.log(`${c.name} | ${med(0).toFixed(1)} | ${cells.join(" | ")} | ${ratios.join(" | ")}${scale}`);
}
console.log(`load average at end ${load()}; ${REPEATS} repeats after ${WARMUP} warm-up, medians`);
for (const { exec } of execs.values()) exec.release();
