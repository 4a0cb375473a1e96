// The whole read path (HTTP store, fetch workers, codecs, chunk cache, CPU resampling) under
// seeded transfer faults from a loopback server, compared sample by sample with a clean run: no
// sample may differ, no read may hang, and every fault is either recovered or reported by a typed
// error that names the chunk and the check that failed. Arrays: zarr v3 sharded (zstd, crc32c
// index), zarr v3 with a crc32c codec on every chunk, and zarr v2 (blosc), on one shared pool.
import { getEventListeners } from "node:events";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ZstdCodec from "numcodecs/zstd";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CellMapArray, ChunkDecodeError, isCellMapError, MetadataError, WorkerPool } from "../src/index.ts";
import { crc32c } from "../src/store/crc32c.ts";
import { createFsTarget } from "../src/zarr-write/fs-target.ts";
import { multiscalesAttributes, pyramidLevels, writeGroup } from "../src/zarr-write/index.ts";
import { FIXTURE_SCALE, FIXTURE_SHAPE, FIXTURE_TRANSLATION, fixtureVolumes, writeArrayFixture } from "./setup/array-fixture.ts";
import { FAULT_KINDS, type FaultKind, startFaultServer, type FaultServer } from "./setup/fault-server.ts";

type Vec3 = [number, number, number];
let dir = "";
let server: FaultServer;
let pool: WorkerPool;

/** A v3 array whose every chunk ends in a crc32c checksum (codecs bytes, zstd, crc32c). */
async function writeCrcArray(root: string): Promise<void> {
  const levels = pyramidLevels(1, [...FIXTURE_SCALE], [...FIXTURE_TRANSLATION]);
  await writeGroup(createFsTarget(root), "raw_crc", { zarrFormat: 3, attributes: multiscalesAttributes("0.5", { levels }) });
  const arrayDir = join(root, "raw_crc/s0");
  await mkdir(arrayDir, { recursive: true });
  const c = 8;
  await writeFile(join(arrayDir, "zarr.json"), JSON.stringify({
    zarr_format: 3, node_type: "array", shape: [...FIXTURE_SHAPE], data_type: "uint16",
    chunk_grid: { name: "regular", configuration: { chunk_shape: [c, c, c] } },
    chunk_key_encoding: { name: "default", configuration: { separator: "/" } }, fill_value: 0,
    codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "zstd", configuration: { level: 3, checksum: false } }, { name: "crc32c" }],
    attributes: {}, dimension_names: ["z", "y", "x"],
  }));
  const { raw } = fixtureVolumes();
  const [nz, ny, nx] = FIXTURE_SHAPE;
  const zstd = ZstdCodec.fromConfig({ id: "zstd", level: 3 });
  for (let cz = 0; cz * c < nz; cz++) for (let cy = 0; cy * c < ny; cy++) for (let cx = 0; cx * c < nx; cx++) {
    const chunk = new Uint16Array(c ** 3);
    for (let z = 0; z < c; z++) for (let y = 0; y < c; y++) for (let x = 0; x < c; x++) {
      const [gz, gy, gx] = [cz * c + z, cy * c + y, cx * c + x];
      if (gz < nz && gy < ny && gx < nx) chunk[(z * c + y) * c + x] = raw[(gz * ny + gy) * nx + gx]!;
    }
    const packed = await zstd.encode(new Uint8Array(chunk.buffer));
    const out = new Uint8Array(packed.length + 4);
    out.set(packed);
    new DataView(out.buffer).setUint32(packed.length, crc32c(packed), true);
    await mkdir(join(arrayDir, `c/${cz}/${cy}`), { recursive: true });
    await writeFile(join(arrayDir, `c/${cz}/${cy}/${cx}`), out);
  }
}

/**
 * Where a bit flip is something the data can tell: blosc's sizes (nbytes, blocksize, cbytes), a
 * zstd frame's magic number, anything under a crc32c. Blosc's flags and its compressed payload
 * carry no check, nor does a zstd frame written without its checksum (docs/reliability.md).
 */
function flipRange(path: string, body: Uint8Array): [number, number] {
  if (path.startsWith("labels_v2/")) return [4, 16];
  if (path.startsWith("raw_v3/")) return body.length === 8 * 16 + 4 ? [0, body.length] : [0, 4];
  return [0, body.length];
}

const ARRAYS: Array<{ name: string; interp: "linear" | "nearest" }> = [
  { name: "raw_v3", interp: "linear" },
  { name: "raw_crc", interp: "linear" },
  { name: "labels_v2", interp: "nearest" },
];

const c = Math.cos(0.7), s = Math.sin(0.7);
const SPECS = [
  { center: [40, 30, 60] as Vec3 },
  { center: [120, 120, 180] as Vec3 },
  { center: [80, 60, 120] as Vec3, augment: [1, 0, 0, 0, c, -s, 0, s, c] },
  { center: [150, 20, 200] as Vec3 },
];
const OPTS = { shape: [10, 14, 14] as Vec3, scale: [6, 4, 4] as Vec3 };
const STORE = { timeoutMs: 400, backoffMs: 1, maxTries: 12 };

