/**
 * Figure 5: loading throughput against the number of fetch workers (1, 2, 4) and the fetch
 * concurrency per worker (HTTP requests in flight), cold cache, next to zarrita on the main
 * thread doing the same reads.
 * @module
 */
import { CellMapArray, type SampleSpec } from "../../src/array/cellmap-array.ts";
import { openMultiscale } from "../../src/array/open-multiscale.ts";
import type { Vec3 } from "../../src/geometry/types.ts";
import { WorkerPool } from "../../src/worker/pool.ts";
import { openZarritaLevel, zarritaSample } from "../baseline.ts";
import { bySize, repeatsFor, type BenchContext } from "../context.ts";
import { RAW_PATH } from "../dataset.ts";
import { fmt, row } from "../lib/report.ts";
import { createRng, randomAugment } from "../lib/rng.ts";
import { perSecond, timeRuns } from "../lib/stats.ts";
import type { Figure, Row } from "../schema.ts";

/** Figure 5 on the raw array of the dataset at `base` (an http URL). */
export async function concurrencyFigure(ctx: BenchContext, base: string): Promise<Figure> {
  const t0 = performance.now();
  const { warmup } = repeatsFor(ctx);
  const repeats = bySize(ctx, { tiny: 1, quick: 2, full: 3 });
  const location = `${base}/${RAW_PATH}`;
  const level = (await openMultiscale(location)).levels[0]!;
  const chunkBytes = level.chunks[0] * level.chunks[1] * level.chunks[2];
  const edge = bySize(ctx, { tiny: 8, quick: 32, full: 32 });
  const count = bySize(ctx, { tiny: 2, quick: 8, full: 16 });
  const workerCounts = bySize(ctx, { tiny: [1], quick: [0, 1, 2, 4], full: [0, 1, 2, 4] });
  const inFlight = bySize(ctx, { tiny: [1, 4], quick: [1, 16], full: [1, 4, 16] });
  const shape: Vec3 = [edge, edge, edge];
  // Twice the voxel size: each sample reads a large footprint and little resampling.
  const scale: Vec3 = [2 * level.scale[0], 2 * level.scale[1], 2 * level.scale[2]];
  const rand = createRng(ctx.seed + 5);
  const half = edge * level.scale[0];
  const specs: SampleSpec[] = Array.from({ length: count }, () => ({
    center: level.shape.map((n, k) => {
      const lo = level.translation[k]! + half, hi = level.translation[k]! + (n - 1) * level.scale[k]! - half;
      return hi > lo ? lo + rand() * (hi - lo) : (lo + hi) / 2;
    }) as Vec3,
    augment: randomAugment(rand),
  }));
  const totalChunks = Math.ceil(level.shape[0] / level.chunks[0]) * Math.ceil(level.shape[1] / level.chunks[1]) * Math.ceil(level.shape[2] / level.chunks[2]);
  const budget = Math.min(totalChunks, count * 27) * chunkBytes;

  // baseline: zarrita on the main thread, all samples at once
  const zl = await openZarritaLevel(base, `${RAW_PATH}/${level.path}`, level);
  const n = edge ** 3;
  const out = new Float32Array(count * n);
  const baseMs = await timeRuns(() => Promise.all(specs.map((s, i) => zarritaSample(zl, shape, scale, s.center, s.augment!, "linear", 0, out.subarray(i * n, (i + 1) * n)))), { warmup, repeats });
  const baseRow = row("zarrita, main thread", "zarrita baseline", "samples/s", "higher", perSecond(baseMs, count));

  const rows: Row[] = [];
  let reference: Row | undefined;
  for (const workers of workerCounts) {
    const pool = await WorkerPool.create({ size: workers });
    try {
      for (const c of inFlight) {
        if (workers === 0 && c !== inFlight[inFlight.length - 1]) continue;
        let misses = 0;
        const ms = await timeRuns(async () => {
          const arr = await CellMapArray.open(location, { device: "cpu", cacheBytes: budget, pool, storeOptions: { maxConcurrency: c } });
          try {
            await arr.sample(specs, { shape, scale, interp: "linear" });
            misses = arr.stats.misses;
          } finally {
            arr.destroy();
          }
        }, { warmup, repeats });
        const against = reference ? [baseRow, reference] : [baseRow];
        const r = row(`${workers === 0 ? "in-process" : `${workers} worker${workers > 1 ? "s" : ""}`}, ${c} in flight`, "CellMapArray", "samples/s", "higher", perSecond(ms, count), against, {
          extra: { workers, fetchConcurrency: c, chunks: misses, decodedMBps: (misses * chunkBytes) / 1e6 / (ms.median / 1000) },
        });
        if (workers === 1 && c === inFlight[0]) reference = { ...r, path: "1 worker, 1 in flight" };
        rows.push(r);
      }
    } finally {
      pool.terminate();
    }
  }
  rows.push(baseRow);
  const best = rows.slice(0, -1).reduce((a, b) => (b.value.median > a.value.median ? b : a));
  return {
    id: 5,
    key: "concurrency",
    title: "Concurrency: cold loading throughput vs workers and fetch concurrency (samples/s, higher is better)",
    workload: `${count} samples of ${edge}³ at twice the s0 voxel size (rotated, up to ${Math.ceil((edge * 2 * Math.sqrt(3)) / level.chunks[0]) + 1} chunks per axis each) from ${level.shape.join("x")} uint8 over loopback HTTP, cold cache, CPU twin resampling; ${ctx.cpus} CPU cores`,
    rows,
    targets: [],
    notes: [
      `best: ${best.case} at ${fmt(best.value.median)} samples/s.`,
      "fetch concurrency is per worker (each worker has its own HTTP store); decoding runs one chunk at a time per worker, so beyond the core count more workers only add contention.",
      "resampling runs on the CPU twin here so that this figure isolates fetch and decode (figure 3 has the GPU path).",
    ],
    seconds: (performance.now() - t0) / 1000,
  };
}
