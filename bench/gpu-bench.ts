/**
 * The GPU benchmark: bundled by bench/build.mjs into bench/dist/gpu-bench.js (one file, no
 * imports but Deno's node: built-ins), run by Deno on a headless GPU machine (bench/README.md has
 * the runbook). Prints the adapter first, then figures 2, 3 and 6 of the suite and figure 7 (the
 * kernel against the device-memory bandwidth floor).
 *
 *   deno run -A bench/dist/gpu-bench.js [--quick] [--json] [--out=<dir>] [--figures=2,3,6,7]
 * @module
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GpuContext } from "../src/gpu/context.ts";
import { RAISED_LIMITS, requestAdapter } from "../src/gpu/request-device.ts";
import type { Mode } from "./context.ts";
import { kernelFigure } from "./figures/kernel.ts";
import { resultTable } from "./lib/report.ts";
import { runSuite } from "./suite.ts";

declare const Deno: { args: string[]; exit(code: number): never } | undefined;

function args(): string[] {
  const g = globalThis as { Deno?: { args: string[] }; process?: { argv: string[] } };
  return (g.Deno?.args ?? g.process?.argv.slice(2) ?? []).filter((a) => a !== "--");
}

async function makeGpu(): Promise<GpuContext> {
  const adapter = await requestAdapter({ powerPreference: "high-performance" });
  const info = adapter.info;
  const supported = adapter.limits as unknown as Record<string, number | undefined>;
  console.log(`adapter: vendor=${info.vendor} architecture=${info.architecture} device=${info.device} description=${info.description} fallback=${String((info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false)}`);
  console.log(`adapter limits: maxStorageBufferBindingSize=${supported["maxStorageBufferBindingSize"]} maxBufferSize=${supported["maxBufferSize"]} features=${[...adapter.features].sort().join(",")}`);
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const v = supported[name];
    if (v !== undefined) requiredLimits[name] = v;
  }
  const requiredFeatures: GPUFeatureName[] = adapter.features.has("timestamp-query") ? ["timestamp-query"] : [];
  const device = await adapter.requestDevice({ label: "gpu-bench", requiredLimits, requiredFeatures });
  return GpuContext.fromDevice(device, { label: "gpu-bench" });
}

async function run(): Promise<void> {
  const a = args();
  let mode: Mode = "full";
  let figures = [2, 3, 6, 7];
  let out: string | undefined;
  let cache = "bench/dist/data";
  let json = false;
  for (const x of a) {
    const [k, v = ""] = x.split("=", 2) as [string, string?];
    if (k === "--quick") mode = "quick";
    else if (k === "--tiny") mode = "tiny";
    else if (k === "--json") json = true;
    else if (k === "--out") out = v;
    else if (k === "--cache") cache = v;
    else if (k === "--figures") figures = v.split(",").map(Number);
    else throw new Error(`unknown argument ${x}`);
  }
  // The fetch worker for Deno is bundled beside this file; without it, chunks are read in-process.
  const here = import.meta.url.startsWith("file:") ? fileURLToPath(import.meta.url) : "";
  const hasWorker = here !== "" && existsSync(join(here, "..", "fetch-worker-deno.js"));
  const result = await runSuite({
    mode,
    figures: figures.filter((f) => f >= 1 && f <= 6),
    cacheDir: resolve(cache),
    useGpu: true,
    seed: 1,
    log: (line) => console.error(`[gpu-bench] ${line}`),
    makeGpu,
    ...(hasWorker ? {} : { workers: 0 }),
    extra: async (ctx) => (figures.includes(7) && ctx.gpu ? [await kernelFigure(ctx)] : []),
  }, `deno run -A bench/dist/gpu-bench.js ${a.join(" ")}`.trim());
  if (out) {
    await mkdir(out, { recursive: true });
    const file = join(out, `${result.startedAt.replace(/[:.]/g, "-")}-gpu-${mode}.json`);
    await writeFile(file, JSON.stringify(result, null, 2) + "\n");
    console.error(`[gpu-bench] wrote ${file}`);
  }
  console.log(json ? JSON.stringify(result, null, 2) : resultTable(result));
}

run().then(
  () => (typeof Deno !== "undefined" ? Deno.exit(0) : process.exit(0)),
  (e) => {
    console.error(e);
    if (typeof Deno !== "undefined") Deno.exit(1);
    else process.exit(1);
  },
);
