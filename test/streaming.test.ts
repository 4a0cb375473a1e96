// Streaming over a real loopback HTTP server: each chunk fetched once, a budget
// smaller than the working set, retries, and typed errors for bad data.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CellMapArray, HttpStore, isCellMapError, WorkerPool, type SampleSpec } from "../src/index.ts";
import { serveStatic, type RequestDecision, type StaticServer } from "../src/serve/static-server.ts";
import { runPython } from "./helpers/python.ts";

let dir: string;
let server: StaticServer;
let decide: (path: string) => RequestDecision = () => undefined;
let pool: WorkerPool;
let volume: Uint8Array;
const SHAPE = [40, 48, 56] as const;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cellmap-stream-"));
  runPython(
    `
import sys, numpy as np, zarr, numcodecs
root = sys.argv[1]
rng = np.random.default_rng(7)
a = rng.integers(0, 256, (40, 48, 56)).astype("u1")
axes = [{"name": n, "type": "space", "unit": "nanometer"} for n in "zyx"]
def ms(path, chunks, comp, fill=0, data=a, sep="/"):
    g = zarr.open_group(root + "/" + path, mode="w")
    g.create_dataset("s0", data=data, chunks=chunks, compressor=comp, fill_value=fill, dimension_separator=sep)
    g.attrs["multiscales"] = [{"version": "0.4", "axes": axes, "datasets": [{"path": "s0", "coordinateTransformations": [{"type": "scale", "scale": [4, 4, 4]}, {"type": "translation", "translation": [0, 0, 0]}]}]}]
ms("raw", (16, 16, 16), numcodecs.Blosc("lz4"))
ms("holes", (16, 16, 16), numcodecs.GZip(), fill=7, sep=".")
a.tofile(root + "/raw.bin")
`,
    [dir],
  );
  volume = new Uint8Array(readFileSync(join(dir, "raw.bin")));
  rmSync(join(dir, "holes/s0/0.0.0"));
  server = await serveStatic({ root: dir, onRequest: (p) => decide(p) });
  pool = await WorkerPool.create({ size: 2 });
});

