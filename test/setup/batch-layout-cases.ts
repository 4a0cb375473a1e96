// Batch assembly test bodies shared by the Node (vitest), Chromium (vitest browser mode) and Deno
// suites: the class-relationship pass on a class-major buffer, the one-map readback of a batch,
// and loader batches on the GPU (both routes of the relationship pass, CPU and GPU output)
// against the CPU dataset, whose batches come from the CPU twins and host-side copies only.

import { CellMapDataLoader, type Batch } from "../../src/dataset/dataloader.ts";
import { BatchBufferPool } from "../../src/batch/buffers.ts";
import { BatchStaging } from "../../src/batch/readback.ts";
import { CellMapDataset, type CellMapDatasetOptions } from "../../src/dataset/dataset.ts";
import { maxSampleBytes } from "../../src/gpu/batch-dispatch.ts";
import { GpuContext } from "../../src/gpu/context.ts";
import { encodeClassRelationships, prepareClassRelationships } from "../../src/kernels/labels/gpu.ts";
import { applyClassRelationshipsReference } from "../../src/kernels/labels/twin.ts";
import type { Vec3 } from "../../src/geometry/types.ts";
import { check, sameValues } from "./assert.ts";
import { buildFixture, type MemoryFixture, SCALE } from "./dataset-fixture.ts";
import { rng, withBindingLimit } from "./value-transform-cases.ts";
import type { Cases } from "./cases.ts";

/** `[C, B, V]` -> `[B, C, V]` (or back with the roles of B and C swapped). */
function swapOuter(data: Float32Array, outer: number, inner: number, voxels: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) out.set(data.subarray((o * inner + i) * voxels, (o * inner + i + 1) * voxels), (i * outer + o) * voxels);
  }
  return out;
}

