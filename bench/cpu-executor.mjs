#!/usr/bin/env node
// `node bench/cpu-executor.mjs [--quick] [--workers=1,2]`: bundle bench/cpu-executor.ts and the
// sample worker with esbuild into bench/dist/ and run it: the CPU executor against the CPU twin
// on the calling thread, side by side (README.md).
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "bench", "dist");
await build({
  entryPoints: { "cpu-executor": join(root, "bench", "cpu-executor.ts"), "sample-worker": join(root, "src", "engine", "sample-worker.ts") },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
  outdir,
});
const run = spawnSync(process.execPath, [join(outdir, "cpu-executor.js"), ...process.argv.slice(2)], { stdio: "inherit", cwd: root });
process.exit(run.status ?? 1);
