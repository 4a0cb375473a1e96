#!/usr/bin/env node
// The layers of src/, lowest first, and a check that no import points up: every relative import
// in src/ goes to a folder of a lower layer, or stays in its own folder. Imports that break the
// rule today are listed in KNOWN, each to go when the kernels move into src/kernels/ (issue
// "Kernels as contracts"); the check fails on any other, and on a KNOWN one that is gone (so the
// list only shrinks). Also reports cycles between folders. Usage: node scripts/check-layers.mjs
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");

/**
 * Layers, lowest first (docs/architecture.md, "Layers"). A folder imports only from folders of
 * lower layers: two folders of one layer do not import each other.
 */
export const LAYERS = [
  ["abort.ts"],
  ["errors.ts"],
  ["ngff", "geometry", "store", "io", "serve", "kernels"],
  ["augment", "zarr-write", "arguments.ts"],
  ["reference", "gpu", "worker", "sample-data"],
  ["array"],
  ["dataset"],
  ["viz"],
  ["cli"],
  ["cli.ts", "index.ts", "entries"],
];

/** Imports that point up today, as "from-folder -> to-folder: file". */
export const KNOWN = new Set([
  // The GPU hosts in src/kernels sit above the device runtime (src/gpu), until kernel files are
  // layered by role.
  "kernels -> gpu: src/kernels/cellpose/gpu.ts",
  "kernels -> gpu: src/kernels/cellpose/gpu-pipelines.ts",
  "kernels -> gpu: src/kernels/distance/gpu.ts",
  "kernels -> gpu: src/kernels/labels/gpu.ts",
  "kernels -> gpu: src/kernels/value-transforms/gpu.ts",
  "kernels -> gpu: src/kernels/value-transforms/gpu-passes.ts",
  "kernels -> gpu: src/kernels/value-transforms/gpu-plan.ts",
  "kernels -> gpu: src/kernels/value-transforms/gpu-record.ts",
  "gpu -> array: src/gpu/resample.ts",
  "reference -> array: src/reference/resample-source.ts",
  "reference -> array: src/reference/resample-permuted.ts",
  "reference -> gpu: src/reference/resample-permuted.ts",
  "reference -> gpu: src/reference/resample-field.ts",
  "reference -> gpu: src/reference/resample-source.ts",
  "reference -> gpu: src/reference/resample.ts",
  "worker -> array: src/worker/chunk-reader.ts",
]);

const rank = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i])));

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

/** The top-level unit of src/ a file belongs to: its folder, or the file itself at the top. */
function unit(file) {
  return relative(src, file).split(sep)[0];
}

export function check() {
  const problems = [];
  const seen = new Set();
  const edges = new Map();
  for (const file of files(src)) {
    const from = unit(file);
    if (!rank.has(from)) problems.push(`${relative(root, file)}: ${from} is in no layer; add it to LAYERS`);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
      const target = resolve(dirname(file), m[1]);
      if (!target.startsWith(src)) continue;
      const to = unit(target);
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from).add(to);
      if ((rank.get(to) ?? -1) < (rank.get(from) ?? Infinity)) continue;
      const key = `${from} -> ${to}: ${relative(root, file)}`;
      if (KNOWN.has(key)) seen.add(key);
      else problems.push(`${key} points up (${to} is in layer ${rank.get(to)}, ${from} in layer ${rank.get(from)})`);
    }
  }
  for (const key of KNOWN) if (!seen.has(key)) problems.push(`${key} is gone: remove it from KNOWN`);
  return { problems, cycles: cycles(edges) };
}

/** Folder cycles (strongly connected components of more than one folder), Tarjan's algorithm. */
function cycles(edges) {
  let index = 0;
  const idx = new Map(), low = new Map(), stack = [], on = new Set(), out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) visit(v);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { problems, cycles: found } = check();
  for (const c of found) console.log(`folder cycle (through known upward imports): ${c.join(", ")}`);
  for (const p of problems) console.log(p);
  if (problems.length) process.exit(1);
  console.log(`layers ok (${KNOWN.size} known upward imports left)`);
}
