// Store locations and streaming through the chunk cache: bodies run in Node, Deno and Chromium
// from the case registry (test/setup/cases.ts)
// suites. The location cases are pure. The streaming cases read the in-memory dataset fixture
// (test/setup/dataset-fixture.ts) through its counting `fetch` with `workers: 0`, so every
// runtime counts the requests each chunk costs; expected voxels come from the fixture's closed
// form (`rawAt`), never from the library. (Node also streams from a loopback server with worker
// threads in test/streaming.test.ts.)

import { CellMapArray, type SampleSpec } from "../../src/array/cellmap-array.ts";
import { GpuContext } from "../../src/gpu/context.ts";
import { isCellMapError } from "../../src/errors.ts";
import { FileStore } from "../../src/store/file.ts";
import { HttpStore } from "../../src/store/http.ts";
import { openStore, resolveLocation } from "../../src/store/open.ts";
import { buildFixture, type MemoryFixture, RAW_SHAPE, rawAt, SCALE } from "./dataset-fixture.ts";
import { check, same, sameValues } from "./assert.ts";
import type { Cases } from "./cases.ts";

type Vec3 = [number, number, number];

/** Identity read of an odd `n`-cube at a voxel-center `center`: stored voxels, 0 outside. */
function expectedIdentity(center: Vec3, n: number): Float32Array {
  const out = new Float32Array(n ** 3);
  const h = (n - 1) / 2;
  let i = 0;
  for (let z = 0; z < n; z++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    const v = [center[0] / SCALE - h + z, center[1] / SCALE - h + y, center[2] / SCALE - h + x];
    out[i++] = v.every((q, k) => q >= 0 && q < RAW_SHAPE[k]!) ? rawAt(v[0]!, v[1]!, v[2]!) : 0;
  }
  return out;
}

/** Requests for raw chunks (not metadata), by key. */
function chunkRequests(fx: MemoryFixture): Array<[string, number]> {
  return [...fx.requests].filter(([k]) => /fibsem-uint8\/s0\/\d+[./]\d+[./]\d+$/.test(k));
}

function openRaw(fx: MemoryFixture, device: "cpu" | "gpu", gpu: GpuContext | undefined, cacheBytes?: number): Promise<CellMapArray> {
  return CellMapArray.open(fx.rawUrl, {
    ...(device === "gpu" ? { gpu: gpu!, device } : { device }),
    workers: 0,
    storeOptions: { fetch: fx.fetch },
    ...(cacheBytes === undefined ? {} : { cacheBytes }),
  });
}

/** Twelve rotated samples wandering over the whole raw volume (27 chunks of 8 x 16 x 16). */
function wanderingSpecs(): SampleSpec[] {
  const specs: SampleSpec[] = [];
  for (let i = 0; i < 12; i++) {
    const t = i * 0.7;
    specs.push({
      center: [40 + 24 * Math.sin(t), 72 + 50 * Math.cos(t), 72 + 50 * Math.sin(2 * t)],
      augment: [1, 0, 0, 0, Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t)],
    });
  }
  return specs;
}

/**
 * Two concurrent `sample` calls whose samples share chunks (the same centers twice, overlapping
 * boxes): every chunk is fetched exactly once, misses equal the chunks fetched, and the voxels
 * are the stored ones.
 */
async function fetchedOnce(device: "cpu" | "gpu" = "cpu"): Promise<string> {
  const fx = await buildFixture(2);
  const gpu = device === "gpu" ? await GpuContext.create({ label: "store cases" }) : undefined;
  const arr = await openRaw(fx, device, gpu);
  try {
    const centers: Vec3[] = [[32, 60, 60], [36, 64, 64], [32, 60, 60], [48, 100, 120], [36, 64, 64]];
    const specs: SampleSpec[] = centers.map((center) => ({ center }));
    const opts = { shape: [9, 9, 9] as Vec3, scale: [SCALE, SCALE, SCALE] as Vec3, interp: "nearest" as const };
    const [a, b] = await Promise.all([arr.sample(specs, opts), arr.sample(specs.slice(1), opts)]);
    centers.forEach((c, i) => sameValues(a.subarray(i * 729, (i + 1) * 729), expectedIdentity(c, 9), `sample ${i} at ${c}`));
    sameValues(b, a.subarray(729), "the second call");
    const reqs = chunkRequests(fx);
    check(reqs.length > 4, `only ${reqs.length} chunks read: the samples should span several`);
    for (const [key, count] of reqs) check(count === 1, `chunk ${key} fetched ${count} times`);
    check(arr.stats.misses === reqs.length, `${arr.stats.misses} misses for ${reqs.length} chunks fetched`);
    return `${device}: ${reqs.length} chunks, each fetched once, for ${centers.length + centers.length - 1} samples`;
  } finally {
    arr.destroy();
    gpu?.destroy();
  }
}

/**
 * A cache of 8 chunk slots, smaller than the 27 chunks the samples touch, gives the same values
 * as a cache holding every chunk (evicting and refetching on the way); on the GPU the small
 * cache is compared with the CPU twin's full one.
 */
