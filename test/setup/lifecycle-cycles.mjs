// Run by test/lifecycle.test.ts in a Node process of its own (with --expose-gc), over the built
// library: open-sample-destroy cycles and aborted ones against a loopback URL, then print what
// the process holds (handles by kind, resident and heap memory) before and after, as JSON.
import { CellMapArray, WorkerPool, isCellMapError } from "../../dist/index.js";

const url = process.argv[2];
const cycles = Number(process.argv[3] ?? 100);
const SPECS = [{ center: [40, 30, 60] }, { center: [120, 120, 180] }];
const OPTS = { shape: [8, 12, 12], scale: [6, 4, 4], interp: "nearest" };

function handles() {
  const out = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}
async function settle() {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 20));
  globalThis.gc();
  await new Promise((r) => setTimeout(r, 20));
  globalThis.gc();
}
const pool = await WorkerPool.create({ size: 1 });
async function cycle(abortAfter, own) {
  const arr = await CellMapArray.open(url, { device: "cpu", cacheBytes: 1 << 16, ...(own ? { workers: 1 } : { pool }) });
  const ac = new AbortController();
  const p = arr.sample(SPECS, { ...OPTS, signal: ac.signal });
  if (abortAfter !== undefined) setTimeout(() => ac.abort(), abortAfter);
  const r = await p.then(() => "ok", (e) => e);
  if (r !== "ok" && !isCellMapError(r, "aborted")) throw r;
  arr.destroy();
  return r === "ok" ? "ok" : "aborted";
}
// Warm-up: V8's heap reservation, the allocator and the worker's wasm memory grow to their working
// size over the first few hundred cycles (RSS: +24 MB over the first 50, +17 MB from 200 to 400,
// then flat), though the JavaScript heap in use stays flat throughout.
const warmup = Number(process.env.WARMUP ?? 300);
for (let i = 0; i < warmup; i++) await cycle(i % 2 ? undefined : i % 7, false);
for (let i = 0; i < 5; i++) await cycle(undefined, true);
await settle();
const before = { handles: handles(), rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed };
const outcomes = { ok: 0, aborted: 0 };
for (let i = 0; i < cycles; i++) outcomes[await cycle(undefined, false)]++;
for (let i = 0; i < cycles; i++) outcomes[await cycle(i % 7, false)]++;
for (let i = 0; i < cycles / 10; i++) outcomes[await cycle(i % 3 ? undefined : 2, true)]++;
await settle();
const after = { handles: handles(), rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed };
pool.terminate();
console.log(JSON.stringify({ before, after, outcomes }));
