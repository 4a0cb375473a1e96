// The reuse of CPU batch arrays and the strided writes behind it, shared by Node, Deno and
// Chromium: `CellMapArray.sample` with `outStride` (each sample `outStride` values apart, nothing
// between written, on the CPU and the GPU), and loader batches that are released and written
// into again, value for value the batches of a loader whose batches are all kept, for targets
// written in place (true negatives there) and through the value passes' scratch, in the sample
// workers (shared memory where the runtime has it) and on the calling thread.

import { CellMapDataLoader } from "../../src/dataset/dataloader.ts";
import { BatchArrayPool } from "../../src/batch/arrays.ts";
import { CellMapDataset, type CellMapDatasetOptions } from "../../src/dataset/dataset.ts";
import { sharedMemory } from "../../src/engine/shared-memory.ts";
import { isCellMapError } from "../../src/errors.ts";
import { GpuContext } from "../../src/gpu/context.ts";
import type { Vec3 } from "../../src/geometry/types.ts";
import { check, same } from "./assert.ts";
import { buildFixture, fixtureDatasetOptions, type MemoryFixture, SCALE } from "./dataset-fixture.ts";

let fixture: Promise<MemoryFixture> | undefined;
const getFixture = () => (fixture ??= buildFixture(2));

const RAW: Vec3 = [6, 10, 9];
const GT: Vec3 = [5, 7, 6];

async function open(extra: Partial<CellMapDatasetOptions<"raw", "gt">>): Promise<CellMapDataset<"raw" | "gt">> {
  const fx = await getFixture();
  return CellMapDataset.open<"raw", "gt">({
    ...fixtureDatasetOptions(fx, RAW, GT),
    spatialTransforms: { mirror: { axes: { z: 0.5, x: 0.5 } }, transpose: { axes: ["y", "x"] }, rotate: { axes: { z: [-180, 180] } } },
    isTrain: true,
    ...extra,
  });
}

/** Every batch of one epoch: copies of its arrays (slice), and the buffers they came in. */
async function epoch(ds: CellMapDataset<"raw" | "gt">, release: boolean, options: { prefetch?: number; prefetchBytes?: number } = { prefetch: 2 }): Promise<{ values: Float32Array[]; buffers: ArrayBufferLike[] }> {
  const values: Float32Array[] = [];
  const buffers: ArrayBufferLike[] = [];
  for await (const b of new CellMapDataLoader(ds, { batchSize: 3, iterationsPerEpoch: 6, seed: 5, ...options })) {
    for (const a of [b.raw, b.gt]) {
      values.push(a.data.slice());
      buffers.push(a.data.buffer);
    }
    if (release) b.release();
  }
  return { values, buffers };
}

const SETUPS: Record<string, Partial<CellMapDatasetOptions<"raw", "gt">>> = {
  "targets in place, with true negatives": { classRelationships: { nucleus: ["mito", "er"] } },
  "targets through the value passes": { classRelationships: { nucleus: ["mito", "er"] }, targetValueTransforms: { er: [{ nanToNum: { nan: 2 } }] }, valueTransforms: { raw: [{ normalize: { range: [0, 200] } }] } },
};

