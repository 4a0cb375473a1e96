#!/usr/bin/env node
// Builds into dist/:
//   dist/esm/**/*.js, dist/esm/**/*.d.ts  what the package exports, in every runtime, and the
//       command line (dist/esm/cli.js, run by bin/cellmap-data.js): one ES module and one
//       declaration file per source file (tsc, tsconfig.build.json).
//   dist/index.js, dist/fetch-worker.js, dist/sample-worker.js  Node bundles of the library, its
//       fetch worker and its CPU executor's sample worker, for this repository's tests and tools
//       (Node's worker_threads cannot run the TypeScript sources, so workers spawned from src/
//       run dist/fetch-worker.js and dist/sample-worker.js); not shipped.
// In both, the worker spawners' `new URL("./fetch-worker.ts", import.meta.url)` and
// `new URL("./sample-worker.ts", import.meta.url)` (right for the sources) become "./….js", the
// file beside them in the build.
// Usage: node scripts/build.mjs [--node-only]   (--node-only: the bundles, without dist/esm)
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const nodeOnly = process.argv.includes("--node-only");
const started = Date.now();

const WORKERS = ["fetch-worker", "sample-worker"];
const workerUrl = (name, ext) => `new URL("./${name}.${ext}", import.meta.url)`;

/** Point the spawner of each of `workers` in `file` at the built worker; each must be there exactly once. */
async function rewriteWorkerUrl(file, workers = WORKERS) {
  let code = await readFile(file, "utf8");
  for (const name of workers) {
    const source = workerUrl(name, "ts");
    const count = code.split(source).length - 1;
    if (count !== 1) throw new Error(`expected one ${source} in ${file} (the worker spawner), found ${count}`);
    code = code.replace(source, workerUrl(name, "js"));
  }
  await writeFile(file, code);
}

async function nodeBundles() {
  // Source maps of earlier builds (they are not shipped).
  for (const file of await readdir(dist).catch(() => [])) if (file.endsWith(".map")) await rm(join(dist, file));
  const entries = { index: "src/index.ts", "fetch-worker": "src/worker/fetch-worker.ts", "sample-worker": "src/engine/sample-worker.ts" };
  // No code splitting: the worker URL is resolved from import.meta.url, which must be a file in dist/.
  await build({
    entryPoints: entries,
    outdir: dist,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    // Native / platform packages stay external and resolve from node_modules.
    external: ["webgpu"],
    absWorkingDir: root,
    banner: { js: "import { createRequire as __cmCreateRequire } from 'node:module'; const require = __cmCreateRequire(import.meta.url);" },
  });
  await rewriteWorkerUrl(join(dist, "index.js"));
  // The command line was bundled here before it moved to dist/esm.
  await rm(join(dist, "cli.js"), { force: true });
  return Object.keys(entries).map((name) => `${name}.js`);
}

async function* walk(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

async function modulesAndDeclarations() {
  const out = join(dist, "esm");
  await rm(out, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit", cwd: root });
  // tsc rewrites ".ts" import specifiers in the JavaScript but not in the declarations.
  const relativeTs = /((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']*?)\.ts(["'])/g;
  let declarations = 0;
  for await (const file of walk(out)) {
    if (!file.endsWith(".d.ts")) continue;
    declarations++;
    const code = await readFile(file, "utf8");
    const fixed = code.replace(relativeTs, "$1$2.js$3");
    if (fixed !== code) await writeFile(file, fixed);
  }
  // Consumers of any entry get the WebGPU types (GPUDevice, GPUBuffer, ...) with ours, without
  // configuring them.
  const entries = ["index.d.ts", ...["kernels", "reference", "zarr", "npy"].map((name) => join("entries", `${name}.d.ts`))];
  for (const entry of entries) {
    const file = join(out, entry);
    await writeFile(file, `/// <reference types="@webgpu/types" />\n${await readFile(file, "utf8")}`);
  }
  await rewriteWorkerUrl(join(out, "worker", "spawn.js"), ["fetch-worker"]);
  await rewriteWorkerUrl(join(out, "engine", "spawn-sample-worker.js"), ["sample-worker"]);
  return declarations;
}

const [bundles, declarations] = await Promise.all([nodeBundles(), nodeOnly ? Promise.resolve(0) : modulesAndDeclarations()]);
console.log(
  `built dist/ (${bundles.join(", ")}${nodeOnly ? "" : `, esm/ with ${declarations} declaration files`}) in ${Date.now() - started} ms`,
);
