/**
 * Figure 2: resample throughput in output voxels per second, on a warm chunk cache: the WGSL path
 * (CellMapArray on the GPU), the CPU twin (CellMapArray with device "cpu"), and the
 * straightforward baseline (zarrita `get` of the bounding box, then a per-voxel loop in JS).
 * @module
 */
import { join } from "node:path";
import { CellMapArray, type SampleSpec } from "../../src/array/cellmap-array.ts";
import type { Vec3 } from "../../src/geometry/types.ts";
import type { WorkerPool } from "../../src/worker/pool.ts";
import { openZarritaLevel, zarritaSample } from "../baseline.ts";
import { bySize, repeatsFor, type BenchContext } from "../context.ts";
import { RAW_PATH, type Dataset } from "../dataset.ts";
import { row } from "../lib/report.ts";
import { createRng, randomAugment } from "../lib/rng.ts";
import { perSecond, summarize, timeRuns } from "../lib/stats.ts";
import type { Figure, Row } from "../schema.ts";

const MIB = 2 ** 20;

/** Largest |a - b| over two equal-length arrays (pairs with a NaN are skipped). */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > m) m = d;
  }
  return m;
}

/**
 * Fraction of elements that differ by more than `tol` (NaN equals NaN). For nearest sampling a
 * point within float32 rounding of a voxel boundary may pick either neighbour, so a few voxels
 * may differ by a whole intensity step; this says how few.
 */
export function mismatchFraction(a: Float32Array, b: Float32Array, tol = 1e-3): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    if (!(Math.abs(x - y) <= tol || (Number.isNaN(x) && Number.isNaN(y)))) n++;
  }
  return a.length ? n / a.length : 0;
}

