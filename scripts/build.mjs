#!/usr/bin/env node
// Bundles the Node entry points into dist/ with esbuild: the library, the fetch worker
// (Node's worker_threads cannot run TypeScript) and the command line.
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
  // Native / platform packages stay external and resolve from node_modules.
  external: ["webgpu"],
  absWorkingDir: root,
  banner: { js: "import { createRequire as __cmCreateRequire } from 'node:module'; const require = __cmCreateRequire(import.meta.url);" },
};
const entries = {
  index: "src/index.ts",
  "fetch-worker": "src/worker/fetch-worker.ts",
  cli: "src/cli.ts",
};
const started = Date.now();
// No code splitting: the worker URL is resolved from import.meta.url, which must be a file in dist/.
await build({ ...common, entryPoints: entries, outdir: join(root, "dist") });
console.log(`built dist/ (${Object.keys(entries).join(", ")}) in ${Date.now() - started} ms`);