afterAll(async () => {
  pool?.terminate();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const at = (z: number, y: number, x: number) => volume[(z * SHAPE[1] + y) * SHAPE[2] + x]!;
const chunkRequests = (prefix: string) => [...server.requests].filter(([p]) => p.startsWith(prefix) && /\/\d+\/\d+\/\d+$/.test(p));

// Identity samples at integer voxel centers read the stored voxels exactly.
function expectedIdentity(center: [number, number, number], n: number): Float32Array {
  const out = new Float32Array(n * n * n);
  const h = (n - 1) / 2;
  let i = 0;
  for (let z = 0; z < n; z++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    const vz = center[0] / 4 - h + z, vy = center[1] / 4 - h + y, vx = center[2] / 4 - h + x;
    out[i++] = vz < 0 || vy < 0 || vx < 0 || vz > 39 || vy > 47 || vx > 55 ? 0 : at(vz, vy, vx);
  }
  return out;
}

describe("streaming over HTTP", () => {
  test("each chunk is fetched once however many samples want it, and values are exact", async () => {
    server.requests.clear();
    const arr = await CellMapArray.open(`${server.url}/raw`, { device: "cpu", pool });
    const centers: Array<[number, number, number]> = [[60, 60, 60], [64, 64, 64], [60, 60, 60], [80, 100, 120], [64, 64, 64]];
    const specs: SampleSpec[] = centers.map((center) => ({ center }));
    const [a, b] = await Promise.all([
      arr.sample(specs, { shape: [9, 9, 9], scale: [4, 4, 4] }),
      arr.sample(specs.slice(1), { shape: [9, 9, 9], scale: [4, 4, 4] }),
    ]);
    centers.forEach((c, i) => expect(Array.from(a.subarray(i * 729, (i + 1) * 729))).toEqual(Array.from(expectedIdentity(c, 9))));
    expect(Array.from(b)).toEqual(Array.from(a.subarray(729)));
    const chunkReqs = chunkRequests("/raw/s0/");
    expect(chunkReqs.length).toBeGreaterThan(1);
    for (const [path, count] of chunkReqs) expect(count, path).toBe(1);
    expect(arr.stats.misses).toBe(chunkReqs.length);
    expect(arr.stats.bytesFetched).toBeGreaterThan(0);
    arr.destroy();
  });

  test("a cache budget smaller than the working set gives identical results", async () => {
    const big = await CellMapArray.open(`${server.url}/raw`, { device: "cpu", pool });
    const small = await CellMapArray.open(`${server.url}/raw`, { device: "cpu", pool, cacheBytes: 8 * 16 ** 3 });
    expect(small.cacheSlots).toBe(8);
    const specs: SampleSpec[] = [];
    for (let i = 0; i < 12; i++) {
      const t = i * 0.7;
      specs.push({ center: [20 + 10 * Math.sin(t) + 60, 90 + 40 * Math.cos(t), 110 + 30 * Math.sin(2 * t)], augment: [Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t), 0, 0, 0, 1] });
    }
    const opts = { shape: [12, 12, 12] as [number, number, number], scale: [4, 4, 4] as [number, number, number] };
    const ref = await big.sample(specs, opts);
    const got = await small.sample(specs, opts);
    expect(Array.from(got)).toEqual(Array.from(ref));
    expect(small.stats.evictions).toBeGreaterThan(0);
    expect(small.stats.bytesResident).toBeLessThanOrEqual(small.stats.budgetBytes);
    big.destroy();
    small.destroy();
  });

  test("a missing chunk reads as the array's fill value", async () => {
    const arr = await CellMapArray.open(`${server.url}/holes`, { device: "cpu", pool });
    const out = await arr.sample([{ center: [20, 20, 20] }, { center: [100, 100, 100] }], { shape: [3, 3, 3], scale: [4, 4, 4], interp: "nearest" });
    expect(Array.from(out.subarray(0, 27))).toEqual(new Array(27).fill(7));
    expect(Array.from(out.subarray(27))).toEqual(Array.from(expectedIdentity([100, 100, 100], 3)));
    arr.destroy();
  });

  test("transient 5xx answers are retried", async () => {
    let failures = 0;
    decide = (p) => (p.endsWith("/raw/s0/1/1/1") && failures++ < 2 ? { status: 503 } : undefined);
    const arr = await CellMapArray.open(`${server.url}/raw`, { device: "cpu", pool, storeOptions: { backoffMs: 1 } });
    const out = await arr.sample([{ center: [80, 80, 80] }], { shape: [3, 3, 3], scale: [4, 4, 4] });
    expect(Array.from(out)).toEqual(Array.from(expectedIdentity([80, 80, 80], 3)));
    expect(failures).toBe(3);
    decide = () => undefined;
    arr.destroy();
  });

  test("repeated 5xx ends in a typed HttpError naming the chunk URL", async () => {
    decide = (p) => (p.endsWith("/raw/s0/0/1/2") ? { status: 503 } : undefined);
    const arr = await CellMapArray.open(`${server.url}/raw`, { device: "cpu", pool, storeOptions: { backoffMs: 1, maxTries: 3 } });
    const err = await arr.sample([{ center: [20, 20 + 64, 20 + 128] }], { shape: [3, 3, 3], scale: [4, 4, 4] }).catch((e) => e);
    expect(isCellMapError(err, "http")).toBe(true);
    expect(err.message).toContain("/raw/s0/0/1/2");
    expect(err.message).toContain("HTTP 503 after 3 tries");
    expect(err.status).toBe(503);
    decide = () => undefined;
    // The failed fetch is not cached: it works once the server recovers.
    const ok = await arr.sample([{ center: [20, 84, 148] }], { shape: [3, 3, 3], scale: [4, 4, 4] });
    expect(Array.from(ok)).toEqual(Array.from(expectedIdentity([20, 84, 148], 3)));
    arr.destroy();
  });

  test("corrupt chunk bytes give a ChunkDecodeError naming the chunk", async () => {
    const copy = join(dir, "corrupt");
    runPython(`import shutil,sys; shutil.copytree(sys.argv[1], sys.argv[2])`, [join(dir, "raw"), copy]);
    writeFileSync(join(copy, "s0/0/0/0"), new Uint8Array(64).fill(0xab));
    const arr = await CellMapArray.open(`${server.url}/corrupt`, { device: "cpu", pool });
    const err = await arr.sample([{ center: [20, 20, 20] }], { shape: [3, 3, 3], scale: [4, 4, 4] }).catch((e) => e);
    expect(isCellMapError(err, "chunk-decode")).toBe(true);
    expect(err.message).toMatch(/chunk 0\/0\/0 of .*\/corrupt\/s0/);
    arr.destroy();
  });

  test("malformed metadata gives a MetadataError naming the field", async () => {
    const bad = join(dir, "badmeta");
    runPython(`import shutil,sys; shutil.copytree(sys.argv[1], sys.argv[2])`, [join(dir, "raw"), bad]);
    const attrs = JSON.parse(readFileSync(join(bad, ".zattrs"), "utf8"));
    attrs.multiscales[0].datasets[0].coordinateTransformations[0].scale = [4, 4];
    writeFileSync(join(bad, ".zattrs"), JSON.stringify(attrs));
    const err = await CellMapArray.open(`${server.url}/badmeta`, { device: "cpu", pool }).catch((e) => e);
    expect(isCellMapError(err, "metadata")).toBe(true);
    expect(err.field).toBe("multiscales[0].datasets[0].coordinateTransformations[0].scale");
    const missing = await CellMapArray.open(`${server.url}/nothing-here`, { device: "cpu", pool }).catch((e) => e);
    expect(isCellMapError(missing, "metadata")).toBe(true);
  });

  test("aborting a sample rejects it with AbortedError and cancels the fetch in the worker", async () => {
    // The server would hold these chunks for 30 s; only a cancelled fetch ends sooner.
    decide = (p) => (p.includes("/raw/s0/2/") ? { delayMs: 30_000 } : undefined);
    const arr = await CellMapArray.open(`${server.url}/raw`, { device: "cpu", pool });
    const ac = new AbortController();
    const started = arr.sample([{ center: [140, 20, 20] }], { shape: [3, 3, 3], scale: [4, 4, 4], signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    const err = await started.catch((e) => e);
    expect(isCellMapError(err, "aborted")).toBe(true);
    for (let i = 0; i < 100 && arr.stats.requestsInFlight > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(arr.stats.requestsInFlight).toBe(0);
    decide = () => undefined;
    // Nothing half-done stays behind: the same sample works afterwards.
    const ok = await arr.sample([{ center: [140, 20, 20] }], { shape: [3, 3, 3], scale: [4, 4, 4] });
    expect(Array.from(ok)).toEqual(Array.from(expectedIdentity([140, 20, 20], 3)));
    arr.destroy();
  });

  test("HttpStore answers range requests and aborts", async () => {
    const store = new HttpStore(`${server.url}/raw`);
    const whole = await store.get("/s0/.zarray");
    const part = await store.getRange("/s0/.zarray", { offset: 2, length: 5 });
    expect(Array.from(part!)).toEqual(Array.from(whole!.subarray(2, 7)));
    const tail = await store.getRange("/s0/.zarray", { suffixLength: 4 });
    expect(Array.from(tail!)).toEqual(Array.from(whole!.subarray(whole!.length - 4)));
    const ac = new AbortController();
    ac.abort();
    const err = await store.get("/s0/.zarray", { signal: ac.signal }).catch((e) => e);
    expect(isCellMapError(err, "aborted")).toBe(true);
  });
});
