/**
 * Figure 3: end-to-end loader throughput on the standard workload (batch 8; raw 128³ at the s0
 * voxel size plus 4 classes of 64³ at twice that; random rotation, mirror and transpose; data
 * served over loopback HTTP), cold (empty cache) and warm (every chunk resident), against the
 * zarrita-only baseline doing the same work.
 * @module
 */
import type { CellMapArray } from "../../src/array/cellmap-array.ts";
import { CellMapDataLoader, CellMapDataset } from "../../src/dataset/index.ts";
import type { WorkerPool } from "../../src/worker/pool.ts";
import { bySize, repeatsFor, type BenchContext } from "../context.ts";
import { CLASSES, LABEL_PREFIX } from "../dataset.ts";
import { fmt, row } from "../lib/report.ts";
import { perSecond, summarize } from "../lib/stats.ts";
import type { Figure, Row } from "../schema.ts";
import { levelBytes, openBaseline, openOurs, runBaseline, runOurs, workloadArrays, workloadBatches, type WorkloadArray, type WorkloadSpec } from "../workload.ts";
import { maxAbsDiff, mismatchFraction } from "./resample.ts";

const MIB = 2 ** 20;

/** Which figure-6 decode rate applies to a level's codec list. */
export function codecName(codecs: readonly string[]): string | undefined {
  const s = codecs.join(" ");
  if (s.includes("blosc(zstd)")) return "blosc-zstd";
  if (s.includes("blosc(lz4)")) return "blosc-lz4";
  if (s.includes("zstd")) return "zstd";
  if (s.includes("gzip")) return "gzip";
  if (!s.includes("blosc")) return "none";
  return undefined;
}