/** Figure 2. */
export async function resampleFigure(ctx: BenchContext, ds: Dataset, pool: WorkerPool): Promise<Figure> {
  const t0 = performance.now();
  const { warmup, repeats, budgetMs } = repeatsFor(ctx);
  const budget = budgetMs === undefined ? {} : { budgetMs };
  const root = join(ds.dir, ds.zarr);
  const location = join(root, RAW_PATH);
  const cacheBytes = 256 * MIB;
  const gpuArr = ctx.gpu ? await CellMapArray.open(location, { gpu: ctx.gpu, cacheBytes, pool }) : undefined;
  const cpuArr = await CellMapArray.open(location, { device: "cpu", cacheBytes, pool });
  const level = cpuArr.levels[0]!;
  const base = await openZarritaLevel(root, `${RAW_PATH}/${level.path}`, level);
  const scale = level.scale;
  const cases = bySize(ctx, {
    tiny: [{ n: 8, batch: 2 }, { n: 16, batch: 1 }],
    quick: [{ n: 64, batch: 2 }, { n: 128, batch: 1 }],
    full: [{ n: 64, batch: 8 }, { n: 128, batch: 2 }],
  });
  const rows: Row[] = [];
  const notes: string[] = [];
  const rand = createRng(ctx.seed + 2);
  try {
    for (const interp of ["linear", "nearest"] as const) {
      for (const { n, batch } of cases) {
        const shape: Vec3 = [n, n, n];
        const name = `${interp} ${n}³ x${batch}`;
        // Centers near the middle, rotated: every chunk the batch reads fits in the cache at once.
        const jitter = Math.max(0, Math.min(16, (level.shape[0] - n * Math.sqrt(3)) / 2 - 2));
        const specs: SampleSpec[] = Array.from({ length: batch }, () => ({
          center: level.shape.map((s, k) => (s / 2 + (rand() * 2 - 1) * jitter) * scale[k]! + level.translation[k]!) as Vec3,
          augment: randomAugment(rand),
        }));
        const opts = { shape, scale, interp };
        const voxels = batch * n * n * n;
        const mvox = voxels / 1e6;
        // baseline first: it also checks the others
        const baseOut = new Float32Array(voxels);
        const parts = { get: [] as number[], interp: [] as number[] };
        const baseMs = await timeRuns(async (i) => {
          let g = 0, l = 0;
          for (const [b, s] of specs.entries()) {
            const t = await zarritaSample(base, shape, scale, s.center, s.augment!, interp, 0, baseOut.subarray(b * n ** 3, (b + 1) * n ** 3));
            g += t.get;
            l += t.interp;
          }
          if (i >= warmup) {
            parts.get.push(g);
            parts.interp.push(l);
          }
        }, { warmup, repeats, ...budget });
        const baseRow = row(name, "zarrita get + JS loop", "Mvox/s", "higher", perSecond(baseMs, mvox), [], {
          limit: limitFor(ctx, "memcpy", voxels, baseMs.median),
          extra: { getMs: summarize(parts.get).median, loopMs: summarize(parts.interp).median },
        });

        let cpuOut: Float32Array<ArrayBufferLike> = new Float32Array(0);
        const cpuMs = await timeRuns(async () => {
          cpuOut = await cpuArr.sample(specs, opts);
        }, { warmup, repeats, ...budget });
        const cpuRow = row(name, "cpu twin", "Mvox/s", "higher", perSecond(cpuMs, mvox), [baseRow], {
          limit: limitFor(ctx, "memcpy", voxels, cpuMs.median),
          extra: { maxAbsDiffVsBaseline: maxAbsDiff(cpuOut, baseOut), mismatchFractionVsBaseline: mismatchFraction(cpuOut, baseOut) },
        });

        if (gpuArr && ctx.gpu) {
          let gpuOut: Float32Array<ArrayBufferLike> = new Float32Array(0);
          const gpuMs = await timeRuns(async () => {
            gpuOut = await gpuArr.sample(specs, opts);
          }, { warmup, repeats, ...budget });
          rows.push(row(name, "wgsl sample()", "Mvox/s", "higher", perSecond(gpuMs, mvox), [baseRow, cpuRow], {
            limit: limitFor(ctx, "gpu", voxels, gpuMs.median),
            extra: { maxAbsDiffVsBaseline: maxAbsDiff(gpuOut, baseOut), mismatchFractionVsBaseline: mismatchFraction(gpuOut, baseOut), cacheHits: gpuArr.stats.hits, cacheMisses: gpuArr.stats.misses },
          }));
          if (ctx.mode === "full") {
            const device = ctx.gpu.device;
            const buffer = device.createBuffer({ label: "bench sampleInto output", size: voxels * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
            try {
              const intoMs = await timeRuns(async () => {
                await gpuArr.sampleInto(specs, { ...opts, buffer });
                await ctx.gpu!.track(device.queue.onSubmittedWorkDone());
              }, { warmup, repeats, ...budget });
              rows.push(row(name, "wgsl sampleInto()", "Mvox/s", "higher", perSecond(intoMs, mvox), [baseRow, cpuRow], {
                limit: limitFor(ctx, "gpu", voxels, intoMs.median),
              }));
            } finally {
              buffer.destroy();
            }
          }
        }
        rows.push(cpuRow, baseRow);
      }
    }
  } finally {
    gpuArr?.destroy();
    cpuArr.destroy();
  }
  notes.push("warm cache: every chunk is resident before timing (the warm-up run loads them); the baseline has no cache, so its time includes zarrita's get (read + decode of the box) each run (extra.getMs vs loopMs).");
  notes.push("limit: bandwidth floor of 5 bytes per output voxel (f32 write + one u8 source read) at the GPU copy bandwidth (WGSL rows) or at memory bandwidth = 2 x memcpy (CPU rows).");
  if (ctx.gpu?.isSoftware) notes.push("software adapter: the WGSL rows run on the CPU; they show the code path works, not what a GPU does (see bench/RESULTS.md for the GPU runbook).");
  if (!ctx.gpu) notes.push("no GPU: WGSL rows skipped.");
  return {
    id: 2,
    key: "resample",
    title: "Resample throughput (Mvox/s of output, higher is better)",
    workload: `${level.shape.join("x")} uint8 raw, ${level.chunks.join("x")} chunks; random rotation/mirror/transpose, output at the s0 voxel size; cases ${cases.map((c) => `${c.n}³ x${c.batch}`).join(", ")}`,
    rows,
    targets: [],
    notes,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The bandwidth floor for `voxels` output voxels (5 bytes each) and the fraction reached in `ms`. */
function limitFor(ctx: BenchContext, which: "gpu" | "memcpy", voxels: number, ms: number): Row["limit"] {
  const traffic = which === "gpu" ? ctx.limits.gpuTraffic : 2 * ctx.limits.memcpy;
  if (!traffic) return undefined;
  const floorMvoxPerS = traffic / 5 / 1e6;
  const measured = voxels / 1e6 / (ms / 1000);
  return { name: which === "gpu" ? "gpu copy floor" : "memory floor", value: floorMvoxPerS, unit: "Mvox/s", fraction: measured / floorMvoxPerS };
}