export const batchArraysCases = {
  /** outStride spaces the samples apart, on the CPU (workers and calling thread) and the GPU; bad strides are ArgumentErrors. */
  async "CellMapArray.sample with outStride writes each sample outStride apart and nothing between"(): Promise<string> {
    const gpu = await GpuContext.create({ label: "test outStride" });
    const lines: string[] = [];
    try {
      for (const setup of [{ device: "cpu" as const, cpuWorkers: 0 }, { device: "cpu" as const }, { device: "gpu" as const, gpu }]) {
        const ds = await open(setup);
        try {
          // Inside the crop, across it and past the volume's edge (pad).
          const specs = ([[40, 70, 66], [30, 60, 81], [50, 101, 40], [6, 20, 139]] as Vec3[]).map((center) => ({ center }));
          for (const [arr, opts] of [[ds.input, { shape: RAW, scale: [SCALE, SCALE, SCALE], interp: "linear" as const }], [ds.classArray("mito")!, { shape: GT, scale: [SCALE, SCALE, SCALE], interp: "nearest" as const }]] as const) {
            const per = opts.shape[0] * opts.shape[1] * opts.shape[2];
            const whole = await arr.sample(specs, opts);
            const stride = per + 7;
            const out = new Float32Array(3 + 3 * stride + per + 5).fill(-99);
            const got = await arr.sample(specs, { ...opts, out: out.subarray(3), outStride: stride });
            check(got.buffer === out.buffer, "sample returns the array it wrote into");
            for (let b = 0; b < 4; b++) same(out.slice(3 + b * stride, 3 + b * stride + per), whole.slice(b * per, (b + 1) * per), `${setup.device} ${arr === ds.input ? "raw" : "mito"} sample ${b}`);
            const written = new Set<number>();
            for (let b = 0; b < 4; b++) for (let i = 0; i < per; i++) written.add(3 + b * stride + i);
            for (let i = 0; i < out.length; i++) if (!written.has(i)) check(out[i] === -99, `${setup.device}: value ${i}, outside every sample, was written (${out[i]})`);
          }
          const opts = { shape: RAW, scale: [SCALE, SCALE, SCALE] };
          const per = RAW[0] * RAW[1] * RAW[2];
          for (const [bad, want] of [[{ outStride: per }, /outStride needs out/], [{ out: new Float32Array(4 * per), outStride: per - 1 }, /outStride must be an integer of at least one sample/], [{ out: new Float32Array(3 * (per + 1) + per - 1), outStride: per + 1 }, /out must be a Float32Array of at least/]] as const) {
            const e = await ds.input.sample(specs, { ...opts, ...bad }).then(() => undefined, (err: unknown) => err);
            check(isCellMapError(e, "argument") && want.test((e as Error).message), `${JSON.stringify(Object.keys(bad))}: expected an ArgumentError matching ${want}, got ${String(e)}`);
          }
          lines.push(`${setup.device} (${ds.input.stats.executor.kind})`);
        } finally {
          ds.destroy();
        }
      }
    } finally {
      gpu.destroy();
    }
    return lines.join(", ");
  },

  /** Released batches come back as later batches' arrays, with the values of a loader that keeps every batch. */
  async "released CPU batches are written into again, value for value the batches of a loader that keeps them"(): Promise<string> {
    const lines: string[] = [];
    for (const [name, extra] of Object.entries(SETUPS)) {
      for (const cpuWorkers of [0, undefined]) {
        const ds = await open({ ...extra, ...(cpuWorkers === undefined ? {} : { cpuWorkers }) });
        try {
          const kept = await epoch(ds, false);
          const released = await epoch(ds, true);
          same(released.values, kept.values, `${name}, cpuWorkers ${cpuWorkers ?? "default"}: released batches`);
          const distinct = (l: ArrayBufferLike[]) => new Set(l).size;
          check(distinct(kept.buffers) === kept.buffers.length, `kept batches have arrays of their own: ${distinct(kept.buffers)} of ${kept.buffers.length}`);
          // 6 batches of 2 arrays, 2 read ahead: 3 batches' arrays at most are ever needed.
          check(distinct(released.buffers) <= 6, `released batches' arrays are reused: ${distinct(released.buffers)} distinct of ${released.buffers.length}`);
          const workers = ds.input.stats.executor.kind === "workers";
          const isShared = (b: ArrayBufferLike) => typeof SharedArrayBuffer === "function" && b instanceof SharedArrayBuffer;
          check(released.buffers.every((b) => isShared(b) === workers), `arrays in shared memory exactly when the workers resample (${ds.input.stats.executor.kind})`);
          check(!workers || sharedMemory().ok, "workers only with shared memory");
          lines.push(`${name} ${ds.input.stats.executor.kind}: ${distinct(released.buffers)} arrays for ${released.buffers.length}`);
        } finally {
          ds.destroy();
        }
      }
    }
    return lines.join("; ");
  },

  /** A GPU dataset's batches read back into a released batch's arrays: the values of kept batches. */
  async "released batches of a GPU dataset are read back into reused arrays, value for value"(): Promise<string> {
    const gpu = await GpuContext.create({ label: "test reused readback" });
    try {
      const ds = await open({ device: "gpu", gpu, ...SETUPS["targets in place, with true negatives"] });
      try {
        const kept = await epoch(ds, false);
        const released = await epoch(ds, true);
        same(released.values, kept.values, "released GPU batches");
        const distinct = (l: ArrayBufferLike[]) => new Set(l).size;
        check(distinct(kept.buffers) === kept.buffers.length && distinct(released.buffers) <= 6, `arrays: ${distinct(kept.buffers)} kept, ${distinct(released.buffers)} reused`);
        return `${distinct(released.buffers)} arrays for ${released.buffers.length}`;
      } finally {
        ds.destroy();
      }
    } finally {
      gpu.destroy();
    }
  },

  /** prefetchBytes caps the batches read ahead: fewer arrays live at once, the same values. */
  async "prefetchBytes bounds the batches read ahead, with the same batches"(): Promise<string> {
    const ds = await open({});
    try {
      const batchBytes = 3 * (RAW[0] * RAW[1] * RAW[2] + 3 * GT[0] * GT[1] * GT[2]) * 4;
      const wide = new CellMapDataLoader(ds, { batchSize: 3, prefetch: 4 });
      const capped = new CellMapDataLoader(ds, { batchSize: 3, prefetch: 4, prefetchBytes: batchBytes * 1.5 });
      check(wide.batchBytes === batchBytes && capped.batchBytes === batchBytes, `batchBytes ${capped.batchBytes}, expected ${batchBytes}`);
      check(wide.readAhead === 4 && capped.readAhead === 1, `readAhead: ${wide.readAhead} uncapped, ${capped.readAhead} capped (1.5 batches of bytes)`);
      check(new CellMapDataLoader(ds, { batchSize: 3, prefetch: 4, prefetchBytes: 1 }).readAhead === 1, "at least one batch is read ahead");
      const a = await epoch(ds, true, { prefetch: 4 });
      const b = await epoch(ds, true, { prefetch: 4, prefetchBytes: batchBytes * 1.5 });
      same(b.values, a.values, "capped batches");
      const distinct = (l: ArrayBufferLike[]) => new Set(l).size;
      // Released as they come: 1 batch read ahead and 1 in hand need 2 batches' arrays (4), 4 read ahead more.
      check(distinct(b.buffers) <= 4 && distinct(a.buffers) > 4, `arrays in use: ${distinct(b.buffers)} capped, ${distinct(a.buffers)} with 4 read ahead`);
      for (const bad of [0, -1, Number.NaN, "1"]) {
        let e: unknown;
        try {
          new CellMapDataLoader(ds, { batchSize: 3, prefetchBytes: bad as number });
        } catch (err) {
          e = err;
        }
        check(isCellMapError(e, "argument") && (e as Error).message.includes("prefetchBytes"), `prefetchBytes ${String(bad)}: ${String(e)}`);
      }
      return `${distinct(b.buffers)} arrays capped, ${distinct(a.buffers)} uncapped`;
    } finally {
      ds.destroy();
    }
  },

  /** CPU arrays opened without cacheBytes share the thread's budget; one with cacheBytes keeps its own. */
  async "CPU arrays without cacheBytes share one budget: together they hold at most it"(): Promise<string> {
    const ds = await open({});
    const own = await open({ cacheBytes: 1 << 20 });
    try {
      for await (const b of new CellMapDataLoader(ds, { batchSize: 3, iterationsPerEpoch: 2, seed: 1 })) b.release();
      const raw = ds.input.stats, mito = ds.classArray("mito")!.stats, er = ds.classArray("er")!.stats;
      check(raw.shared !== undefined && mito.shared !== undefined, "default CPU arrays report the shared budget");
      same(mito.shared, raw.shared, "one budget for both arrays");
      check(raw.shared!.arrays >= 3, `raw, mito and er share it: ${raw.shared!.arrays} arrays`);
      const held = raw.bytesResident + mito.bytesResident + er.bytesResident;
      check(held > 0 && raw.shared!.bytesResident >= held && raw.shared!.bytesResident <= raw.shared!.budgetBytes, `the budget counts what its arrays hold: ${raw.shared!.bytesResident} >= ${held}, within ${raw.shared!.budgetBytes}`);
      check(own.input.stats.shared === undefined && own.input.stats.budgetBytes <= 1 << 20, "an array with cacheBytes keeps a budget of its own");
      const before = raw.shared!.arrays;
      own.destroy();
      const members = ds.input.stats.shared!.arrays;
      check(members === before, `destroying arrays with their own budget leaves the shared one alone (${members} of ${before})`);
      return `${raw.shared!.arrays} arrays share ${raw.shared!.budgetBytes} bytes, ${raw.shared!.bytesResident} held`;
    } finally {
      ds.destroy();
      own.destroy();
    }
  },

  /** The pool ignores a second release and arrays it did not give out, and keeps at most maxFree of a size. */
  "a batch array pool takes back only its own arrays, once, and keeps at most maxFree"(): void {
    const pool = new BatchArrayPool(2);
    const free = (): number => pool.freeCount;
    const a = pool.acquire(10, false), b = pool.acquire(10, false), c = pool.acquire(10, false);
    pool.release(new Float32Array(10));
    check(free() === 0, "an array the pool did not give out is not taken");
    pool.release(a);
    pool.release(a);
    check(free() === 1, "a second release of the same array is ignored");
    pool.release(b);
    pool.release(c);
    check(free() === 2, `at most maxFree (2) kept: ${free()}`);
    const again = pool.acquire(10, false);
    check(again === b || again === a, "a free array of the size comes back");
    check(pool.acquire(11, false) !== a, "another size gets a fresh array");
    // Without SharedArrayBuffer (a page that is not cross-origin isolated) shared arrays are plain ones.
    if (typeof SharedArrayBuffer === "function") check(pool.acquire(10, true).buffer instanceof SharedArrayBuffer, "shared memory is another kind: a fresh shared array");
  },
};
