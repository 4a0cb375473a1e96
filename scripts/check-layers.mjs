#!/usr/bin/env node
// The layers of src/, lowest first, and a check that no import points up: every relative import
// in src/ goes to a unit of a lower layer, or stays in its own unit. A unit is a top-level folder
// or file of src/, except in src/kernels/, where a file's role decides: the kernel contracts
// (`layout.ts`, `<kernel>/contract*.ts`, `<kernel>/shader.gen.ts`), the CPU twins
// (`<kernel>/twin*.ts`) and the GPU hosts (`<kernel>/gpu*.ts`) are three units of three layers.
// Imports that break the rule today are listed in KNOWN, each to go when its kernel moves into
// src/kernels/; the check fails on any other, and on a KNOWN one that is gone (so the list only
// shrinks). Also reports cycles between units. Usage: node scripts/check-layers.mjs
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");

/**
 * Layers, lowest first (docs/architecture.md, "Layers"). A unit imports only from units of lower
 * layers: two units of one layer do not import each other.
 */
export const LAYERS = [
  ["abort.ts"],
  ["errors.ts"],
  // Pure leaves, then the kernel contracts, then the CPU twins (which import only those below).
  ["ngff", "geometry", "store", "io", "serve"],
  ["kernels/contract"],
  ["kernels/twin"],
  ["augment", "zarr-write", "arguments.ts"],
  // The device runtime sits below the kernel hosts and the array, which own device buffers.
  ["gpu"],
  ["kernels/gpu"],
  ["worker", "sample-data"],
  // The CPU executor: sample workers running the twins over a shared chunk cache.
  ["engine"],
  ["array"],
  // The batch engine: a batch's plan (data) and the CPU and GPU executors that run it.
  ["batch"],
  ["dataset"],
  ["viz"],
  ["cli"],
  ["cli.ts", "index.ts", "entries"],
];

/**
 * Imports that are refused even though they point down: a GPU host takes what it shares with
 * its CPU twin from the kernel's contract, never from the twin.
 */
const REFUSED = new Map([["kernels/gpu -> kernels/twin", "a GPU host imports its kernel's contract, not the CPU twin"]]);

/**
 * Imports allowed to point up, as "from-unit -> to-unit: file". Empty: every kernel lives in
 * src/kernels/ by role. An entry would have to say why; the check fails on one that no longer
 * occurs, so the list cannot go stale.
 */
export const KNOWN = new Set([]);

const rank = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i])));

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

const ROLES = [
  ["kernels/contract", /^(contract(-[a-z0-9-]+)?|shader\.gen)\.ts$/],
  ["kernels/twin", /^twin(-[a-z0-9-]+)?\.ts$/],
  ["kernels/gpu", /^gpu(-[a-z0-9-]+)?\.ts$/],
];

/**
 * The unit of src/ a file belongs to: its top-level folder, or the file itself at the top; in
 * src/kernels/, its role (`kernels/contract`, `kernels/twin`, `kernels/gpu`), or `kernels/?` for
 * a file whose name gives none.
 */
export function unit(file) {
  const parts = relative(src, file).split(sep);
  if (parts[0] !== "kernels") return parts[0];
  if (parts.length === 2 && parts[1] === "layout.ts") return "kernels/contract";
  if (parts.length === 3) for (const [role, name] of ROLES) if (name.test(parts[2])) return role;
  return "kernels/?";
}

export function check() {
  const problems = [];
  const seen = new Set();
  const edges = new Map();
  for (const file of files(src)) {
    const from = unit(file);
    if (from === "kernels/?") {
      problems.push(`${relative(root, file)}: a file of src/kernels/<kernel>/ is a contract (contract*.ts, shader.gen.ts), a CPU twin (twin*.ts) or a GPU host (gpu*.ts); name it for its role`);
    } else if (!rank.has(from)) problems.push(`${relative(root, file)}: ${from} is in no layer; add it to LAYERS`);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
      const target = resolve(dirname(file), m[1]);
      if (!target.startsWith(src)) continue;
      const to = unit(target);
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from).add(to);
      const refused = REFUSED.get(`${from} -> ${to}`);
      if (refused === undefined && (rank.get(to) ?? -1) < (rank.get(from) ?? Infinity)) continue;
      const key = `${from} -> ${to}: ${relative(root, file)}`;
      if (KNOWN.has(key)) seen.add(key);
      else if (refused !== undefined) problems.push(`${key}: ${refused}`);
      else problems.push(`${key} points up (${to} is in layer ${rank.get(to)}, ${from} in layer ${rank.get(from)})`);
    }
  }
  for (const key of KNOWN) if (!seen.has(key)) problems.push(`${key} is gone: remove it from KNOWN`);
  return { problems, cycles: cycles(edges) };
}

/** Unit cycles (strongly connected components of more than one unit), Tarjan's algorithm. */
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
  for (const c of found) console.log(`unit cycle (through known upward imports): ${c.join(", ")}`);
  for (const p of problems) console.log(p);
  if (problems.length) process.exit(1);
  console.log(`layers ok (${KNOWN.size} known upward imports left)`);
}
