#!/usr/bin/env node
// `npm run bench`: bundle the benchmark (bench/build.mjs) and run it in a fresh Node process with
// --expose-gc (figure 4 collects garbage between runs). Arguments pass through, e.g.
// `npm run bench -- --quick`. See bench/README.md.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const built = spawnSync(process.execPath, [join(root, "bench", "build.mjs")], { stdio: "inherit", cwd: root });
if (built.status !== 0) process.exit(built.status ?? 1);
// Vulkan's window-system code complains on every instance when this is unset (headless machines).
const env = { ...process.env, CELLMAP_BENCH_MAIN: "1" };
if (!env.XDG_RUNTIME_DIR) env.XDG_RUNTIME_DIR = "/tmp";
const run = spawnSync(process.execPath, ["--expose-gc", join(root, "bench", "dist", "bench.js"), ...process.argv.slice(2)], { stdio: "inherit", cwd: root, env });
process.exit(run.status ?? 1);
