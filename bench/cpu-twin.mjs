#!/usr/bin/env node
// `node bench/cpu-twin.mjs [--quick]`: bundle bench/cpu-twin.ts with esbuild into bench/dist/ and
// run it: the CPU resample twin against its previous implementation, side by side (README.md).
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(root, "bench", "dist", "cpu-twin.js");
await build({
  entryPoints: [join(root, "bench", "cpu-twin.ts")],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
  outfile,
});
const run = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: "inherit", cwd: root });
process.exit(run.status ?? 1);