/** Sample every array once (each opened afresh, so every chunk is fetched) and return the values. */
async function sampleAll(): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const { name, interp } of ARRAYS) {
    const arr = await CellMapArray.open(`${server.url}/${name}`, { device: "cpu", pool, storeOptions: STORE });
    try {
      out.push(await arr.sample(SPECS, { ...OPTS, interp }));
    } finally {
      arr.destroy();
    }
  }
  return out;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

let reference: Float32Array[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cellmap-faults-"));
  await writeArrayFixture(dir);
  await writeCrcArray(dir);
  server = await startFaultServer(dir);
  pool = await WorkerPool.create({ size: 2 });
  reference = await sampleAll();
});

afterAll(async () => {
  pool?.terminate();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("reads under transfer faults (loopback server, 2 fetch workers)", () => {
  test("the clean run matches the stored volumes where a sample sits on voxel centers", () => {
    // The first sample's output grid lands on voxel centers: its values are stored values.
    expect(reference.every((r) => r.length === SPECS.length * 10 * 14 * 14)).toBe(true);
    expect(reference[0]!.some((v) => v !== 0)).toBe(true);
    expect(sameBits(reference[0]!, reference[1]!)).toBe(true); // raw_v3 and raw_crc hold the same volume
  });

  test.each([...FAULT_KINDS, "mixed"] as const)("faults of kind %s at 30 percent: every sample identical to the clean run", async (kind) => {
    const kinds: readonly FaultKind[] = kind === "mixed" ? FAULT_KINDS : [kind];
    server.configure({ rate: 0.3, kinds, seed: 7 + kinds.length, flipRange });
    const got = await sampleAll();
    const injected = server.injected;
    server.configure({ rate: 0, seed: 1 });
    for (const k of kinds) expect(injected[k] ?? 0, `${k} injected`).toBeGreaterThan(0);
    got.forEach((g, i) => expect(sameBits(g, reference[i]!), `${ARRAYS[i]!.name} under ${kind}`).toBe(true));
  });

  test("a chunk that stays bad is a typed error naming the chunk and the check; the pool goes on", async () => {
    const cases: Array<[string, FaultKind, string]> = [
      ["labels_v2/s0/0/0/0", "cut-short", "codec-header"],
      ["raw_crc/s0/c/0/0/0", "flip", "checksum"],
      ["raw_v3/s0/c/0/0/0", "cut-short", "checksum"],
    ];
    for (const [key, fault, check] of cases) {
      server.configure({ rate: 0, seed: 1, always: { [key]: fault }, flipRange });
      const name = key.split("/")[0]!;
      const arr = await CellMapArray.open(`${server.url}/${name}`, { device: "cpu", pool, storeOptions: { ...STORE, maxTries: 3 } });
      const err = await arr.sample([{ center: [15, -4, 24] }], { ...OPTS, shape: [2, 2, 2] }).catch((e: unknown) => e);
      arr.destroy();
      expect(err, key).toBeInstanceOf(ChunkDecodeError);
      expect((err as ChunkDecodeError).check, key).toBe(check);
      expect((err as ChunkDecodeError).key).toBe("0/0/0");
      expect((err as Error).message).toMatch(/\(3 tries\)$/);
    }
    server.configure({ rate: 0, seed: 1 });
    const again = await sampleAll();
    again.forEach((g, i) => expect(sameBits(g, reference[i]!)).toBe(true));
  });

  test("an array with codecs nobody knows fails with a MetadataError naming one, and the shared pool keeps reading good arrays", async () => {
    const bad = join(dir, "bad_codec/s0");
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, ".zarray"), JSON.stringify({
      zarr_format: 2, shape: [8, 8, 8], chunks: [8, 8, 8], dtype: "|u1", fill_value: 0, order: "C",
      filters: [{ id: "foo" }], compressor: { id: "bar" },
    }));
    await writeFile(join(bad, "0.0.0"), new Uint8Array(512));
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      const req = { url: server.url, path: "/bad_codec/s0", coords: [0, 0, 0], spatialDims: [0, 1, 2] as Vec3, kind: "u8" as const };
      const errs = await Promise.all([0, 1, 2, 3].map(() => pool.read(req).catch((e: unknown) => e)));
      for (const e of errs) {
        expect(e).toBeInstanceOf(MetadataError);
        expect((e as Error).message).toMatch(/filters\[0\]\.id names a filter this library cannot decode/);
      }
      const good = await sampleAll();
      good.forEach((g, i) => expect(sameBits(g, reference[i]!)).toBe(true));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  test("a shard missing during an outage reads as fill for that array only: a new open on the same pool asks again", async () => {
    const shard = "raw_v3/s0/c/0/0/0";
    server.configure({ rate: 0, seed: 1, missing: new Set([shard]) });
    const during = await CellMapArray.open(`${server.url}/raw_v3`, { device: "cpu", pool, storeOptions: STORE });
    const spec = [{ center: [30, 20, 40] as Vec3 }];
    const a = await during.sample(spec, { ...OPTS, interp: "linear" });
    expect(a.every((v) => v === 0)).toBe(true);
    server.configure({ rate: 0, seed: 1 });
    // Within its life the array keeps the answer it had (zarr: a missing chunk is the fill value).
    expect((await during.sample(spec, { ...OPTS, interp: "linear" })).every((v) => v === 0)).toBe(true);
    during.destroy();
    const after = await CellMapArray.open(`${server.url}/raw_v3`, { device: "cpu", pool, storeOptions: STORE });
    const b = await after.sample(spec, { ...OPTS, interp: "linear" });
    after.destroy();
    expect(b.some((v) => v !== 0)).toBe(true);
  });

  test("aborting reads at any moment under faults leaves nothing pending and nothing unhandled", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      server.configure({ rate: 0.3, seed: 3, kinds: ["hang", "503", "cut-full"], flipRange });
      for (let round = 0; round < 8; round++) {
        const arr = await CellMapArray.open(`${server.url}/labels_v2`, { device: "cpu", pool, storeOptions: STORE, cacheBytes: 1 << 16 });
        const ac = new AbortController();
        const p = arr.sample(SPECS, { ...OPTS, interp: "nearest", signal: ac.signal }).then(() => "done", (e: unknown) => e);
        setTimeout(() => ac.abort(), round * 15);
        const r = await p;
        if (r !== "done") expect(isCellMapError(r, "aborted"), String(r)).toBe(true);
        arr.destroy();
      }
      server.configure({ rate: 0, seed: 1 });
      await new Promise((r) => setTimeout(r, 50));
      expect(pool.inFlight).toBe(0);
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  test("destroying an array at any moment ends its pending samples with an AbortedError, long before its reads would end", async () => {
    // Half the answers never come: each read would otherwise wait out its 400 ms timeouts.
    server.configure({ rate: 0.5, seed: 11, kinds: ["hang"] });
    for (const delay of [0, 5, 20, 60, 150]) {
      const arr = await CellMapArray.open(`${server.url}/raw_crc`, { device: "cpu", pool, storeOptions: STORE });
      const pending = arr.sample(SPECS, { ...OPTS, interp: "linear" }).then(() => "resolved", (e: unknown) => e);
      await new Promise((r) => setTimeout(r, delay));
      arr.destroy();
      const hung = new Promise((r) => setTimeout(() => r("hung"), 1000));
      const outcome = await Promise.race([pending, hung]);
      expect(outcome, `destroyed after ${delay} ms`).not.toBe("hung");
      if (outcome !== "resolved") expect(isCellMapError(outcome, "aborted"), String(outcome)).toBe(true);
      const after = await arr.sample(SPECS, OPTS).catch((e: unknown) => e);
      expect(isCellMapError(after, "argument")).toBe(true);
    }
    server.configure({ rate: 0, seed: 1 });
    await new Promise((r) => setTimeout(r, 50));
    expect(pool.inFlight).toBe(0);
  });

  test("each shard's index is read once across the worker pool", async () => {
    server.configure({ rate: 0, seed: 1 });
    const arr = await CellMapArray.open(`${server.url}/raw_v3`, { device: "cpu", pool, storeOptions: STORE });
    // Samples over the whole volume, so every shard is read by many chunks at once.
    const centers: Vec3[] = [];
    for (const z of [20, 80, 150]) for (const y of [0, 60, 120]) for (const x of [30, 100, 170]) centers.push([z, y, x]);
    await arr.sample(centers.map((center) => ({ center })), { ...OPTS, interp: "linear" });
    arr.destroy();
    const indexReads = [...server.seen].filter(([k]) => k.endsWith("bytes=-132"));
    expect(indexReads.length).toBeGreaterThan(4);
    for (const [key, n] of indexReads) expect(n, key).toBe(1);
  });

  test("a caller's signal gets one abort listener however many reads hang on it", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    server.configure({ rate: 0, seed: 1 });
    const local = await WorkerPool.create({ size: 0 }); // the calling thread: every layer sees the signal
    try {
      for (const p of [local, pool]) {
        const arr = await CellMapArray.open(`${server.url}/raw_crc`, { device: "cpu", pool: p, storeOptions: STORE });
        const ac = new AbortController();
        const centers: Vec3[] = [];
        for (const z of [20, 80, 150]) for (const y of [0, 60, 120]) for (const x of [30, 100, 170]) centers.push([z, y, x]);
        const pending = arr.sample(centers.map((center) => ({ center })), { ...OPTS, signal: ac.signal });
        let most = 0;
        const probe = setInterval(() => (most = Math.max(most, getEventListeners(ac.signal, "abort").length)), 1);
        await pending;
        clearInterval(probe);
        arr.destroy();
        expect(most).toBeLessThanOrEqual(1);
      }
      await new Promise((r) => setTimeout(r, 20));
      expect(warnings).toEqual([]);
    } finally {
      local.terminate();
      process.off("warning", onWarning);
    }
  });
});