async function smallBudget(device: "cpu" | "gpu" = "cpu"): Promise<string> {
  const fx = await buildFixture(2);
  const gpu = device === "gpu" ? await GpuContext.create({ label: "store cases" }) : undefined;
  const big = await openRaw(fx, "cpu", undefined);
  const slotBytes = big.stats.budgetBytes / big.cacheSlots;
  const small = await openRaw(fx, device, gpu, 8 * slotBytes);
  try {
    check(big.cacheSlots === 27, `the full cache has ${big.cacheSlots} slots, expected one per chunk (27)`);
    check(small.cacheSlots === 8, `the small cache has ${small.cacheSlots} slots, expected 8`);
    const specs = wanderingSpecs();
    const opts = { shape: [6, 6, 6] as Vec3, scale: [SCALE, SCALE, SCALE] as Vec3 };
    const ref = await big.sample(specs, opts);
    const got = await small.sample(specs, opts);
    if (device === "cpu") sameValues(got, ref, "small-cache samples");
    else {
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i]! - ref[i]!));
      // Linear interpolation in f32 on the GPU against f64 on the CPU, values below 200.
      check(worst <= 1e-3, `GPU small cache vs CPU: max |difference| ${worst}`);
    }
    check(new Set(ref).size > 50, "the samples hold too few distinct values to prove anything");
    check(small.stats.evictions > 0, "the small cache never evicted: the working set fits");
    check(small.stats.bytesResident <= small.stats.budgetBytes, `${small.stats.bytesResident} bytes resident over a ${small.stats.budgetBytes}-byte budget`);
    return `${device}: ${small.stats.evictions} evictions, ${small.stats.misses} misses with 8 slots`;
  } finally {
    big.destroy();
    small.destroy();
    gpu?.destroy();
  }
}

export const storeCases = {
  /** `s3://bucket/key` resolves to the bucket's anonymous virtual-hosted HTTPS address. */
  "s3:// URLs are read anonymously over HTTPS, virtual-hosted style"(): void {
    same(resolveLocation("s3://janelia-cosem-datasets/jrc_hela-2/jrc_hela-2.zarr/"), "https://janelia-cosem-datasets.s3.amazonaws.com/jrc_hela-2/jrc_hela-2.zarr", "resolveLocation of an s3 URL");
    same(resolveLocation("S3://bucket"), "https://bucket.s3.amazonaws.com", "a bucket without a key");
    const store = openStore("s3://bucket/a/b.zarr");
    check(store instanceof HttpStore, "openStore(s3://...) is not an HttpStore");
    same(store.url, "https://bucket.s3.amazonaws.com/a/b.zarr", "the store's URL");
  },

  /** http(s) URLs open HTTP stores unchanged; file: URLs and paths open file stores. */
  "http(s) URLs, file: URLs and paths"(): void {
    check(openStore("https://h/x.zarr") instanceof HttpStore, "https URL");
    same(resolveLocation("https://h/x.zarr"), "https://h/x.zarr", "an https URL is unchanged");
    const f = openStore("file:///tmp/a%20b.zarr");
    check(f instanceof FileStore, "file: URL");
    same(f.url, "/tmp/a b.zarr", "the file store's path");
    check(openStore("data/x.zarr/") instanceof FileStore, "relative path");
  },

  "each chunk is fetched once however many samples want it (CPU)": () => fetchedOnce("cpu"),
  "each chunk is fetched once however many samples want it (GPU)": () => fetchedOnce("gpu"),

  "a cache budget smaller than the working set gives identical values (CPU)": () => smallBudget("cpu"),
  "a cache budget smaller than the working set gives the CPU twin's values (GPU)": () => smallBudget("gpu"),

  /**
   * sampleInto at a byte offset that storage bindings cannot take writes through a copy: into a
   * buffer with COPY_DST it lands at that offset (the CPU twin's values, nothing before it
   * touched); a buffer without COPY_DST is an ArgumentError naming "buffer", not a silent miss.
   */
  async "sampleInto at an unaligned offset writes through a copy; a buffer without COPY_DST is an ArgumentError"(): Promise<void> {
    const fx = await buildFixture(2);
    const gpu = await GpuContext.create({ label: "store cases" });
    const g = await openRaw(fx, "gpu", gpu);
    const c = await openRaw(fx, "cpu", undefined);
    try {
      const specs = wanderingSpecs().slice(0, 2);
      const opts = { shape: [4, 4, 4] as Vec3, scale: [SCALE, SCALE, SCALE] as Vec3 };
      const n = specs.length * 64;
      const offset = 4; // one f32 in: never a multiple of the storage offset alignment
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
      const good = gpu.device.createBuffer({ size: (n + 1) * 4, usage: usage | GPUBufferUsage.COPY_DST });
      const bad = gpu.device.createBuffer({ size: (n + 1) * 4, usage });
      try {
        gpu.device.queue.writeBuffer(good, 0, new Float32Array([-7]));
        await g.sampleInto(specs, { ...opts, buffer: good, byteOffset: offset });
        const got = new Float32Array(await gpu.readBuffer(good, 0, (n + 1) * 4));
        const ref = await c.sample(specs, opts);
        check(got[0] === -7, `the value before the offset was overwritten: ${got[0]}`);
        let worst = 0;
        for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(got[1 + i]! - ref[i]!));
        check(worst <= 1e-3, `unaligned sampleInto vs CPU: max |difference| ${worst}`);
        let threw: unknown;
        try {
          await g.sampleInto(specs, { ...opts, buffer: bad, byteOffset: offset });
        } catch (e) {
          threw = e;
        }
        check(isCellMapError(threw, "argument") && (threw as { field?: string }).field === "buffer", `expected ArgumentError on buffer, got ${String(threw)}`);
      } finally {
        good.destroy();
        bad.destroy();
      }
    } finally {
      g.destroy();
      c.destroy();
      gpu.destroy();
    }
  },
} satisfies Cases;
