#!/usr/bin/env node
// Node entry of scripts/make-sample-data.ts (same options): Node 20 cannot run TypeScript, so
// this bundles that script with esbuild into a temporary file and runs it. Under Deno it imports
// the TypeScript directly.
//
//   node scripts/make-sample-data.mjs [--out data] [--seed 1] [--name sample] [--size 96,192,192]
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, "make-sample-data.ts");

if ("Deno" in globalThis) {
  await import(pathToFileURL(script).href);
} else {
  const { build } = await import("esbuild");
  const { mkdtemp, rm, writeFile } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const result = await build({
    entryPoints: [script],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    logLevel: "warning",
    absWorkingDir: join(here, ".."),
  });
  const dir = await mkdtemp(join(tmpdir(), "make-sample-data-"));
  const file = join(dir, "make-sample-data.mjs");
  await writeFile(file, result.outputFiles[0].contents);
  process.on("exit", () => {
    rm(dir, { recursive: true, force: true }).catch(() => {});
  });
  await import(pathToFileURL(file).href);
}
