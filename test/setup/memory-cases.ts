// Chunk-cache memory: test bodies shared by the Node (vitest), Chromium (vitest browser mode) and
// Deno suites. Plain async functions that throw on failure. The in-memory fixture of
// test/setup/dataset-fixture.ts is read through its `fetch` with `workers: 0`; its request
// counter says how often each stored key was fetched. A second crop is written here into the same
// store. Expected slot counts come from the fixture's shapes and chunk shapes, worked out here.

import { CellMapDataSplit } from "../../src/dataset/datasplit.ts";
import { CellMapDataLoader } from "../../src/dataset/dataloader.ts";
import { ArrayRegistry } from "../../src/dataset/array-registry.ts";
import { CellMapDataset, type CellMapDatasetOptions } from "../../src/dataset/dataset.ts";
import { openSlicedDatasets } from "../../src/dataset/sliced-datasets.ts";
import { CellMapArray } from "../../src/array/cellmap-array.ts";
import { isCellMapError } from "../../src/errors.ts";
import { BatchRecorder } from "../../src/gpu/batch-recorder.ts";
import { GpuContext } from "../../src/gpu/context.ts";
import type { Vec3 } from "../../src/geometry/types.ts";
import { WorkerPool } from "../../src/worker/pool.ts";
import { createArray, createMemoryTarget, multiscalesAttributes, writeArray, writeGroup } from "../../src/zarr-write/index.ts";
import { buildFixture, CROP_SHAPE, inBall, type MemoryFixture, MITO, RAW_PATH, RAW_SHAPE, rawAt, SCALE } from "./dataset-fixture.ts";
import { check } from "./assert.ts";
import type { Cases } from "./cases.ts";

