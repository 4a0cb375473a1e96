/**
 * Figure 4: memory over many samples with a chunk-cache budget smaller than the working set:
 * peak RSS of the process and peak bytes resident in the (GPU) chunk cache against the budget,
 * next to the zarrita-only baseline doing the same samples.
 * @module
 */
import { CellMapArray, type SampleSpec } from "../../src/array/cellmap-array.ts";
import { openMultiscale } from "../../src/array/open-multiscale.ts";
import type { Vec3 } from "../../src/geometry/types.ts";
import type { WorkerPool } from "../../src/worker/pool.ts";
import { openZarritaLevel, zarritaSample } from "../baseline.ts";
import { splitMemoryRows } from "./split-memory.ts";
import { bySize, type BenchContext } from "../context.ts";
import { RAW_PATH } from "../dataset.ts";
import { collectGarbage, rssBytes, watchRss } from "../lib/env.ts";
import { fmt, row } from "../lib/report.ts";
import { createRng, randomAugment } from "../lib/rng.ts";
import { summarize } from "../lib/stats.ts";
import type { Figure } from "../schema.ts";

const MIB = 2 ** 20;

/** Figure 4 on the raw array of the dataset at `base`. */
export async function memoryFigure(ctx: BenchContext, base: string, pool: WorkerPool): Promise<Figure> {
  const t0 = performance.now();
  const location = `${base}/${RAW_PATH}`;
  const level = (await openMultiscale(location)).levels[0]!;
  const chunkBytes = level.chunks[0] * level.chunks[1] * level.chunks[2];
  const slots = bySize(ctx, { tiny: 16, quick: 24, full: 128 });
  const budget = slots * chunkBytes;
  const workingSet = level.shape[0] * level.shape[1] * level.shape[2];
  const software = ctx.gpu?.isSoftware ?? true;
  const edge = bySize(ctx, { tiny: 8, quick: 32, full: software ? 32 : 64 });
  const count = bySize(ctx, { tiny: 16, quick: 96, full: 1000 });
  const batch = 8;
  const runs = 2;
  const shape: Vec3 = [edge, edge, edge];
  const scale = level.scale;
  const region = level.shape.map((n, k) => [level.translation[k]!, level.translation[k]! + (n - 1) * scale[k]!]) as Array<[number, number]>;
  const batches = (seed: number, n: number): SampleSpec[][] => {
    const rand = createRng(seed);
    return Array.from({ length: Math.ceil(n / batch) }, () => Array.from({ length: batch }, () => ({
      center: region.map(([a, b]) => a + rand() * (b - a)) as Vec3,
      augment: randomAugment(rand),
    })));
  };
  const zl = await openZarritaLevel(base, `${RAW_PATH}/${level.path}`, level);

  const ours = async (specs: SampleSpec[][]) => {
    collectGarbage();
    const start = rssBytes();
    const watch = watchRss();
    const arr = await CellMapArray.open(location, { ...(ctx.gpu ? { gpu: ctx.gpu } : { device: "cpu" as const }), cacheBytes: budget, pool });
    let peakResident = 0;
    const poll = setInterval(() => (peakResident = Math.max(peakResident, arr.stats.bytesResident)), 2);
    try {
      for (const b of specs) {
        await arr.sample(b, { shape, scale, interp: "linear" });
        peakResident = Math.max(peakResident, arr.stats.bytesResident);
      }
      const st = arr.stats;
      return { peak: watch.stop(), start, peakResident, budget: st.budgetBytes, gpuBuffer: arr.gpuCache?.size ?? 0, evictions: st.evictions, misses: st.misses, hits: st.hits };
    } finally {
      clearInterval(poll);
      watch.stop();
      arr.destroy();
    }
  };
  const baseline = async (specs: SampleSpec[][]) => {
    collectGarbage();
    const start = rssBytes();
    const watch = watchRss();
    const n = edge ** 3;
    for (const b of specs) {
      const out = new Float32Array(b.length * n);
      await Promise.all(b.map((s, i) => zarritaSample(zl, shape, scale, s.center, s.augment!, "linear", 0, out.subarray(i * n, (i + 1) * n))));
    }
    return { peak: watch.stop(), start };
  };

  // warm-up (code paths, pipelines), then interleaved runs
  await ours(batches(ctx.seed + 40, 2 * batch));
  await baseline(batches(ctx.seed + 40, 2 * batch));
  const o: Array<Awaited<ReturnType<typeof ours>>> = [];
  const b: Array<Awaited<ReturnType<typeof baseline>>> = [];
  for (let r = 0; r < runs; r++) {
    const specs = batches(ctx.seed + 41 + r, count);
    // Alternate which goes first: RSS rarely shrinks, so the second of a pair starts on a grown heap.
    if (r % 2 === 0) {
      o.push(await ours(specs));
      b.push(await baseline(specs));
    } else {
      b.push(await baseline(specs));
      o.push(await ours(specs));
    }
  }
  const mib = (xs: number[]) => summarize(xs.map((x) => x / MIB));
  const baseGrowth = row("peak RSS growth", "zarrita baseline", "MiB", "lower", mib(b.map((x) => x.peak - x.start)));
  const ourGrowth = row("peak RSS growth", "CellMapArray", "MiB", "lower", mib(o.map((x) => x.peak - x.start)), [baseGrowth]);
  const basePeak = row("peak RSS", "zarrita baseline", "MiB", "lower", mib(b.map((x) => x.peak)));
  const ourPeak = row("peak RSS", "CellMapArray", "MiB", "lower", mib(o.map((x) => x.peak)), [basePeak]);
  const peakResident = Math.max(...o.map((x) => x.peakResident));
  const resident = row("peak cache bytes resident", "CellMapArray", "MiB", "lower", mib(o.map((x) => x.peakResident)), [], {
    extra: { budgetMiB: budget / MIB, gpuCacheBufferMiB: Math.max(...o.map((x) => x.gpuBuffer)) / MIB, workingSetMiB: workingSet / MIB, evictions: summarize(o.map((x) => x.evictions)).median, hitRate: summarize(o.map((x) => x.hits / Math.max(1, x.hits + x.misses))).median },
  });
  return {
    id: 4,
    key: "memory",
    title: "Memory over many samples, cache budget below the working set (MiB, lower is better)",
    workload: `${count} samples of ${edge}³ (batch ${batch}), random centers over ${level.shape.join("x")} uint8 raw with rotation/mirror/transpose; budget ${fmt(budget / MIB)} MiB (${slots} chunks) vs working set ${fmt(workingSet / MIB)} MiB; ${runs} runs`,
    rows: [ourGrowth, baseGrowth, ourPeak, basePeak, resident, ...(await splitMemoryRows(ctx, base, pool, scale))],
    targets: [{ name: "GPU bytes resident", goal: "never above budget", measured: `peak ${fmt(peakResident / MIB)} MiB of ${fmt(budget / MIB)} MiB`, met: peakResident <= budget }],
    notes: [
      "RSS is the whole process (fetch workers are threads in it); growth is measured from the RSS at the start of each run, after a garbage collection when the runtime exposes one (Node via run.mjs; not deno task bench). This figure runs right after figure 6, before the others grow the heap; ours and the baseline alternate going first.",
      ctx.gpu?.isSoftware ? "software adapter: GPU buffers live in host memory, so the cache budget is part of RSS here." : "",
      "cache bytes resident is sampled every 2 ms and after every batch from CellMapArray.stats; the GPU cache buffer itself is allocated once at the budget.",
      "data split rows: the chunk-cache bytes (GPU buffers, or CPU caches with --no-gpu) of the distinct arrays of a split of three crop1 entries (default cacheBytes), against the same entries opened as separate datasets; both cap each cache at the array's chunk count.",
    ].filter(Boolean),
    seconds: (performance.now() - t0) / 1000,
  };
}
