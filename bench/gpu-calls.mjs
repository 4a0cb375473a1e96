#!/usr/bin/env node
// `node bench/gpu-calls.mjs [--batches=<n>] [--batch=<n>]`: bundle bench/gpu-calls.ts with esbuild into bench/dist/ and
// run it: the GPU calls per loader batch (README.md).
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(root, "bench", "dist", "gpu-calls.js");
await build({
  entryPoints: [join(root, "bench", "gpu-calls.ts")],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
  outfile,
});
const run = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: "inherit", cwd: root });
process.exit(run.status ?? 1);
