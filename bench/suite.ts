/**
 * The benchmark suite as a function: set up the GPU, the dataset, its loopback server and the
 * worker pool, measure the limits (figure 6) first, then the chosen figures.
 * @module
 */
import { loadavg } from "node:os";
import { GpuContext } from "../src/gpu/context.ts";
import { serveStatic, type StaticServer } from "../src/serve/static-server.ts";
import { WorkerPool } from "../src/worker/pool.ts";
import type { BenchContext, BenchOptions, Mode } from "./context.ts";
import { ensureDataset, STANDARD_DATASET, type Dataset, type DatasetSpec } from "./dataset.ts";
import { concurrencyFigure } from "./figures/concurrency.ts";
import { limitsFigure } from "./figures/limits.ts";
import { loaderFigure } from "./figures/loader.ts";
import { memoryFigure } from "./figures/memory.ts";
import { resampleFigure } from "./figures/resample.ts";
import { transformFigure } from "./figures/transform.ts";
import { adapterInfo, envInfo } from "./lib/env.ts";
import { SCHEMA, type BenchResult, type Figure } from "./schema.ts";

/** The generated dataset of each mode. */
export function datasetFor(mode: Mode): DatasetSpec {
  return { ...STANDARD_DATASET, ...{ tiny: { size: 64, chunk: 16 }, quick: { size: 256 }, full: {} }[mode] };
}

/** Run the suite; `command` is recorded as given. */
export async function runSuite(options: BenchOptions, command: string): Promise<BenchResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadStart = loadavg();
  const log = options.log;
  let gpu: GpuContext | undefined;
  if (options.useGpu) {
    try {
      gpu = options.makeGpu ? await options.makeGpu() : await GpuContext.create({ label: "bench" });
      log(`gpu: ${Object.values(gpu.adapterInfo).filter(Boolean).join(" / ")}${gpu.isSoftware ? " (software)" : ""}`);
    } catch (e) {
      log(`no GPU (${(e as Error).message.split("\n")[0]}); WGSL rows are skipped`);
    }
  }
  const env = envInfo();
  const pool = await WorkerPool.create(options.workers === undefined ? {} : { size: options.workers });
  let server: StaticServer | undefined;
  const figures: Figure[] = [];
  try {
    const want = new Set(options.figures);
    log("figure 6: limits ...");
    const { figure: limitsFig, limits } = await limitsFigure({ ...options, gpu, cpus: env.cpus });
    const ctx: BenchContext = { ...options, gpu, limits, cpus: env.cpus };

    // data: generated and served, or the user's
    const needsData = [2, 4, 5].some((f) => want.has(f)) || (want.has(3) && !options.data);
    let dataset: Dataset | undefined;
    let base = "";
    let source = "";
    if (needsData) {
      dataset = await ensureDataset(options.cacheDir, datasetFor(options.mode), log);
      server = await serveStatic({ root: dataset.dir });
      base = `${server.url}/${dataset.zarr}`;
      source = `generated ${dataset.spec.size}³ (seed ${dataset.spec.seed}) over loopback HTTP`;
    }
    let loaderBase = base;
    let loaderSource = source;
    let userServer: StaticServer | undefined;
    if (options.data) {
      if (/^https?:\/\//.test(options.data)) {
        loaderBase = options.data.replace(/\/+$/, "");
      } else {
        userServer = await serveStatic({ root: options.data });
        loaderBase = userServer.url;
      }
      loaderSource = `--data ${options.data}${userServer ? " over loopback HTTP" : ""}`;
    }
    try {
      const run = async (id: number, name: string, f: () => Promise<Figure>) => {
        if (!want.has(id)) return;
        log(`figure ${id}: ${name} ...`);
        figures.push(await f());
      };
      // Memory first, while the process is small; the table lists figures by number.
      await run(4, "memory", () => memoryFigure(ctx, base, pool));
      await run(1, "transform cost", () => transformFigure(ctx));
      await run(2, "resample throughput", () => resampleFigure(ctx, dataset!, pool));
      await run(3, "loader throughput", () => loaderFigure(ctx, loaderBase, loaderSource, pool));
      await run(5, "concurrency", () => concurrencyFigure(ctx, base));
      if (want.has(6)) figures.push(limitsFig);
      figures.sort((a, b) => a.id - b.id);
      if (options.extra) figures.push(...(await options.extra(ctx)));
    } finally {
      await userServer?.close();
    }
    return {
      schema: SCHEMA,
      startedAt,
      command,
      quick: options.mode !== "full",
      mode: options.mode,
      env: { ...env, loadAverage: { start: loadStart, end: loadavg() } },
      adapter: gpu ? adapterInfo(gpu) : null,
      dataset: dataset
        ? { source: options.data ? `${loaderSource} (figure 3); ${source} (figures 2, 4, 5)` : source, generated: true, details: { size: dataset.spec.size, chunk: dataset.spec.chunk, voxelNm: dataset.spec.voxel, rawStoredBytes: dataset.rawBytes, labelStoredBytes: dataset.labelBytes, generatedSeconds: dataset.generatedSeconds } }
        : { source: options.data ? loaderSource : "none (figures 1 and 6 only)", generated: false, details: {} },
      figures,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await server?.close();
    pool.terminate();
    gpu?.destroy();
  }
}