function sameArray(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  check(a.length === b.length, `${what}: ${a.length} values, expected ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) throw new Error(`${what}: value ${i} is ${a[i]}, expected ${b[i]}`);
  }
}

async function expectArgumentError(work: () => Promise<unknown>, field: string): Promise<void> {
  let result: unknown;
  try {
    result = await work();
  } catch (e) {
    const got = isCellMapError(e, "argument") ? (e as unknown as { field: string }).field : undefined;
    check(got === field, `expected an ArgumentError naming ${field}, got ${String(e)}`);
    return;
  }
  (result as { destroy?: () => void } | undefined)?.destroy?.();
  throw new Error(`expected an ArgumentError naming ${field}, nothing was thrown`);
}

// The fixture's chunk shapes (dataset-fixture.ts writes raw in 8x16x16 chunks, each class in 6x12x12).
const RAW_CHUNKS: Vec3 = [8, 16, 16];
const CROP_CHUNKS: Vec3 = [6, 12, 12];
// A second crop of the same raw volume, written here: mito only, 8x16x16 voxels in 4x8x8 chunks.
const CROP2_PATH = "recon-1/labels/groundtruth/crop2";
const CROP2_SHAPE: Vec3 = [8, 16, 16];
const CROP2_CHUNKS: Vec3 = [4, 8, 8];
const CROP2_TRANSLATION: Vec3 = [8, 40, 32];
const S: Vec3 = [SCALE, SCALE, SCALE];
const CLASSES = ["mito", "er"];

/** Arrays a registry holds open (a function, so that checks before and after a destroy both type-check). */
const openArrays = (r: ArrayRegistry): number => r.size;

/** Chunks of a one-level array, and the bytes of one uint8 slot (padded to 4-byte words). */
function chunkCount(shape: readonly number[], chunks: readonly number[]): number {
  return shape.reduce((n, v, k) => n * Math.ceil(v / chunks[k]!), 1);
}
function slotBytes(chunks: readonly number[]): number {
  return Math.ceil((chunks[0]! * chunks[1]! * chunks[2]!) / 4) * 4;
}

let fixture: Promise<MemoryFixture> | undefined;
/** The dataset fixture plus a second crop (mito) over the same raw volume. */
function getFixture(): Promise<MemoryFixture> {
  fixture ??= (async () => {
    const fx = await buildFixture(2);
    const target = createMemoryTarget(fx.files);
    await writeGroup(target, `sample.zarr/${CROP2_PATH}`, { zarrFormat: 2 });
    await writeGroup(target, `sample.zarr/${CROP2_PATH}/mito`, {
      zarrFormat: 2,
      attributes: multiscalesAttributes("0.4", { levels: [{ path: "s0", scale: [...S], translation: [...CROP2_TRANSLATION] }] }),
    });
    const [nz, ny, nx] = CROP2_SHAPE;
    const lab = new Uint8Array(nz * ny * nx);
    for (let z = 0, i = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++, i++) {
      lab[i] = inBall(MITO, [CROP2_TRANSLATION[0] + z * SCALE, CROP2_TRANSLATION[1] + y * SCALE, CROP2_TRANSLATION[2] + x * SCALE]) ? 1 : 0;
    }
    await writeArray(target, `sample.zarr/${CROP2_PATH}/mito/s0`, { shape: [...CROP2_SHAPE], chunks: [...CROP2_CHUNKS], dtype: "uint8", zarrFormat: 2 }, lab);
    return fx;
  })();
  return fixture;
}

/** Requests so far for keys below `prefix` (below the store root) that pass `keep`. */
function requestsBelow(fx: MemoryFixture, prefix: string, keep: (rest: string) => boolean = () => true): number {
  let n = 0;
  for (const [key, count] of fx.requests) {
    if (key.startsWith(`sample.zarr/${prefix}/`) && keep(key.slice(prefix.length + 13))) n += count;
  }
  return n;
}
/** Requests served so far, all keys. */
const totalRequests = (fx: MemoryFixture) => [...fx.requests.values()].reduce((n, c) => n + c, 0);
/** Raw chunk requests so far (not metadata). */
const rawChunkRequests = (fx: MemoryFixture) => requestsBelow(fx, `${RAW_PATH}/s0`, (rest) => !rest.startsWith("."));
/** Raw metadata requests so far: every open of the raw array reads it. */
const rawMetadataRequests = (fx: MemoryFixture) => requestsBelow(fx, RAW_PATH, (rest) => rest.includes(".z"));

async function options(extra: Partial<CellMapDatasetOptions<"raw", "gt">> = {}): Promise<CellMapDatasetOptions<"raw", "gt">> {
  const fx = await getFixture();
  return {
    inputPath: fx.rawUrl,
    targetPath: `${fx.cropUrl}/[mito,er]`,
    classes: CLASSES,
    inputArrays: { raw: { shape: [2, 4, 4], scale: S } },
    targetArrays: { gt: { shape: [2, 2, 2], scale: S } },
    workers: 0,
    storeOptions: { fetch: fx.fetch },
    device: "cpu",
    ...extra,
  };
}

/** How many raw metadata requests one open of the raw array makes (measured, not assumed). */
async function metadataPerOpen(fx: MemoryFixture): Promise<number> {
  const before = rawMetadataRequests(fx);
  const a = await CellMapArray.open(fx.rawUrl, { device: "cpu", workers: 0, storeOptions: { fetch: fx.fetch } });
  a.destroy();
  const n = rawMetadataRequests(fx) - before;
  check(n > 0, "opening the raw array read no metadata through the counter");
  return n;
}

/** The closed-form raw image of a [h, w] slice item along `axis` (pixels on voxel centers). */
function expectedRawSlice(axis: "z" | "y" | "x", center: readonly number[], h: number, w: number): Float32Array {
  const [rows, cols] = axis === "z" ? [1, 2] : axis === "y" ? [0, 2] : [0, 1];
  const out = new Float32Array(h * w);
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) {
    const p = [...center];
    p[rows] = center[rows]! + (r - (h - 1) / 2) * SCALE;
    p[cols] = center[cols]! + (c - (w - 1) / 2) * SCALE;
    const v = p.map((q) => q / SCALE);
    check(v.every(Number.isInteger), `raw position ${v} is not a voxel center`);
    out[r * w + c] = v.every((q, k) => q >= 0 && q < RAW_SHAPE[k]!) ? rawAt(v[0]!, v[1]!, v[2]!) : 0;
  }
  return out;
}

/**
 * The fixture's fetch with a gate: while closed, requests whose key passes `hold` wait (an abort
 * of their signal rejects them, as a real fetch does, unless `ignoreSignal`). `calls` counts every
 * request made through it, held or not.
 */
function gatedFetch(fx: MemoryFixture, hold: (key: string) => boolean, ignoreSignal = false) {
  const state = { calls: 0, held: 0, aborted: 0, keys: [] as string[] };
  const waiting: Array<() => void> = [];
  let open = false;
  const fetchFn = ((input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const key = url.slice(url.indexOf("sample.zarr/"));
    state.calls++;
    state.keys.push(key);
    if (open || !hold(key)) return fx.fetch(input, init);
    state.held++;
    return new Promise<Response>((resolve, reject) => {
      let done = false;
      const signal = ignoreSignal ? undefined : init?.signal ?? undefined;
      const onAbort = () => {
        done = true;
        state.aborted++;
        reject(new DOMException("the request was aborted", "AbortError"));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      waiting.push(() => {
        if (done) return;
        signal?.removeEventListener("abort", onAbort);
        resolve(fx.fetch(input, init));
      });
    });
  }) as typeof fetch;
  return {
    fetch: fetchFn,
    state,
    release(): void {
      open = true;
      for (const w of waiting.splice(0)) w();
    },
  };
}

/** Let timers and I/O run until `ready` holds (failing with `what` if it never does). */
async function until(ready: () => boolean, what: string): Promise<void> {
  for (let i = 0; !ready(); i++) {
    if (i > 2000) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** How `p` settles, failing with `what` if it has not within a few seconds (nothing should hang). */
async function settled<T>(p: Promise<T>, what: string): Promise<{ value?: T; error?: unknown }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle`)), 5000)));
  try {
    return await Promise.race([p.then((value) => ({ value }), (error: unknown) => ({ error })), hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** The closed-form raw image of a 3D item (its positions must be voxel centers). */
function expectedRaw3D(center: readonly number[], shape: readonly number[]): Float32Array {
  const [nz, ny, nx] = shape as [number, number, number];
  const out = new Float32Array(nz * ny * nx);
  for (let z = 0, i = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++, i++) {
    const v = [z, y, x].map((j, k) => (center[k]! + (j - (shape[k]! - 1) / 2) * SCALE) / SCALE);
    check(v.every(Number.isInteger), `raw position ${v} is not a voxel center`);
    out[i] = v.every((q, k) => q >= 0 && q < RAW_SHAPE[k]!) ? rawAt(v[0]!, v[1]!, v[2]!) : 0;
  }
  return out;
}

/** A small crop's label cache holds its chunks, not the default budget (a share of system memory; CPU and GPU). */
async function cacheIsCappedAtChunkCount(device: "cpu" | "gpu"): Promise<void> {
  const gpu = device === "gpu" ? await GpuContext.create() : undefined;
  try {
    const ds = await CellMapDataset.open<"raw", "gt">(await options({ device, ...(gpu ? { gpu } : {}) }));
    try {
      const cropChunks = chunkCount(CROP_SHAPE, CROP_CHUNKS);
      const rawChunks = chunkCount(RAW_SHAPE, RAW_CHUNKS);
      check(cropChunks === 8 && rawChunks === 27, `chunk counts ${cropChunks}, ${rawChunks}`);
      for (const cls of CLASSES) {
        const a = ds.classArray(cls)!;
        check(a.cacheSlots === cropChunks, `${cls}: ${a.cacheSlots} slots, the crop has ${cropChunks} chunks`);
        check(a.stats.budgetBytes === cropChunks * slotBytes(CROP_CHUNKS), `${cls}: budget ${a.stats.budgetBytes} bytes, expected ${cropChunks * slotBytes(CROP_CHUNKS)}`);
        if (gpu) check(a.gpuCache!.size === a.stats.budgetBytes, `${cls}: GPU cache buffer of ${a.gpuCache!.size} bytes`);
      }
      check(ds.input.stats.budgetBytes === rawChunks * slotBytes(RAW_CHUNKS), `raw budget ${ds.input.stats.budgetBytes}`);
      if (gpu) check(ds.input.gpuCache!.size === ds.input.stats.budgetBytes, `raw GPU cache buffer of ${ds.input.gpuCache!.size} bytes`);
      // A budget below the chunk count still rules, and a sample that needs more chunks than it holds is refused.
      const small = await CellMapArray.open((await getFixture()).rawUrl, { device: "cpu", workers: 0, cacheBytes: 2 * slotBytes(RAW_CHUNKS), storeOptions: { fetch: (await getFixture()).fetch } });
      try {
        check(small.cacheSlots === 2, `a 2-slot budget gave ${small.cacheSlots} slots`);
        let err: unknown;
        await small.sample([{ center: [40, 64, 64] }], { shape: [12, 12, 12], scale: S }).catch((e) => (err = e));
        check(isCellMapError(err, "budget"), `a sample over 8 chunks with 2 slots gave ${String(err)}`);
      } finally {
        small.destroy();
      }
      // The capped cache still reads every voxel of the crop right (it never evicts a needed chunk).
      const item = await ds.get(0);
      check(item.raw.data.length === 32, "raw item size");
    } finally {
      ds.destroy();
    }
  } finally {
    gpu?.destroy();
  }
}

/**
 * GPU arrays opened without `cacheBytes` share their device's budget: the first takes what the
 * budget has room for, and the arrays rebalance by use, never allocating more than the budget
 * together, while every read equals the CPU twin's (arrays) and a roomy device's (batches).
 */
async function gpuArraysShareTheDeviceBudget(): Promise<void> {
  const fx = await getFixture();
  const rawSlot = slotBytes(RAW_CHUNKS);
  const budgetBytes = 10 * rawSlot; // 10 of raw's 27 chunks; each class crop has 8 chunks of 864 bytes
  await expectArgumentError(() => GpuContext.create({ cacheBytes: -1 }), "cacheBytes");
  await expectArgumentError(() => GpuContext.create({ cacheBytes: Number.NaN }), "cacheBytes");
  const gpu = await GpuContext.create({ cacheBytes: budgetBytes });
  const store = { workers: 0, storeOptions: { fetch: fx.fetch } };
  const cpuOpts = { ...store, device: "cpu" as const, cacheBytes: 1 << 20 };
  const raw = await CellMapArray.open(fx.rawUrl, { ...store, gpu });
  const mito = await CellMapArray.open(`${fx.cropUrl}/mito`, { ...store, gpu });
  const cpuRaw = await CellMapArray.open(fx.rawUrl, cpuOpts);
  const cpuMito = await CellMapArray.open(`${fx.cropUrl}/mito`, cpuOpts);
  try {
    check(raw.stats.shared !== undefined && raw.stats.shared.arrays === 2 && raw.stats.shared.budgetBytes === budgetBytes, `raw shares ${JSON.stringify(raw.stats.shared)}`);
    check(raw.stats.budgetBytes === budgetBytes && raw.gpuCache!.size === budgetBytes, `raw took ${raw.stats.budgetBytes} bytes at open, the budget's room`);
    check(mito.stats.budgetBytes === 0, `mito took ${mito.stats.budgetBytes} bytes at open, with no room left`);
    const allocated = () => raw.stats.budgetBytes + mito.stats.budgetBytes;
    let mitoPeak = 0;
    let rawLow = raw.stats.budgetBytes;
    const round = async (z: number, y: number, x: number): Promise<void> => {
      const specs = [{ center: [z, y, x] as Vec3 }, { center: [z + 20, y + 40, x + 40] as Vec3 }];
      const shape: Vec3 = [6, 12, 12];
      sameArray(await raw.sample(specs, { shape, scale: S }), await cpuRaw.sample(specs, { shape, scale: S }), `raw at ${z},${y},${x}`);
      sameArray(await mito.sample(specs, { shape, scale: S, interp: "nearest" }), await cpuMito.sample(specs, { shape, scale: S, interp: "nearest" }), `mito at ${z},${y},${x}`);
      check(allocated() <= budgetBytes && raw.stats.shared!.bytesResident === allocated(), `allocated ${allocated()} bytes (budget ${budgetBytes}); the budget counts ${raw.stats.shared!.bytesResident}`);
      check(raw.gpuCache!.size === Math.max(4, raw.stats.budgetBytes) && mito.gpuCache!.size === Math.max(4, mito.stats.budgetBytes), "each cache buffer is its allocation");
      mitoPeak = Math.max(mitoPeak, mito.stats.budgetBytes);
      rawLow = Math.min(rawLow, raw.stats.budgetBytes);
    };
    for (const [z, y, x] of [[20, 40, 40], [60, 100, 100], [30, 110, 30], [70, 30, 120], [20, 40, 40], [45, 75, 70]] as const) await round(z, y, x);
    check(mitoPeak > 0 && rawLow < budgetBytes, `the arrays rebalanced: mito grew to ${mitoPeak} bytes, raw shrank to ${rawLow}`);
    check(raw.stats.evictions > 0, "raw evicted chunks for the room it gave");
    // One sample over more chunks than the device's budget holds: the error names that budget.
    let err: unknown;
    await raw.sample([{ center: [40, 72, 72] }], { shape: [20, 36, 36], scale: S }).catch((e: unknown) => (err = e));
    check(isCellMapError(err, "budget") && (err as Error).message.includes("GpuContext.create({ cacheBytes })"), `a sample over all 27 chunks gave ${String(err)}`);
    const mitoBytes = mito.stats.budgetBytes;
    mito.destroy();
    check((raw.stats.shared!.arrays as number) === 1 && raw.stats.shared!.bytesResident === raw.stats.budgetBytes, `a destroyed array gives its ${mitoBytes} bytes back`);
    // Alone now, raw grows back into the room mito left and still reads right.
    const specs = [{ center: [60, 100, 100] as Vec3 }, { center: [20, 30, 120] as Vec3 }, { center: [70, 20, 20] as Vec3 }];
    sameArray(await raw.sample(specs, { shape: [8, 16, 16], scale: S }), await cpuRaw.sample(specs, { shape: [8, 16, 16], scale: S }), "raw alone");
    check(raw.stats.budgetBytes <= budgetBytes && raw.stats.budgetBytes > rawLow, `raw grew back to ${raw.stats.budgetBytes} bytes from ${rawLow}`);
  } finally {
    for (const a of [raw, mito, cpuRaw, cpuMito]) a.destroy();
    gpu.destroy();
  }
}

/**
 * A GPU cache that gives slots back while a batch recorded with its buffer is not yet submitted:
 * the recorded work still reads the old buffer (destroyed only after the submit), and the chunks
 * it moved read right from the new one.
 */
async function aCacheShrinksUnderARecordedBatch(): Promise<void> {
  const fx = await getFixture();
  const rawSlot = slotBytes(RAW_CHUNKS);
  const gpu = await GpuContext.create({ cacheBytes: 4 * rawSlot });
  const store = { workers: 0, storeOptions: { fetch: fx.fetch } };
  const raw = await CellMapArray.open(fx.rawUrl, { ...store, gpu });
  const mito = await CellMapArray.open(`${fx.cropUrl}/mito`, { ...store, gpu });
  const cpuRaw = await CellMapArray.open(fx.rawUrl, { ...store, device: "cpu", cacheBytes: 1 << 20 });
  const cpuMito = await CellMapArray.open(`${fx.cropUrl}/mito`, { ...store, device: "cpu", cacheBytes: 1 << 20 });
  const output = gpu.device.createBuffer({ size: 8 * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  // The middle voxel of raw chunk (cz, cy, cx), in nm: a 2³ nearest read there touches that chunk alone.
  const inChunk = ([cz, cy, cx]: readonly [number, number, number]): { center: Vec3 } => ({ center: [(cz * 8 + 4) * SCALE, (cy * 16 + 8) * SCALE, (cx * 16 + 8) * SCALE] });
  const read = { shape: [2, 2, 2] as Vec3, scale: S, interp: "nearest" as const };
  try {
    check(raw.stats.budgetBytes === 4 * rawSlot && mito.stats.budgetBytes === 0, "raw took the whole budget at open");
    // Chunks a, b, c, d in slots 0 to 3; then a batch records a read of a (pinning slot 0).
    for (const c of [[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1]] as const) await raw.sample([inChunk(c)], read);
    check(raw.stats.misses === 4 && raw.stats.bytesResident === 4 * rawSlot, `raw holds ${raw.stats.bytesResident} bytes after 4 misses`);
    const before = raw.gpuCache!;
    const recorder = new BatchRecorder(gpu, "shrink under a recorded batch");
    await raw.sampleInto([inChunk([0, 0, 0])], { ...read, buffer: output, recorder });
    // mito needs room: raw's least recently used chunk goes, and raw moves chunk d down and shrinks.
    const m = [{ center: [50, 94, 94] as Vec3 }]; // inside one mito chunk, which holds part of the ball
    sameArray(await mito.sample(m, read), await cpuMito.sample(m, read), "mito read while raw's batch is recorded");
    check(raw.gpuCache !== before && raw.stats.budgetBytes < 4 * rawSlot && mito.stats.budgetBytes > 0, `raw shrank to ${raw.stats.budgetBytes} bytes for mito's ${mito.stats.budgetBytes}`);
    recorder.submit();
    const got = new Float32Array(await gpu.readBuffer(output, 0, output.size));
    sameArray(got, await cpuRaw.sample([inChunk([0, 0, 0])], read), "the recorded read of the old buffer, submitted after the shrink");
    const missesBefore = raw.stats.misses;
    for (const c of [[0, 0, 0], [0, 1, 1]] as const) sameArray(await raw.sample([inChunk(c)], read), await cpuRaw.sample([inChunk(c)], read), `raw chunk ${c} after the move`);
    check(raw.stats.misses === missesBefore, `the kept chunks were read from the new buffer without a fetch (${raw.stats.misses - missesBefore} misses)`);
  } finally {
    output.destroy();
    for (const a of [raw, mito, cpuRaw, cpuMito]) a.destroy();
    gpu.destroy();
  }
}

/** Batches of a GPU dataset under a device budget that cannot hold its arrays at once equal those of a roomy device, bit for bit. */
async function gpuBatchesUnderATightDeviceBudget(): Promise<void> {
  const tight = await GpuContext.create({ cacheBytes: 12 * slotBytes(RAW_CHUNKS) });
  const roomy = await GpuContext.create();
  const common = {
    isTrain: true,
    spatialTransforms: { rotate: { axes: { z: [-180, 180] as [number, number] } }, mirror: { axes: { x: 0.5 } } },
    inputArrays: { raw: { shape: [4, 8, 8] as Vec3, scale: S } },
    targetArrays: { gt: { shape: [3, 6, 6] as Vec3, scale: S } },
    device: "gpu" as const,
  };
  const a = await CellMapDataset.open<"raw", "gt">(await options({ ...common, gpu: tight }));
  const b = await CellMapDataset.open<"raw", "gt">(await options({ ...common, gpu: roomy }));
  try {
    const opts = { batchSize: 4, iterationsPerEpoch: 4, seed: 11 };
    const want: Array<{ raw: Float32Array; gt: Float32Array }> = [];
    for await (const batch of new CellMapDataLoader(b, opts)) want.push({ raw: batch.raw.data.slice(), gt: batch.gt.data.slice() });
    let k = 0;
    for await (const batch of new CellMapDataLoader(a, opts)) {
      sameArray(batch.raw.data, want[k]!.raw, `raw of batch ${k}`);
      sameArray(batch.gt.data, want[k]!.gt, `gt of batch ${k}`);
      k++;
    }
    check(k === 4, `${k} batches`);
    const held = a.input.stats.budgetBytes + CLASSES.reduce((n, c) => n + a.classArray(c)!.stats.budgetBytes, 0);
    check(held <= 12 * slotBytes(RAW_CHUNKS) && a.input.stats.shared!.arrays === 3, `the tight device's three arrays hold ${held} bytes`);
    check(a.input.stats.evictions > 0, "the tight device evicted");
  } finally {
    a.destroy();
    b.destroy();
    tight.destroy();
    roomy.destroy();
  }
}

export const memoryCases = {
  "a small crop's label cache holds its chunks, not the default budget (CPU)": () => cacheIsCappedAtChunkCount("cpu"),
  "a small crop's label cache holds its chunks, not the default budget (GPU)": () => cacheIsCappedAtChunkCount("gpu"),
  "GPU arrays without cacheBytes share their device's budget by use, reading what the CPU twin reads": gpuArraysShareTheDeviceBudget,
  "GPU batches under a device budget smaller than their arrays equal a roomy device's": gpuBatchesUnderATightDeviceBudget,
  "a GPU cache that shrinks under a recorded batch keeps its old buffer until the submit; moved chunks read right": aCacheShrinksUnderARecordedBatch,

  /** With a binding limit below the array's chunks, a huge budget is capped one slot below the limit. */
  async "a budget above the binding limit is still capped one slot below it"(): Promise<void> {
    const limit = 128 * 1024 * 1024;
    const gpu = await GpuContext.create({ requiredLimits: { maxStorageBufferBindingSize: limit } });
    try {
      check(gpu.maxStorageBinding === limit, `requested a ${limit}-byte binding limit, got ${gpu.maxStorageBinding}`);
      // Metadata only: 512 x 512 x 1024 uint8 voxels in 8³ chunks, 524288 chunks of 512 bytes (256 MiB).
      const target = createMemoryTarget();
      await writeGroup(target, "big.zarr", { zarrFormat: 2, attributes: multiscalesAttributes("0.4", { levels: [{ path: "s0", scale: [...S], translation: [0, 0, 0] }] }) });
      await createArray(target, "big.zarr/s0", { shape: [512, 512, 1024], chunks: [8, 8, 8], dtype: "uint8", zarrFormat: 2 });
      const fetchFn = ((input: RequestInfo | URL) => {
        const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
        const bytes = target.map.get(url.slice("http://big.invalid/".length));
        return Promise.resolve(bytes ? new Response(bytes.slice().buffer as ArrayBuffer) : new Response(null, { status: 404 }));
      }) as typeof fetch;
      const a = await CellMapArray.open("http://big.invalid/big.zarr", { gpu, workers: 0, cacheBytes: 2 ** 30, storeOptions: { fetch: fetchFn } });
      try {
        check(chunkCount([512, 512, 1024], [8, 8, 8]) * 512 > limit, "the array's chunks must exceed the binding limit");
        check(a.stats.budgetBytes === limit - 512, `budget ${a.stats.budgetBytes}, expected one 512-byte slot below ${limit}`);
        check(a.gpuCache!.size === limit - 512, `GPU cache buffer of ${a.gpuCache!.size} bytes`);
        const out = await a.sample([{ center: [100, 100, 100] }], { shape: [2, 2, 2], scale: S });
        sameArray(out, new Float32Array(8), "an unwritten array reads its fill value");
      } finally {
        a.destroy();
      }
    } finally {
      gpu.destroy();
    }
  },

  /** Two datasets over one raw volume share its array: the second one's reads fetch nothing new. */
  async "two datasets over one raw volume share its array: no new fetches, and destroying one leaves the other working"(): Promise<void> {
    const fx = await getFixture();
    const arrays = new ArrayRegistry();
    const first = await CellMapDataset.open<"raw", "gt">(await options({ arrays, targetPath: `${fx.cropUrl}/[mito]` }));
    const second = await CellMapDataset.open<"raw", "gt">(await options({ arrays, storeOptions: { fetch: fx.fetch } }));
    const alone = await CellMapDataset.open<"raw", "gt">(await options());
    try {
      check(first.input === second.input, "the two datasets opened the raw array twice");
      check(first.classArray("mito") === second.classArray("mito"), "the two datasets opened the mito array twice");
      check(alone.input !== first.input, "a dataset without the registry shares its array");
      check(openArrays(arrays) === 3 && arrays.refs(first.input) === 2 && arrays.refs(second.classArray("er")!) === 1, `registry: ${openArrays(arrays)} arrays`);
      check(first.grid.length === second.grid.length && first.length > 4, "the datasets differ in length");
      const picks = [0, Math.floor(first.length / 2), first.length - 1];
      const beforeFirst = rawChunkRequests(fx);
      for (const i of picks) await first.get(i);
      const fetchedByFirst = rawChunkRequests(fx) - beforeFirst;
      check(fetchedByFirst > 0, "the first dataset fetched no raw chunk");
      const beforeSecond = rawChunkRequests(fx);
      const items = [];
      for (const i of picks) items.push(await second.get(i));
      check(rawChunkRequests(fx) === beforeSecond, `the second dataset fetched ${rawChunkRequests(fx) - beforeSecond} raw chunks the first had read`);
      // The counter does count: an unshared dataset fetches the same chunks again.
      const beforeAlone = rawChunkRequests(fx);
      for (const [k, i] of picks.entries()) sameArray((await alone.get(i)).raw.data, items[k]!.raw.data, `raw of sample ${i}`);
      check(rawChunkRequests(fx) - beforeAlone === fetchedByFirst, `an unshared dataset fetched ${rawChunkRequests(fx) - beforeAlone} raw chunks, the first ${fetchedByFirst}`);
      // Destroying the first leaves the second reading, from the cache it shared.
      first.destroy();
      check(arrays.refs(second.input) === 1 && openArrays(arrays) === 3, "destroying the first dataset released the wrong arrays");
      const beforeAfter = rawChunkRequests(fx);
      for (const [k, i] of picks.entries()) {
        const again = await second.get(i);
        sameArray(again.raw.data, items[k]!.raw.data, `raw of sample ${i} after the first dataset was destroyed`);
        sameArray(again.gt.data, (await alone.get(i)).gt.data, `labels of sample ${i} after the first dataset was destroyed`);
      }
      check(rawChunkRequests(fx) === beforeAfter, "the shared cache was lost with the first dataset");
      second.destroy();
      check(openArrays(arrays) === 0, `${openArrays(arrays)} arrays left open after both datasets were destroyed`);
      let err: unknown;
      await second.input.sample([{ center: [40, 64, 64] }], { shape: [1, 1, 1], scale: S }).catch((e) => (err = e));
      check(isCellMapError(err, "argument"), "the raw array outlived its last dataset");
    } finally {
      first.destroy();
      second.destroy();
      alone.destroy();
    }
  },

  /** A split over two crops of one raw volume opens the raw array once, and frees all on destroy. */
  async "a data split over two crops of one raw volume opens the raw array once"(): Promise<void> {
    const fx = await getFixture();
    const perOpen = await metadataPerOpen(fx);
    const arrays = new ArrayRegistry();
    const before = rawMetadataRequests(fx);
    const split = await CellMapDataSplit.open<"raw", "gt">({
      datasetDict: {
        train: [{ raw: fx.rawUrl, gt: `${fx.cropUrl}/[mito,er]` }, { raw: fx.rawUrl, gt: `${fx.rawUrl.replace(RAW_PATH, CROP2_PATH)}/[mito]` }],
        validate: [{ raw: fx.rawUrl, gt: `${fx.cropUrl}/[mito]` }],
      },
      classes: CLASSES,
      inputArrays: { raw: { shape: [2, 4, 4], scale: S } },
      targetArrays: { gt: { shape: [2, 2, 2], scale: S } },
      workers: 0,
      storeOptions: { fetch: fx.fetch },
      device: "cpu",
      arrays,
    });
    try {
      const all = [...split.trainDatasets, ...split.validationDatasets];
      check(all.length === 3, `${all.length} datasets`);
      check(new Set(all.map((d) => d.input)).size === 1, "the split opened the raw array more than once");
      check(rawMetadataRequests(fx) - before === perOpen, `the split read the raw metadata ${(rawMetadataRequests(fx) - before) / perOpen} times`);
      check(split.trainDatasets[0]!.classArray("mito") === split.validationDatasets[0]!.classArray("mito"), "crop1's mito array was opened twice");
      check(split.trainDatasets[1]!.classArray("mito") !== split.trainDatasets[0]!.classArray("mito"), "two crops share one label array");
      // raw, crop1 mito, crop1 er, crop2 mito: 4 arrays, 27 + 8 + 8 + 8 slots.
      check(openArrays(arrays) === 4, `${openArrays(arrays)} arrays open`);
      const crop2 = split.trainDatasets[1]!.classArray("mito")!;
      check(crop2.cacheSlots === chunkCount(CROP2_SHAPE, CROP2_CHUNKS), `crop2: ${crop2.cacheSlots} slots`);
      // Validation reads of raw chunks that training read already fetch nothing.
      const train0 = split.trainDatasets[0]!;
      const val0 = split.validationDatasets[0]!;
      check(train0.length === val0.length, "crop1's train and validate grids differ");
      await train0.get(0);
      const b = rawChunkRequests(fx);
      const v = await val0.get(0);
      check(rawChunkRequests(fx) === b, "a validation read fetched raw chunks the training read had fetched");
      check(v.raw.shape.join() === "1,2,4,4", `raw item shape ${v.raw.shape}`);
    } finally {
      split.destroy();
    }
    check(openArrays(arrays) === 0, `${openArrays(arrays)} arrays left open after the split was destroyed`);
  },

  /** openSlicedDatasets opens each array once for its three datasets. */
  async "openSlicedDatasets opens each array once for its three datasets"(): Promise<void> {
    const fx = await getFixture();
    const perOpen = await metadataPerOpen(fx);
    const arrays = new ArrayRegistry();
    const before = rawMetadataRequests(fx);
    const o = await options({ arrays, inputArrays: { raw: { shape: [4, 6], scale: S } }, targetArrays: { gt: { shape: [2, 4], scale: S } } });
    const multi = await openSlicedDatasets<"raw", "gt">(o);
    try {
      check(multi.datasets.map((d) => d.slicingAxis).join() === "z,y,x", "axes");
      check(rawMetadataRequests(fx) - before === perOpen, `three datasets read the raw metadata ${(rawMetadataRequests(fx) - before) / perOpen} times`);
      check(openArrays(arrays) === 3, `${openArrays(arrays)} arrays for raw, mito and er`);
      for (const cls of ["mito", "er"]) check(new Set(multi.datasets.map((d) => d.classArray(cls))).size === 1, `${cls} opened more than once`);
      check(arrays.refs(multi.datasets[0]!.input) === 3, "the raw array has not three references");
      const item = await multi.get(multi.offsets[1]!);
      check(item.raw.shape.join() === "1,4,6", `y slice shape ${item.raw.shape}`);
    } finally {
      multi.destroy();
    }
    check(openArrays(arrays) === 0, `${openArrays(arrays)} arrays left open after the multi-dataset was destroyed`);
    // Without a registry of its own, openSlicedDatasets still shares one.
    const withoutRegistry = { ...o };
    delete withoutRegistry.arrays;
    const plain = await openSlicedDatasets<"raw", "gt">(withoutRegistry);
    try {
      check(new Set(plain.datasets.map((d) => d.input)).size === 1, "openSlicedDatasets opened the raw array per axis");
    } finally {
      plain.destroy();
    }
  },

  /** A split with 2D shapes: one dataset per axis and entry, items [1, h, w]; slicingAxes passes through. */
  async "a data split with 2D shapes opens one dataset per axis with [1, h, w] items; slicingAxes passes through"(): Promise<void> {
    const fx = await getFixture();
    const base = {
      datasetDict: { train: [{ raw: fx.rawUrl, gt: `${fx.cropUrl}/[mito,er]` }], validate: [{ raw: fx.rawUrl, gt: `${fx.cropUrl}/[mito]` }] },
      classes: CLASSES,
      inputArrays: { raw: { shape: [4, 6] as [number, number], scale: S } },
      targetArrays: { gt: { shape: [2, 4] as [number, number], scale: S } },
      workers: 0,
      storeOptions: { fetch: fx.fetch },
      device: "cpu" as const,
    };
    const split = await CellMapDataSplit.open<"raw", "gt">(base);
    try {
      check(split.trainDatasets.map((d) => d.slicingAxis).join() === "z,y,x", `train axes ${split.trainDatasets.map((d) => d.slicingAxis)}`);
      check(split.validationDatasets.map((d) => d.slicingAxis).join() === "z,y,x", "validate axes");
      check(split.train.datasets.length === 3, "the training multi-dataset has not three datasets");
      check(new Set([...split.trainDatasets, ...split.validationDatasets].map((d) => d.input)).size === 1, "the 2D split opened the raw array more than once");
      for (const [k, axis] of (["z", "y", "x"] as const).entries()) {
        const i = split.train.offsets[k]! + Math.floor(split.trainDatasets[k]!.length / 2);
        const item = await split.train.get(i);
        check(item.raw.shape.join() === "1,4,6", `${axis}: raw item shape ${item.raw.shape}`);
        check(item.gt.shape.join() === "2,2,4", `${axis}: gt item shape ${item.gt.shape}`);
        sameArray(item.raw.data, expectedRawSlice(axis, item.center, 4, 6), `${axis} slice raw`);
      }
      const tiles = split.validationBlocks;
      check(tiles.length > 0, "no validation tiles");
    } finally {
      split.destroy();
    }
    const one = await CellMapDataSplit.open<"raw", "gt">({ ...base, slicingAxes: ["y"] });
    try {
      check(one.trainDatasets.length === 1 && one.trainDatasets[0]!.slicingAxis === "y", "slicingAxes did not pass through");
      const item = await one.train.get(0);
      sameArray(item.raw.data, expectedRawSlice("y", item.center, 4, 6), "y slice raw");
    } finally {
      one.destroy();
    }
    await expectArgumentError(() => CellMapDataSplit.open<"raw", "gt">({ ...base, inputArrays: { raw: { shape: [4, 4, 4], scale: S } }, targetArrays: { gt: { shape: [2, 2, 2], scale: S } }, slicingAxes: ["z"] }), "slicingAxes");
    await expectArgumentError(() => CellMapDataSplit.open<"raw", "gt">({ ...base, slicingAxes: ["z", "z"] }), "slicingAxes");
    await expectArgumentError(() => CellMapDataSplit.open<"raw", "gt">({ ...base, targetArrays: { gt: { shape: [2, 2, 2], scale: S } } }), "targetArrays.gt.shape");
  },

  /** Options that change how a shared array is opened must agree (a typed error naming the field). */
  async "mismatched open options for a shared array give an ArgumentError naming the field"(): Promise<void> {
    const fx = await getFixture();
    const arrays = new ArrayRegistry();
    const pool = await WorkerPool.create({ size: 0 });
    const other = await WorkerPool.create({ size: 0 });
    const first = await CellMapDataset.open<"raw", "gt">(await options({ arrays, pool, cacheBytes: 1 << 20 }));
    const refs = () => [first.input, first.classArray("mito")!, first.classArray("er")!].map((a) => arrays.refs(a)).join();
    try {
      await expectArgumentError(async () => CellMapDataset.open(await options({ arrays, pool, cacheBytes: 2 << 20 })), "cacheBytes");
      await expectArgumentError(async () => CellMapDataset.open(await options({ arrays, pool })), "cacheBytes");
      await expectArgumentError(async () => CellMapDataset.open(await options({ arrays, pool: other, cacheBytes: 1 << 20 })), "pool");
      const wrapped = ((input: RequestInfo | URL, init?: RequestInit) => fx.fetch(input, init)) as typeof fetch;
      await expectArgumentError(async () => CellMapDataset.open(await options({ arrays, pool, cacheBytes: 1 << 20, storeOptions: { fetch: wrapped } })), "storeOptions");
      await expectArgumentError(async () => CellMapDataset.open(await options({ arrays, pool, cacheBytes: 1 << 20, storeOptions: { fetch: fx.fetch, maxTries: 2 } })), "storeOptions");
      check(refs() === "1,1,1", `failed opens left references behind: ${refs()}`);
      // Equal options (a new but equal storeOptions object) share.
      const same = await CellMapDataset.open<"raw", "gt">(await options({ arrays, pool, cacheBytes: 1 << 20, storeOptions: { fetch: fx.fetch } }));
      check(same.input === first.input && refs() === "2,2,2", "equal options did not share");
      same.destroy();
      // A dataset that fails on one class releases the arrays it did open.
      let err: unknown;
      await CellMapDataset.open(await options({ arrays, pool, cacheBytes: 1 << 20, targetPath: `${fx.cropUrl}/[mito,nucleus]`, classes: ["mito", "nucleus"] })).catch((e) => (err = e));
      check(isCellMapError(err, "metadata") || isCellMapError(err, "http"), `a missing class gave ${String(err)}`);
      check(refs() === "1,1,1" && openArrays(arrays) === 3, `a failed open left references behind: ${refs()}, ${openArrays(arrays)} arrays`);
    } finally {
      first.destroy();
      pool.terminate();
      other.terminate();
    }
    check(openArrays(arrays) === 0, "arrays left open");
  },

  /**
   * A split made from opened datasets owns them: one without samples is destroyed at open (its
   * arrays released), the rest by the split's destroy; when open throws, every given dataset is
   * destroyed and nothing stays open.
   */
  async "a split made from opened datasets owns them: dropped ones are destroyed at open, all of them when open throws"(): Promise<void> {
    const arrays = new ArrayRegistry();
    const pool = await WorkerPool.create({ size: 0 });
    try {
      const big = { gt: { shape: [40, 60, 60] as Vec3, scale: S } };
      const full = await CellMapDataset.open<"raw", "gt">(await options({ arrays, pool }));
      const empty = await CellMapDataset.open<"raw", "gt">(await options({ arrays, pool, targetArrays: big, pad: false }));
      check(full.length > 0 && empty.length === 0, `lengths ${full.length}, ${empty.length}: the case needs one dataset without samples`);
      check(arrays.refs(full.input) === 2, `raw array refs ${arrays.refs(full.input)} before the split`);
      const base = { classes: CLASSES, inputArrays: { raw: { shape: [2, 4, 4] as Vec3, scale: S } }, targetArrays: { gt: { shape: [2, 2, 2] as Vec3, scale: S } }, pool };
      const split = await CellMapDataSplit.open<"raw", "gt">({ ...base, datasets: { train: [full, empty], validate: [] } });
      check(split.trainDatasets.length === 1 && split.trainDatasets[0] === full, "the split keeps the dataset with samples");
      check(arrays.refs(full.input) === 1, `the dropped dataset still holds the raw array (${arrays.refs(full.input)} refs)`);
      let err: unknown;
      await empty.get(0).catch((e) => (err = e));
      check(isCellMapError(err, "argument"), `the dropped dataset still answers get: ${String(err)}`);
      split.destroy();
      check(openArrays(arrays) === 0, `${openArrays(arrays)} arrays open after the split's destroy`);

      const lone = await CellMapDataset.open<"raw", "gt">(await options({ arrays, pool, targetArrays: big, pad: false }));
      await expectArgumentError(() => CellMapDataSplit.open<"raw", "gt">({ ...base, datasets: { train: [lone] } }), "datasets.train");
      check(openArrays(arrays) === 0, `${openArrays(arrays)} arrays open after a failed split`);
    } finally {
      pool.terminate();
    }
  },

  /** The device and GPU pick the array: a CPU and a GPU dataset over one URL do not share. */
  async "device and GPU pick the shared array"(): Promise<void> {
    const gpu = await GpuContext.create();
    const arrays = new ArrayRegistry();
    try {
      const onCpu = await CellMapDataset.open<"raw", "gt">(await options({ arrays }));
      const onGpu = await CellMapDataset.open<"raw", "gt">(await options({ arrays, device: "gpu", gpu }));
      const onGpu2 = await CellMapDataset.open<"raw", "gt">(await options({ arrays, device: "gpu", gpu }));
      try {
        check(onCpu.input !== onGpu.input && onGpu.input === onGpu2.input, "device and GPU do not pick the array");
        check(onGpu.input.device === "gpu" && onCpu.input.device === "cpu", "devices");
        check(openArrays(arrays) === 6, `${openArrays(arrays)} arrays`);
        const i = Math.floor(onCpu.length / 2);
        const [a, b] = [await onCpu.get(i), await onGpu2.get(i)];
        for (let k = 0; k < a.raw.data.length; k++) check(Math.abs(a.raw.data[k]! - b.raw.data[k]!) < 1e-3, `raw ${k}: CPU ${a.raw.data[k]}, GPU ${b.raw.data[k]}`);
      } finally {
        onCpu.destroy();
        onGpu.destroy();
        onGpu2.destroy();
      }
      check(openArrays(arrays) === 0, "arrays left open");
    } finally {
      gpu.destroy();
    }
  },

  /**
   * Aborting one dataset's open does not fail another waiting on the same raw array; the shared
   * open is cancelled only when both abort, and leaves nothing behind.
   */
  async "the first of two datasets sharing a raw array aborts alone; aborting both cancels the shared open and leaks nothing"(): Promise<void> {
    const fx = await getFixture();
    const crop2 = `${fx.rawUrl.replace(RAW_PATH, CROP2_PATH)}/[mito]`;
    const isRaw = (key: string) => key.includes(`/${RAW_PATH}/`);
    /** Open a dataset over crop1 and one over crop2 through one registry, both waiting on the raw metadata. */
    const start = async (gate: ReturnType<typeof gatedFetch>, arrays: ArrayRegistry) => {
      const [a, b] = [new AbortController(), new AbortController()];
      const first = CellMapDataset.open<"raw", "gt">(await options({ arrays, targetPath: `${fx.cropUrl}/[mito]`, storeOptions: { fetch: gate.fetch }, signal: a.signal }));
      const second = CellMapDataset.open<"raw", "gt">(await options({ arrays, targetPath: crop2, storeOptions: { fetch: gate.fetch }, signal: b.signal }));
      // A dataset asks for its raw array before its labels: once crop2's metadata is asked for,
      // the second dataset waits on the raw open the first one started.
      await until(() => gate.state.held > 0 && gate.state.keys.some((k) => k.includes(CROP2_PATH)), "both datasets waiting on the raw metadata");
      return { first, second, a, b };
    };

    // Abort the first: it fails at once, the second opens and reads right.
    const gate = gatedFetch(fx, isRaw);
    const arrays = new ArrayRegistry();
    const one = await start(gate, arrays);
    one.a.abort();
    const r1 = await settled(one.first, "the aborted open");
    check(isCellMapError(r1.error, "aborted"), `the aborted dataset's open gave ${r1.error === undefined ? "a dataset" : String(r1.error)}`);
    check(gate.state.aborted === 0, "aborting one of two callers cancelled the shared raw open");
    gate.release();
    const r2 = await settled(one.second, "the other open");
    check(r2.value !== undefined, `the other dataset failed: ${String(r2.error)}`);
    const ds = r2.value!;
    try {
      check(gate.state.held === 1, `the raw metadata was held ${gate.state.held} times: the two datasets did not share one open`);
      check(openArrays(arrays) === 2 && arrays.refs(ds.input) === 1, `registry: ${openArrays(arrays)} arrays (expected raw and crop2's mito), raw refs ${arrays.refs(ds.input)}`);
      check(ds.length > 2, `${ds.length} samples`);
      for (const i of [0, Math.floor(ds.length / 2), ds.length - 1]) {
        const item = await ds.get(i);
        sameArray(item.raw.data, expectedRaw3D(item.center, [2, 4, 4]), `raw of sample ${i}`);
      }
    } finally {
      ds.destroy();
    }
    check(openArrays(arrays) === 0, `${openArrays(arrays)} arrays left open`);

    // Abort both: the shared open is cancelled, nothing stays in the registry and no request follows.
    const gate2 = gatedFetch(fx, isRaw);
    const arrays2 = new ArrayRegistry();
    const two = await start(gate2, arrays2);
    two.a.abort();
    check(isCellMapError((await settled(two.first, "the first aborted open")).error, "aborted"), "the first aborted open did not give an AbortedError");
    check(gate2.state.aborted === 0, "the raw open was cancelled while the second dataset still waited on it");
    two.b.abort();
    check(isCellMapError((await settled(two.second, "the second aborted open")).error, "aborted"), "the second aborted open did not give an AbortedError");
    await until(() => gate2.state.aborted === 1, "the shared raw open cancelled once both datasets aborted");
    check(openArrays(arrays2) === 0, `${openArrays(arrays2)} arrays left in the registry after both opens aborted`);
    const calls = gate2.state.calls;
    const served = totalRequests(fx);
    gate2.release();
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 1));
    check(gate2.state.calls === calls && totalRequests(fx) === served, `${gate2.state.calls - calls} requests after both opens were aborted`);

    // An open that completes after every caller aborted (its store ignores the abort) is destroyed.
    // The level's .zarray is read once, and last, by the open.
    const gate3 = gatedFetch(fx, (key) => isRaw(key) && key.endsWith("/s0/.zarray"), true);
    const arrays3 = new ArrayRegistry();
    const destroyed: string[] = [];
    const destroy = CellMapArray.prototype.destroy;
    CellMapArray.prototype.destroy = function (this: CellMapArray) {
      destroyed.push(this.url);
      destroy.call(this);
    };
    try {
      const c = new AbortController();
      const opening = arrays3.open(fx.rawUrl, { device: "cpu", workers: 0, storeOptions: { fetch: gate3.fetch }, signal: c.signal });
      await until(() => gate3.state.held === 1, "the raw array's last metadata read held");
      c.abort();
      check(isCellMapError((await settled(opening, "the aborted open")).error, "aborted"), "the aborted open did not give an AbortedError");
      check(openArrays(arrays3) === 0, "the abandoned open stayed in the registry");
      gate3.release();
      await until(() => destroyed.length > 0, "the array that opened after its caller aborted destroyed");
      const destroys = () => destroyed.length;
      check(destroys() === 1 && destroyed[0] === fx.rawUrl, `destroyed: ${destroyed.join()}`);
      check(openArrays(arrays3) === 0, "the late array entered the registry");
      // The registry still opens that array afresh.
      const again = await arrays3.open(fx.rawUrl, { device: "cpu", workers: 0, storeOptions: { fetch: gate3.fetch } });
      check(openArrays(arrays3) === 1 && arrays3.refs(again) === 1, "the registry did not open the array again");
      arrays3.release(again);
      check(openArrays(arrays3) === 0 && destroys() === 2, "releasing the reopened array did not free it");
    } finally {
      CellMapArray.prototype.destroy = destroy;
    }
  },
} satisfies Cases;