/** Figure 3 on the dataset at `base` (an http URL; `root` is where zarrita reads the same data). */
export async function loaderFigure(ctx: BenchContext, base: string, source: string, pool: WorkerPool): Promise<Figure> {
  const t0 = performance.now();
  const { warmup } = repeatsFor(ctx);
  const repeats = bySize(ctx, { tiny: 2, quick: 3, full: 3 });
  const spec: WorkloadSpec = bySize(ctx, {
    tiny: { rawEdge: 16, batch: 2, batches: 1 },
    quick: { rawEdge: 64, batch: 4, batches: 1 },
    full: { rawEdge: 128, batch: 8, batches: 1 },
  });
  const { arrays, rawLevel, region } = await workloadArrays(base, spec);
  const maxBinding = ctx.gpu ? ctx.gpu.maxStorageBinding : Infinity;
  // Budgets that hold every chunk of the level (so the replay is all hits) where the device allows.
  // Kept below 768 MiB: SwiftShader reads wrong values from a storage binding of exactly its
  // 1 GiB maximum (see bench/README.md).
  const budget = (a: WorkloadArray) => Math.min(levelBytes(a.level), 768 * MIB, maxBinding);
  const baseline = await openBaseline(base, arrays);
  const cold: number[] = [], warm: number[] = [], base_: number[] = [];
  const dlCold: number[] = [], dlWarm: number[] = [];
  const plainCold: number[] = [], plainWarm: number[] = [];
  const warmHit: number[] = [], coldMisses: number[] = [], coldBytes: number[] = [];
  // The CPU executor on the augmented loader: the calling thread (cpuWorkers 0), 1 and 2 sample workers.
  const EXECUTORS = ctx.gpu ? [] : ([0, 1, 2] as const);
  const exec = new Map<number, { cold: number[]; warm: number[] }>(EXECUTORS.map((w) => [w, { cold: [], warm: [] }]));
  let diff: { raw: number; labelMismatch: number } | undefined;
  const perBatch = arrays.map((a) => a.shape[0] * a.shape[1] * a.shape[2]);
  const voxelsPerSample = perBatch.reduce((x, y) => x + y, 0);
  const samples = spec.batch * spec.batches;

  for (let r = 0; r < warmup + repeats; r++) {
    const batches = workloadBatches(region, spec, ctx.seed * 1000 + r);
    let opened: CellMapArray[] = [];
    try {
      opened = await openOurs(arrays, { gpu: ctx.gpu, pool, budget });
      let t = performance.now();
      let first: Float32Array[] = [];
      for (const [k, specs] of batches.entries()) {
        const o = await runOurs(opened, arrays, specs);
        if (k === 0) first = o;
      }
      const coldMs = performance.now() - t;
      const after = opened.map((o) => ({ ...o.stats }));
      t = performance.now();
      for (const specs of batches) await runOurs(opened, arrays, specs);
      const warmMs = performance.now() - t;
      const end = opened.map((o) => o.stats);
      const hits = end.reduce((s, x, i) => s + x.hits - after[i]!.hits, 0);
      const misses = end.reduce((s, x, i) => s + x.misses - after[i]!.misses, 0);
      for (const o of opened) o.destroy();
      opened = [];
      const dl = await dataLoaderEpochs(ctx, base, arrays, spec, pool, budget(arrays[0]!), ctx.seed * 1000 + r, true);
      const plain = await dataLoaderEpochs(ctx, base, arrays, spec, pool, budget(arrays[0]!), ctx.seed * 1000 + r, false);
      const byExecutor = new Map<number, { coldMs: number; warmMs: number }>();
      for (const w of EXECUTORS) byExecutor.set(w, await dataLoaderEpochs(ctx, base, arrays, spec, pool, budget(arrays[0]!), ctx.seed * 1000 + r, true, w));
      t = performance.now();
      let baseFirst: Float32Array[] = [];
      for (const [k, specs] of batches.entries()) {
        const o = await runBaseline(baseline, arrays, specs);
        if (k === 0) baseFirst = o;
      }
      const baseMs = performance.now() - t;
      if (r >= warmup) {
        cold.push(coldMs);
        warm.push(warmMs);
        dlCold.push(dl.coldMs);
        dlWarm.push(dl.warmMs);
        plainCold.push(plain.coldMs);
        plainWarm.push(plain.warmMs);
        for (const [w, t] of byExecutor) {
          exec.get(w)!.cold.push(t.coldMs);
          exec.get(w)!.warm.push(t.warmMs);
        }
        base_.push(baseMs);
        warmHit.push(hits / Math.max(1, hits + misses));
        coldMisses.push(after.reduce((s, x) => s + x.misses, 0));
        coldBytes.push(after.reduce((s, x) => s + x.bytesFetched, 0));
      }
      if (r === warmup + repeats - 1) diff = compare(first, baseFirst);
    } finally {
      for (const o of opened) o.destroy();
    }
  }

  const coldS = perSecond(summarize(cold), samples);
  const warmS = perSecond(summarize(warm), samples);
  const baseS = perSecond(summarize(base_), samples);
  const mvox = (s: typeof coldS) => ({ ...s, median: (s.median * voxelsPerSample) / 1e6, q1: (s.q1 * voxelsPerSample) / 1e6, q3: (s.q3 * voxelsPerSample) / 1e6, min: (s.min * voxelsPerSample) / 1e6, max: (s.max * voxelsPerSample) / 1e6 });
  const misses = summarize(coldMisses).median;
  const fetched = summarize(coldBytes).median;
  const chunkBytes = rawLevel.chunks[0] * rawLevel.chunks[1] * rawLevel.chunks[2];
  const codec = codecName(rawLevel.codecs) ?? "blosc-zstd";
  const floors = floorsMs(ctx, { samples, voxelsPerSample, misses, fetched, chunkBytes, codec, workers: pool.size });
  const coldFloor = Math.max(...Object.values(floors));
  const coldBind = Object.entries(floors).sort((a, b) => b[1] - a[1])[0]![0];
  const warmFloor = Math.max(floors["resample"] ?? 0, floors["readback"] ?? 0);
  const warmBind = (floors["resample"] ?? 0) >= (floors["readback"] ?? 0) ? "resample" : "readback";
  const lim = (name: string, floorMs: number, ms: number) => ({ name: `${name} floor`, value: (samples * 1000) / floorMs, unit: "samples/s", fraction: floorMs / ms });

  const baseRow = row("standard", "zarrita baseline", "samples/s", "higher", baseS, [], { extra: { maxAbsDiffRaw: diff?.raw ?? -1, labelMismatchFraction: diff?.labelMismatch ?? -1 } });
  const coldRow = row("standard, cold cache", "CellMapArray", "samples/s", "higher", coldS, [baseRow], {
    limit: lim(coldBind, coldFloor, summarize(cold).median),
    extra: { chunkMisses: misses, bytesFetched: fetched, ...Object.fromEntries(Object.entries(floors).map(([k, v]) => [`floorMs_${k}`, v])) },
  });
  const warmRow = row("standard, warm cache", "CellMapArray", "samples/s", "higher", warmS, [baseRow], {
    limit: lim(warmBind, warmFloor, summarize(warm).median),
    extra: { warmHitRate: summarize(warmHit).median },
  });
  const dlColdS = perSecond(summarize(dlCold), samples);
  const dlWarmS = perSecond(summarize(dlWarm), samples);
  const dlColdRow = row("standard, cold cache", "CellMapDataLoader", "samples/s", "higher", dlColdS, [baseRow], { limit: lim(coldBind, coldFloor, summarize(dlCold).median) });
  const dlWarmRow = row("standard, warm cache", "CellMapDataLoader", "samples/s", "higher", dlWarmS, [baseRow], { limit: lim(warmBind, warmFloor, summarize(dlWarm).median) });
  const plainColdRow = row("unaugmented, cold cache", "CellMapDataLoader", "samples/s", "higher", perSecond(summarize(plainCold), samples), [{ path: "augmented CellMapDataLoader", value: dlColdS }], { limit: lim(coldBind, coldFloor, summarize(plainCold).median) });
  const plainWarmRow = row("unaugmented, warm cache", "CellMapDataLoader", "samples/s", "higher", perSecond(summarize(plainWarm), samples), [{ path: "augmented CellMapDataLoader", value: dlWarmS }], { limit: lim(warmBind, warmFloor, summarize(plainWarm).median) });
  const baseMv = row("standard", "zarrita baseline", "Mvox/s", "higher", mvox(baseS));
  // The executor rows: cold (first epoch) and warm (second epoch), each against the calling thread
  // and, for 2 workers, against 1 (the scaling from 1 to 2 cores).
  const execRows: Row[] = [];
  let scaling: number | undefined;
  for (const phase of ["cold", "warm"] as const) {
    const label = phase === "cold" ? "augmented, cold cache (first epoch)" : "augmented, warm cache (later epoch)";
    const named = (w: number) => (w === 0 ? "CellMapDataLoader, calling thread (cpuWorkers 0)" : `CellMapDataLoader, ${w} sample worker${w > 1 ? "s" : ""}`);
    const made = new Map<number, Row>();
    for (const w of EXECUTORS) {
      const against = [...(w === 2 && made.has(1) ? [made.get(1)!] : []), ...(w > 0 && made.has(0) ? [made.get(0)!] : [])];
      const r = row(label, named(w), "samples/s", "higher", perSecond(summarize(exec.get(w)![phase]), samples), against);
      made.set(w, r);
      execRows.push(r);
      if (phase === "warm" && w === 2 && made.has(1)) scaling = r.ratios[0]!.ratio;
    }
  }
  const rows: Row[] = [
    coldRow,
    warmRow,
    dlColdRow,
    dlWarmRow,
    plainColdRow,
    plainWarmRow,
    ...execRows,
    baseRow,
    row("standard, cold cache", "CellMapArray", "Mvox/s", "higher", mvox(coldS), [baseMv]),
    row("standard, warm cache", "CellMapArray", "Mvox/s", "higher", mvox(warmS), [baseMv]),
    row("standard, cold cache", "CellMapDataLoader", "Mvox/s", "higher", mvox(dlColdS), [baseMv]),
    row("standard, warm cache", "CellMapDataLoader", "Mvox/s", "higher", mvox(dlWarmS), [baseMv]),
    baseMv,
  ];
  const warmRatio = warmRow.ratios[0]!.ratio;
  const dlWarmRatio = dlWarmRow.ratios[0]!.ratio;
  const notes = [
    `CellMapArray: per batch, one sample() per array (5 calls, run together), augmentation = uniform random rotation x mirror x axis permutation drawn here; CellMapDataLoader: CellMapDataset (raw input, 4-class target) with spatial transforms mirror z/y/x 0.5, transpose z/y/x, rotate z/y/x in [-180, 180] degrees, one epoch of ${spec.batches} batch(es); unaugmented: the same dataset without spatial transforms (compared with the augmented loader). ${spec.batches} batch(es) of ${spec.batch} per timed run; cold = freshly opened arrays (empty chunk caches; files in the OS page cache), warm = the same batches again (CellMapArray warm hit rate ${fmt(100 * summarize(warmHit).median)}%).`,
    `device: ${ctx.gpu ? `gpu (${ctx.gpu.adapterInfo.description || ctx.gpu.adapterInfo.architecture}${ctx.gpu.isSoftware ? ", software" : ""})` : "cpu twin (no GPU), on the CPU executor's default sample workers (one per core) unless a row names cpuWorkers"}; fetch workers: ${pool.size || "in-process"}.`,
    `limit: the largest of http (bytes fetched at figure 6's chunked rate), decode (${codec} at figure 6's rate x ${Math.max(1, Math.min(pool.size, ctx.cpus))} workers), resample (5 bytes per output voxel at the ${ctx.gpu ? "GPU copy" : "memory"} bandwidth) and readback; cold binds on ${coldBind}, warm on ${warmBind}.`,
    `check: the first batch of ours and the baseline agree to ${fmt(diff?.raw ?? NaN)} on raw (max |diff|) and ${fmt(100 * (diff?.labelMismatch ?? NaN))}% of label voxels (nearest ties).`,
  ];
  if (ctx.mode !== "full") notes.push(`${ctx.mode} mode scales the workload down (raw ${spec.rawEdge}³, batch ${spec.batch}); run without --quick for the standard workload.`);
  return {
    id: 3,
    key: "loader",
    title: "End-to-end loader throughput (samples/s and output Mvox/s, higher is better)",
    workload: `${source}; batch ${spec.batch}; raw ${spec.rawEdge}³ at ${rawLevel.scale.join("x")} nm + mito, er, nucleus, ves ${spec.rawEdge / 2}³ at twice that; random rotation/mirror/transpose; raw ${rawLevel.shape.join("x")} in ${rawLevel.chunks.join("x")} chunks (${rawLevel.codecs.join(", ")})`,
    rows,
    targets: [
      { name: "warm-cache throughput (CellMapArray)", goal: ">= 10x the zarrita-only baseline", measured: `${fmt(warmRatio)}x`, met: warmRatio >= 10 },
      { name: "warm-cache throughput (CellMapDataLoader)", goal: ">= 10x the zarrita-only baseline", measured: `${fmt(dlWarmRatio)}x`, met: dlWarmRatio >= 10 },
      ...(scaling === undefined ? [] : [{ name: "CPU executor scaling, warm loader", goal: ">= 1.8x from 1 to 2 sample workers", measured: `${fmt(scaling)}x`, met: scaling >= 1.8 }]),
    ],
    notes,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** One epoch of the dataset API on freshly opened arrays (cold), then the same epoch again (warm). */
async function dataLoaderEpochs(ctx: BenchContext, base: string, arrays: WorkloadArray[], spec: WorkloadSpec, pool: WorkerPool, cacheBytes: number, seed: number, augment: boolean, cpuWorkers?: number): Promise<{ coldMs: number; warmMs: number }> {
  const raw = arrays[0]!;
  const label = arrays[1]!;
  const ds = await CellMapDataset.open({
    inputPath: raw.location,
    targetPath: `${base}/${LABEL_PREFIX}/[${CLASSES.join(",")}]`,
    classes: [...CLASSES],
    inputArrays: { raw: { shape: raw.shape, scale: raw.scale } },
    targetArrays: { gt: { shape: label.shape, scale: label.scale } },
    ...(augment
      ? {
        spatialTransforms: {
          mirror: { axes: { z: 0.5, y: 0.5, x: 0.5 } },
          transpose: { axes: ["z", "y", "x"] },
          rotate: { axes: { z: [-180, 180], y: [-180, 180], x: [-180, 180] } },
        },
      }
      : {}),
    isTrain: true,
    ...(ctx.gpu ? { gpu: ctx.gpu } : { device: "cpu" as const }),
    pool,
    cacheBytes,
    seed,
    ...(cpuWorkers === undefined ? {} : { cpuWorkers }),
  });
  try {
    const loader = new CellMapDataLoader(ds, { batchSize: spec.batch, iterationsPerEpoch: spec.batches, seed });
    const epoch = async () => {
      const t = performance.now();
      let n = 0;
      for await (const b of loader) {
        n += b.idx.length;
        b.release();
      }
      if (n !== spec.batch * spec.batches) throw new Error(`the data loader gave ${n} samples, expected ${spec.batch * spec.batches}`);
      return performance.now() - t;
    };
    const coldMs = await epoch();
    const warmMs = await epoch();
    return { coldMs, warmMs };
  } finally {
    ds.destroy();
  }
}

function compare(ours: Float32Array[], base: Float32Array[]): { raw: number; labelMismatch: number } {
  const labels = ours.slice(1).map((a, i) => mismatchFraction(a, base[i + 1]!, 0));
  return { raw: maxAbsDiff(ours[0]!, base[0]!), labelMismatch: labels.reduce((x, y) => x + y, 0) / Math.max(1, labels.length) };
}

/** Time floors (ms per run) from the figure-6 limits. */
function floorsMs(ctx: BenchContext, w: { samples: number; voxelsPerSample: number; misses: number; fetched: number; chunkBytes: number; codec: string; workers: number }): Record<string, number> {
  const L = ctx.limits;
  const out: Record<string, number> = {};
  const voxels = w.samples * w.voxelsPerSample;
  out["http"] = (w.fetched / L.httpChunked) * 1000;
  const decode = L.decode[w.codec];
  if (decode) out["decode"] = ((w.misses * w.chunkBytes) / (decode * Math.max(1, Math.min(w.workers, ctx.cpus)))) * 1000;
  const traffic = ctx.gpu ? L.gpuTraffic : 2 * L.memcpy;
  if (traffic) out["resample"] = ((voxels * 5) / traffic) * 1000;
  out["readback"] = ((voxels * 4) / L.memcpy) * 1000;
  return out;
}