/** A device whose `maxBufferSize` reads as `bytes` (buffers are still created on the real one). */
function withBufferLimit(real: GPUDevice, bytes: number): GPUDevice {
  const limits: Record<string, number> = {};
  for (const k in real.limits) limits[k] = (real.limits as unknown as Record<string, number>)[k]!;
  limits["maxBufferSize"] = bytes;
  return new Proxy(real, {
    get(target, p) {
      if (p === "limits") return limits;
      const v = Reflect.get(target, p, target) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

let fixture: Promise<MemoryFixture> | undefined;
const getFixture = () => (fixture ??= buildFixture(2));

/** Odd sizes throughout: 3 classes (nucleus unannotated), batches of 5, targets of 7 * 9 * 11 voxels. */
const GT: Vec3 = [7, 9, 11];
const RAW: Vec3 = [3, 5, 7];
const BATCH = 5;

async function openDataset(gpu: GpuContext | undefined): Promise<CellMapDataset<"raw" | "gt">> {
  const fx = await getFixture();
  const options: CellMapDatasetOptions<"raw", "gt"> = {
    inputPath: fx.rawUrl,
    targetPath: `${fx.cropUrl}/[mito,er]`,
    classes: ["mito", "er", "nucleus"],
    inputArrays: { raw: { shape: RAW, scale: [SCALE, SCALE, SCALE] } },
    targetArrays: { gt: { shape: GT, scale: [SCALE, SCALE, SCALE] } },
    classRelationships: { nucleus: ["mito", "er"] },
    targetValueTransforms: { nucleus: [{ nanToNum: { nan: 5 } }], mito: [{ nanToNum: { nan: -1 } }] },
    valueTransforms: { raw: [{ normalize: { range: [0, 200] } }] },
    // Mirrors and transposes move voxels exactly, so the GPU and the CPU twin agree bit for bit.
    spatialTransforms: { mirror: { axes: { z: 0.5, y: 0.5, x: 0.5 } }, transpose: { axes: ["z", "y", "x"] } },
    isTrain: true,
    workers: 0,
    storeOptions: { fetch: fx.fetch },
    ...(gpu ? { gpu, device: "gpu" as const } : { device: "cpu" as const }),
  };
  return CellMapDataset.open<"raw", "gt">(options);
}

async function cpuBatches(ds: CellMapDataset<"raw" | "gt">): Promise<Batch<"raw" | "gt">[]> {
  const out: Batch<"raw" | "gt">[] = [];
  for await (const b of new CellMapDataLoader(ds, { batchSize: BATCH, iterationsPerEpoch: 3, seed: 17 })) out.push(b);
  return out;
}

/** GPU loader batches, CPU and GPU output, against the CPU dataset's; returns a summary. */
async function compareWithCpu(ctx: GpuContext): Promise<{ negatives: number; batches: number }> {
  const cpu = await openDataset(undefined);
  const onGpu = await openDataset(ctx);
  try {
    const want = await cpuBatches(cpu);
    const got = await cpuBatches(onGpu);
    let negatives = 0;
    const V = GT[0] * GT[1] * GT[2];
    got.forEach((b, k) => {
      const w = want[k]!;
      sameValues(b.idx, w.idx, `indices of batch ${k}`);
      check(b.gt.shape.join() === `${BATCH},3,${GT.join()}`, `gt shape ${b.gt.shape}`);
      sameValues(b.gt.data, w.gt.data, `gt of batch ${k}`);
      check(b.raw.data.every((v, i) => Math.abs(v - w.raw.data[i]!) <= 1e-5), `raw of batch ${k} differs from the CPU dataset's`);
      for (const a of [b.raw.data, b.gt.data]) check(a.byteOffset === 0 && a.buffer.byteLength === a.byteLength, "each array owns its whole ArrayBuffer");
      for (let s = 0; s < BATCH; s++) negatives += b.gt.data.subarray((s * 3 + 2) * V, (s * 3 + 3) * V).filter((x) => x === 0).length;
    });
    let k = 0;
    for await (const b of new CellMapDataLoader(onGpu, { batchSize: BATCH, iterationsPerEpoch: 3, seed: 17, output: "gpu" })) {
      sameValues(new Float32Array(await ctx.readBuffer(b.gt.buffer, 0, b.gt.byteLength)), got[k]!.gt.data, `gt of GPU-output batch ${k}`);
      sameValues(new Float32Array(await ctx.readBuffer(b.raw.buffer, 0, b.raw.byteLength)), got[k]!.raw.data, `raw of GPU-output batch ${k}`);
      b.release();
      k++;
    }
    check(k === 3, `${k} GPU-output batches`);
    return { negatives, batches: got.length };
  } finally {
    cpu.destroy();
    onGpu.destroy();
  }
}

/** True when using `buffer` in a copy raises a validation error (it was destroyed). */
async function isDestroyed(device: GPUDevice, buffer: GPUBuffer): Promise<boolean> {
  const probe = device.createBuffer({ size: 4, usage: GPUBufferUsage.COPY_DST });
  device.pushErrorScope("validation");
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, probe, 0, 4);
  device.queue.submit([encoder.finish()]);
  const error = await device.popErrorScope();
  probe.destroy();
  return error !== null;
}

export const batchLayoutCases = {
  /**
   * The class-relationship pass on a class-major `[C, B, V]` buffer, run as one sample of B * V
   * voxels, equals the CPU twin on the same labels in the `[B, C, V]` layout (C > 1, odd V).
   */
  async "the class-relationship pass on a class-major buffer equals the twin"(): Promise<string> {
    const ctx = await GpuContext.create({ label: "test class-major labels" });
    try {
      await prepareClassRelationships(ctx);
      let changed = 0;
      for (const [seed, C, B, V, empty, offset] of [
        [1, 3, 5, 97, NaN, 0],
        [2, 7, 2, 33, 255, 8],
        [3, 40, 3, 11, NaN, 260],
      ] as const) {
        const r = rng(seed);
        const classMajor = new Float32Array(C * B * V);
        for (let i = 0; i < classMajor.length; i++) {
          const u = r.next();
          classMajor[i] = u < 0.4 ? empty : u < 0.65 ? 1 : u < 0.95 ? 0 : 0.5;
        }
        const exclusive = Array.from({ length: C }, (_, c) => Array.from({ length: C }, (_, d) => c !== d && r.next() < 0.3));
        const sampleMajor = applyClassRelationshipsReference(swapOuter(classMajor, C, B, V), { batch: B, classes: C, voxels: V, exclusive, emptyValue: empty });
        const want = swapOuter(sampleMajor, B, C, V);
        const size = offset + classMajor.byteLength + 16;
        const buffer = ctx.device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
        try {
          const all = new Float32Array(size / 4).fill(-777);
          all.set(classMajor, offset / 4);
          ctx.device.queue.writeBuffer(buffer, 0, all);
          const encoder = ctx.device.createCommandEncoder();
          const work = encodeClassRelationships(ctx, encoder, { buffer, byteOffset: offset, batch: 1, classes: C, voxels: B * V, exclusive, emptyValue: empty });
          ctx.device.queue.submit([encoder.finish()]);
          work.release();
          check(work.dispatches === 1, `one dispatch expected, got ${work.dispatches}`);
          const out = new Float32Array(await ctx.readBuffer(buffer, 0, size));
          sameValues(out.subarray(offset / 4, offset / 4 + want.length), want, `seed ${seed}`);
          check(out.subarray(0, offset / 4).every((x) => x === -777) && out.subarray(offset / 4 + want.length).every((x) => x === -777), `seed ${seed}: values outside the buffer region changed`);
        } finally {
          buffer.destroy();
        }
        for (let i = 0; i < want.length; i++) if (!Object.is(want[i], classMajor[i])) changed++;
      }
      check(changed > 100, `the cases should infer many true negatives, inferred ${changed}`);
      return `${changed} true negatives, class-major GPU pass identical to the sample-major twin`;
    } finally {
      ctx.destroy();
    }
  },

  /**
   * A batch's staging buffers: arrays packed back to back, a new buffer when `maxBufferSize` is
   * reached, each array read back into its own ArrayBuffer with the values copied in.
   */
  async "a batch's staging packs arrays by maxBufferSize and reads each back"(): Promise<void> {
    const real = await GpuContext.create({ label: "test staging" });
    try {
      const ctx = GpuContext.fromDevice(withBufferLimit(real.device, 1024), { label: "test small buffers" });
      const arrays: Record<string, Float32Array<ArrayBuffer>> = {
        a: Float32Array.from({ length: 150 }, (_, i) => i + 0.5), // 600 bytes
        b: Float32Array.from({ length: 101 }, (_, i) => -i), // 404 bytes: still fits the first buffer
        c: Float32Array.from({ length: 75 }, (_, i) => 1000 + i), // 300 bytes: a second buffer
      };
      const staging = new BatchStaging(ctx, Object.fromEntries(Object.entries(arrays).map(([k, v]) => [k, v.byteLength])));
      const sources: GPUBuffer[] = [];
      try {
        check(staging.region("a").buffer === staging.region("b").buffer && staging.region("b").offset === 600, "a and b share the first staging buffer");
        check(staging.region("c").buffer !== staging.region("a").buffer && staging.region("c").offset === 0, "c starts a second staging buffer");
        const encoder = real.device.createCommandEncoder();
        for (const [name, values] of Object.entries(arrays)) {
          const src = real.device.createBuffer({ size: values.byteLength, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
          sources.push(src);
          real.device.queue.writeBuffer(src, 0, values);
          const to = staging.region(name);
          encoder.copyBufferToBuffer(src, 0, to.buffer, to.offset, values.byteLength);
        }
        real.device.queue.submit([encoder.finish()]);
        const got = await staging.read();
        for (const [name, values] of Object.entries(arrays)) {
          sameValues(got[name]!, values, `array ${name}`);
          check(got[name]!.buffer.byteLength === values.byteLength, `array ${name} owns its ArrayBuffer`);
        }
      } finally {
        staging.destroy();
        for (const s of sources) s.destroy();
      }
    } finally {
      real.destroy();
    }
  },

  /**
   * The loader's buffer pool hands a released buffer back for the same device, size and usage
   * only; once destroyed, it destroys its free buffers and every buffer released later.
   */
  async "the loader's buffer pool reuses by device, size and usage and destroys what it holds"(): Promise<void> {
    const ctx = await GpuContext.create({ label: "test pool" });
    try {
      const d = ctx.device;
      const usage = GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
      const pool = new BatchBufferPool();
      const a = pool.acquire(d, "a", 64, usage);
      const b = pool.acquire(d, "b", 64, usage);
      check(a !== b, "two acquires without a release give two buffers");
      pool.release(a);
      check(pool.acquire(d, "c", 128, usage) !== a, "another size does not get the released buffer");
      check(pool.acquire(d, "c", 64, usage | GPUBufferUsage.STORAGE) !== a, "another usage does not get the released buffer");
      const again = pool.acquire(d, "a again", 64, usage);
      check(again === a, "the same size and usage get the released buffer back");
      pool.release(again);
      check(!(await isDestroyed(d, a)), "a free buffer stays alive in the pool");
      pool.destroy();
      check(await isDestroyed(d, a), "destroy() destroys the free buffers");
      check(!(await isDestroyed(d, b)), "a buffer still out is not destroyed with the pool");
      pool.release(b);
      check(await isDestroyed(d, b), "a buffer released to a destroyed pool is destroyed");
    } finally {
      ctx.destroy();
    }
  },

  /** Read ahead (prefetch 4, buffers reused across batches in flight) equals one at a time. */
  async "batches read ahead reuse buffers and equal batches read one at a time"(): Promise<string> {
    const ctx = await GpuContext.create({ label: "test batch layout" });
    const ds = await openDataset(ctx);
    try {
      let compared = 0;
      for (const output of ["cpu", "gpu"] as const) {
        const read = async (prefetch: number) => {
          const out: Float32Array[][] = [];
          for await (const b of new CellMapDataLoader(ds, { batchSize: BATCH, iterationsPerEpoch: 6, seed: 5, prefetch, output })) {
            if ("buffer" in b.gt) {
              const gb = b as unknown as Batch<"raw" | "gt", "gpu">;
              out.push([new Float32Array(await ctx.readBuffer(gb.raw.buffer, 0, gb.raw.byteLength)), new Float32Array(await ctx.readBuffer(gb.gt.buffer, 0, gb.gt.byteLength))]);
            } else {
              const cb = b as unknown as Batch<"raw" | "gt", "cpu">;
              // Copies: release() hands the arrays back for later batches.
              out.push([cb.raw.data.slice(), cb.gt.data.slice()]);
            }
            b.release();
          }
          return out;
        };
        const one = await read(1);
        const ahead = await read(4);
        check(one.length === 6 && ahead.length === 6, `6 batches expected, got ${one.length} and ${ahead.length}`);
        one.forEach(([raw, gt], k) => {
          sameValues(ahead[k]![0]!, raw!, `raw of batch ${k} (${output} output)`);
          sameValues(ahead[k]![1]!, gt!, `gt of batch ${k} (${output} output)`);
          compared++;
        });
        // Consecutive batches differ, so a reused buffer holding a previous batch would show.
        check(one.some(([, gt], k) => k > 0 && gt!.some((v, i) => !Object.is(v, one[k - 1]![1]![i]))), "consecutive batches should differ");
      }
      return `${compared} batches read ahead equal those read one at a time`;
    } finally {
      ds.destroy();
      ctx.destroy();
    }
  },

  /** GPU loader batches equal the CPU dataset's; the class-major relationship pass is the route. */
  async "GPU loader batches (CPU and GPU output) equal the CPU dataset's"(): Promise<string> {
    const ctx = await GpuContext.create({ label: "test batch layout" });
    try {
      const V = GT[0] * GT[1] * GT[2];
      check(3 * BATCH * V * 4 <= maxSampleBytes(ctx.device), "the class-major scratch fits one binding here");
      const { negatives, batches } = await compareWithCpu(ctx);
      check(negatives > 50, `only ${negatives} true negatives in the batches`);
      return `${batches} batches of ${BATCH} equal the CPU dataset's (${negatives} true negatives)`;
    } finally {
      ctx.destroy();
    }
  },

  /**
   * With a binding limit below the class-major scratch (but above one sample's classes), the pass
   * runs on the `[B, C, V]` layout by groups of samples; batches still equal the CPU dataset's.
   */
  async "with bindings below the class-major scratch, GPU batches still equal the CPU dataset's"(): Promise<string> {
    const real = await GpuContext.create({ label: "test batch layout" });
    try {
      const limit = 32768;
      const ctx = GpuContext.fromDevice(withBindingLimit(real.device, limit), { label: "test small bindings" });
      const V = GT[0] * GT[1] * GT[2];
      check(3 * BATCH * V * 4 > maxSampleBytes(ctx.device), "the class-major scratch does not fit one binding");
      check(3 * V * 4 <= maxSampleBytes(ctx.device), "one sample's classes fit one binding");
      const { negatives, batches } = await compareWithCpu(ctx);
      check(negatives > 50, `only ${negatives} true negatives in the batches`);
      return `${batches} batches of ${BATCH} equal the CPU dataset's with ${limit}-byte bindings`;
    } finally {
      real.destroy();
    }
  },
} satisfies Cases;
