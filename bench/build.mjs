#!/usr/bin/env node
// Bundles the benchmarks with esbuild into bench/dist/ (ignored):
//   bench.js         the Node benchmark (`npm run bench`), run by bench/run.mjs
//   fetch-worker.js  its fetch worker (the bundle spawns "./fetch-worker.js" beside itself)
//   sample-worker.js the CPU executor's sample worker (spawned as "./sample-worker.js" likewise)
//   gpu-bench.js     the GPU benchmark: one file with no imports, for Deno on a GPU machine
//   fetch-worker-deno.js  its fetch worker for Deno. The library's spawner asks for
//                    "./fetch-worker.ts" beside itself when it runs in Deno; in gpu-bench.js that
//                    URL is rewritten to this file (a .ts file here would be type-checked by tsc).
//                    Optional: without it the GPU benchmark reads chunks on the main thread.
// Usage: node bench/build.mjs [--gpu-only]
import { build } from "esbuild";
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "bench", "dist");
const gpuOnly = process.argv.includes("--gpu-only");
const started = Date.now();

const node = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
  // Dawn is a native package; it resolves from node_modules at run time.
  external: ["webgpu"],
  absWorkingDir: root,
  banner: { js: "import { createRequire as __cmCreateRequire } from 'node:module'; const require = __cmCreateRequire(import.meta.url);" },
};

const jobs = [
  // Deno runs this file alone on the GPU machine: everything is inlined, node: built-ins stay
  // as they are (Deno provides them), nothing else may remain as an import.
  build({
    bundle: true,
    platform: "neutral",
    format: "esm",
    target: "es2022",
    logLevel: "warning",
    absWorkingDir: root,
    mainFields: ["module", "main"],
    external: ["node:*"],
    entryPoints: { "gpu-bench": "bench/gpu-bench.ts" },
    outdir,
  }),
  build({
    bundle: true,
    platform: "neutral",
    format: "esm",
    target: "es2022",
    logLevel: "warning",
    absWorkingDir: root,
    mainFields: ["module", "main"],
    external: ["node:*"],
    entryPoints: ["src/worker/fetch-worker.ts"],
    outfile: join(outdir, "fetch-worker-deno.js"),
  }),
];
if (!gpuOnly) {
  jobs.push(build({ ...node, entryPoints: { bench: "bench/main.ts", "fetch-worker": "src/worker/fetch-worker.ts", "sample-worker": "src/engine/sample-worker.ts" }, outdir }));
}
await Promise.all(jobs);

// Point the Deno worker spawner of the GPU bundle at the bundled worker.
const gpuBundle = join(outdir, "gpu-bench.js");
const code = await readFile(gpuBundle, "utf8");
const from = 'new URL("./fetch-worker.ts", import.meta.url)';
const count = code.split(from).length - 1;
if (count !== 1) throw new Error(`expected one ${from} in gpu-bench.js (the library's Deno worker spawner), found ${count}`);
await writeFile(gpuBundle, code.replace(from, 'new URL("./fetch-worker-deno.js", import.meta.url)'));
console.error(`built bench/dist/ (${gpuOnly ? "gpu-bench.js" : "bench.js, fetch-worker.js, sample-worker.js, gpu-bench.js, fetch-worker-deno.js"}) in ${Date.now() - started} ms`);
