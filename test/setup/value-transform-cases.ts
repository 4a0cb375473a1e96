// Value-transform test bodies shared by the Node (vitest), Chromium (vitest browser mode) and
// Deno suites. Plain async functions that throw on failure. None of them skips: without a GPU
// adapter GpuContext.create() throws and the test fails.
//
// The shader (src/kernels/value-transforms/) is compared with its CPU twin
// (twin.ts) on seeded random volumes and seeded random op lists.

import { GpuContext } from "../../src/gpu/context.ts";
import { encodeValueOps, prepareValueTransforms } from "../../src/kernels/value-transforms/gpu.ts";
import { applyValueOpsReference } from "../../src/kernels/value-transforms/twin.ts";
import { drawValueOps } from "../../src/augment/value-draw.ts";
import { parseValueTransforms } from "../../src/augment/value-schema.ts";
import { FLOAT32_MAX, type ValueOp } from "../../src/kernels/value-transforms/contract.ts";
import { isCellMapError } from "../../src/errors.ts";
import { check } from "./assert.ts";
import type { Cases } from "./cases.ts";

type Shape = [number, number, number];

/** Seeded PRNG (mulberry32), so a failure names a seed that reproduces it. */
export function rng(seed: number): { next(): number } {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** Random values in [lo, hi), with a fraction of NaN, +Inf and -Inf when `specials` > 0. */
export function randomData(seed: number, n: number, lo: number, hi: number, specials = 0): Float32Array<ArrayBuffer> {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = r.next();
    if (s < specials) out[i] = NaN;
    else if (s < specials * 1.5) out[i] = Infinity;
    else if (s < specials * 2) out[i] = -Infinity;
    else out[i] = lo + (hi - lo) * r.next();
  }
  return out;
}

/**
 * Run ops on the GPU: upload `data` at `byteOffset` into a buffer with sentinel values around it,
 * encode, submit, read back. Returns the values and whether the sentinels survived.
 */
export async function runOnGpu(
  ctx: GpuContext,
  data: Float32Array<ArrayBuffer>,
  options: { batch: number; shape: Shape; ops: ValueOp[][]; seed: number; byteOffset?: number },
): Promise<{ values: Float32Array; dispatches: number }> {
  const device = ctx.device;
  const byteOffset = options.byteOffset ?? 0;
  const tail = 64;
  const size = byteOffset + data.byteLength + tail;
  const buffer = device.createBuffer({
    label: "test value transforms data",
    size,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  try {
    const sentinel = new Float32Array(size / 4).fill(-12345.5);
    sentinel.set(data, byteOffset / 4);
    device.queue.writeBuffer(buffer, 0, sentinel);
    const encoder = device.createCommandEncoder({ label: "test value transforms" });
    const work = encodeValueOps(ctx, encoder, {
      buffer,
      byteOffset,
      batch: options.batch,
      shape: options.shape,
      ops: options.ops,
      seed: options.seed,
    });
    device.queue.submit([encoder.finish()]);
    work.release();
    const all = new Float32Array(await ctx.readBuffer(buffer, 0, size));
    for (let i = 0; i < size / 4; i++) {
      if (i >= byteOffset / 4 && i < byteOffset / 4 + data.length) continue;
      check(all[i] === -12345.5, `value ${i} outside the batch was overwritten (${all[i]})`);
    }
    return { values: all.slice(byteOffset / 4, byteOffset / 4 + data.length), dispatches: work.dispatches };
  } finally {
    buffer.destroy();
  }
}

/** Largest error of `got` against `want` relative to `atol + rtol * |want|`; NaN and Inf must match exactly. */
export function compare(got: Float32Array, want: Float32Array, atol: number, rtol: number, what: string): number {
  check(got.length === want.length, `${what}: ${got.length} values, expected ${want.length}`);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (!Number.isFinite(w) || !Number.isFinite(g)) {
      check(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)), `${what}: value ${i} is ${g}, expected ${w}`);
      continue;
    }
    const err = Math.abs(g - w) / (atol + rtol * Math.abs(w));
    if (err > worst) worst = err;
    check(err <= 1, `${what}: value ${i} is ${g}, expected ${w} (|diff| ${Math.abs(g - w)})`);
  }
  return worst;
}

/** The device, reporting a smaller `maxStorageBufferBindingSize` (everything else forwarded). */
export function withBindingLimit(real: GPUDevice, maxStorageBufferBindingSize: number): GPUDevice {
  const limits: Record<string, number> = {};
  for (const k in real.limits) limits[k] = (real.limits as unknown as Record<string, number>)[k]!;
  limits["maxStorageBufferBindingSize"] = maxStorageBufferBindingSize;
  return new Proxy(real, {
    get(target, p) {
      if (p === "limits") return limits;
      const v = Reflect.get(target, p, target) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

async function withContext<T>(work: (ctx: GpuContext) => Promise<T>): Promise<T> {
  const ctx = await GpuContext.create({ label: "test value transforms" });
  try {
    await prepareValueTransforms(ctx);
    return await work(ctx);
  } finally {
    ctx.destroy();
  }
}

/** A random pointwise op (no blur, no contrast). */
function randomPointwise(r: { next(): number }): ValueOp {
  const pick = Math.floor(r.next() * 5);
  switch (pick) {
    case 0:
      return { kind: "normalize", scale: 0.5 + r.next() * 3, offset: r.next() * 2 - 1 };
    case 1:
      return { kind: "gaussianNoise", mean: r.next() - 0.5, std: 0.05 + r.next(), key: Math.floor(r.next() * 2 ** 32) };
    case 2:
      return { kind: "gamma", gamma: 0.5 + r.next() };
    case 3:
      return { kind: "binarize", threshold: r.next() };
    default:
      return { kind: "nanToNum", nan: r.next() * 4 - 2, posinf: 7, neginf: -7 };
  }
}

async function twin(
  ctx: GpuContext,
  name: string,
  data: Float32Array<ArrayBuffer>,
  options: { batch: number; shape: Shape; ops: ValueOp[][]; seed: number; byteOffset?: number },
  atol = 1e-4,
  rtol = 1e-4,
): Promise<{ worst: number; dispatches: number }> {
  const want = applyValueOpsReference(data.slice(), options);
  const { values, dispatches } = await runOnGpu(ctx, data, options);
  return { worst: compare(values, want, atol, rtol, name), dispatches };
}

export const valueTransformCases = {
  /** Random pointwise op lists (different per sample, one empty) on data with NaN and ±Inf. */
  "random pointwise op lists match the CPU twin in one dispatch"(): Promise<string> {
    return withContext(async (ctx) => {
      const lines: string[] = [];
      for (const seed of [1, 2, 3, 4]) {
        const r = rng(seed);
        const batch = 3;
        const shape: Shape = [3 + seed, 5, 7 + seed];
        const n = batch * shape[0] * shape[1] * shape[2];
        const ops: ValueOp[][] = [0, 1, 2].map((b) =>
          b === 1 ? [] : Array.from({ length: 1 + Math.floor(r.next() * 5) }, () => randomPointwise(r)),
        );
        const data = randomData(seed * 7, n, -2, 3, 0.05);
        const { worst, dispatches } = await twin(ctx, `pointwise seed ${seed}`, data, { batch, shape, ops, seed: seed * 1000 + 1 });
        check(dispatches === 1, `pointwise ops should take 1 dispatch, took ${dispatches}`);
        lines.push(`seed ${seed}: worst ${worst.toFixed(3)} of tolerance`);
      }
      return lines.join("; ");
    });
  },

  /** Every op kind at least once, with contrast and blur at different positions in each sample. */
  "contrast and blur stages at different positions per sample match the CPU twin"(): Promise<string> {
    return withContext(async (ctx) => {
      const shape: Shape = [6, 9, 11];
      const batch = 4;
      const ops: ValueOp[][] = [
        [
          { kind: "normalize", scale: 1 / 255, offset: 0 },
          { kind: "contrast", factor: 1.4 },
          { kind: "gaussianBlur", sigma: [1, 1.5, 0.8] },
          { kind: "gamma", gamma: 0.8 },
        ],
        [{ kind: "gaussianBlur", sigma: [0, 0, 2.5] }, { kind: "contrast", factor: 0.6 }, { kind: "contrast", factor: 1.2 }],
        [{ kind: "gaussianNoise", mean: 0, std: 5, key: 99 }, { kind: "gaussianBlur", sigma: [3, 0.5, 0] }],
        [{ kind: "normalize", scale: 2 / 255, offset: -1 }, { kind: "binarize", threshold: 0.1 }],
      ];
      const data = randomData(11, batch * 6 * 9 * 11, 0, 255);
      const { worst, dispatches } = await twin(ctx, "barriers", data, { batch, shape, ops, seed: 5 }, 2e-4, 2e-4);
      return `worst ${worst.toFixed(3)} of tolerance, ${dispatches} dispatches`;
    });
  },

  /** A blur wider than the volume reflects repeatedly, as scipy's "reflect" does. */
  async "a blur wider than the volume reflects like scipy"(): Promise<void> {
    await withContext(async (ctx) => {
      const shape: Shape = [2, 3, 1];
      const data = randomData(3, 6, -1, 1);
      await twin(ctx, "wide blur", data, { batch: 1, shape, ops: [[{ kind: "gaussianBlur", sigma: [4, 3, 2] }]], seed: 0 });
    });
  },

  /** Spec -> drawn ops -> GPU equals the CPU twin; typical training specs take few dispatches. */
  "drawn specs match the CPU twin with few dispatches"(): Promise<string> {
    return withContext(async (ctx) => {
      const spec = parseValueTransforms(
        [
          { normalize: { range: [0, 255] } },
          { gaussianNoise: { std: 0.05, p: 0.7 } },
          { randomGamma: { range: [0.7, 1.4], p: 0.7 } },
          { nanToNum: {} },
        ],
        "test",
      );
      const r = rng(77);
      const batch = 6;
      const shape: Shape = [8, 8, 8];
      const ops = Array.from({ length: batch }, () => drawValueOps(spec, r));
      const data = randomData(5, batch * 512, 0, 255, 0.02);
      const { dispatches } = await twin(ctx, "drawn", data, { batch, shape, ops, seed: 123 });
      check(dispatches === 1, `normalize + noise + gamma + nanToNum should take 1 dispatch, took ${dispatches}`);
      const withContrast = parseValueTransforms({ normalize: {}, randomContrast: { range: [0.5, 1.5] } }, "test");
      const ops2 = Array.from({ length: batch }, () => drawValueOps(withContrast, r));
      const r2 = await twin(ctx, "drawn contrast", data, { batch, shape, ops: ops2, seed: 1 });
      // normalize | mean (2 reduction dispatches) | contrast
      check(r2.dispatches === 4, `normalize + contrast should take 4 dispatches, took ${r2.dispatches}`);
      return `${dispatches} dispatch for 4 pointwise ops, ${r2.dispatches} with a contrast`;
    });
  },

  /** Noise: deterministic, standard normal, independent across samples, keys and seeds. */
  "noise is deterministic, standard normal and independent"(): Promise<string> {
    return withContext(async (ctx) => {
      const shape: Shape = [16, 32, 32];
      const voxels = 16 * 32 * 32;
      const ops: ValueOp[][] = [
        [{ kind: "gaussianNoise", mean: 0, std: 1, key: 5 }],
        [{ kind: "gaussianNoise", mean: 0, std: 1, key: 5 }],
        [{ kind: "gaussianNoise", mean: 0, std: 1, key: 6 }],
      ];
      const zeros = new Float32Array(3 * voxels);
      const a = (await runOnGpu(ctx, zeros, { batch: 3, shape, ops, seed: 9 })).values;
      const b = (await runOnGpu(ctx, zeros, { batch: 3, shape, ops, seed: 9 })).values;
      const c = (await runOnGpu(ctx, zeros, { batch: 3, shape, ops, seed: 10 })).values;
      for (let i = 0; i < a.length; i++) check(Object.is(a[i], b[i]), `noise at ${i} differs between identical runs`);
      const stats = (x: Float32Array) => {
        let s = 0;
        let s2 = 0;
        let s4 = 0;
        for (const v of x) {
          s += v;
          s2 += v * v;
          s4 += v ** 4;
        }
        const mean = s / x.length;
        const variance = s2 / x.length - mean * mean;
        return { mean, std: Math.sqrt(variance), kurtosis: s4 / x.length / (variance * variance) };
      };
      const corr = (x: Float32Array, y: Float32Array) => {
        let s = 0;
        for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
        return s / x.length;
      };
      const s0 = a.subarray(0, voxels);
      const s1 = a.subarray(voxels, 2 * voxels);
      const s2 = a.subarray(2 * voxels);
      const st = stats(s0);
      check(Math.abs(st.mean) < 0.03, `noise mean ${st.mean}`);
      check(Math.abs(st.std - 1) < 0.02, `noise std ${st.std}`);
      check(Math.abs(st.kurtosis - 3) < 0.15, `noise kurtosis ${st.kurtosis} (3 for a normal)`);
      const within = corr(s0.subarray(0, voxels - 1), s0.subarray(1));
      for (const [name, v] of [
        ["sample 0 vs 1", corr(s0, s1)],
        ["key 5 vs 6", corr(s1, s2)],
        ["seed 9 vs 10", corr(s0, c.subarray(0, voxels))],
        ["neighbouring voxels", within],
      ] as const) {
        check(Math.abs(v) < 0.03, `noise of ${name} is correlated (${v})`);
      }
      return `mean ${st.mean.toFixed(4)}, std ${st.std.toFixed(4)}, kurtosis ${st.kurtosis.toFixed(3)}`;
    });
  },

  /** An unaligned byte offset works and leaves the values around the batch alone. */
  async "an unaligned byte offset is respected"(): Promise<void> {
    await withContext(async (ctx) => {
      const shape: Shape = [3, 4, 5];
      const ops: ValueOp[][] = [
        [{ kind: "normalize", scale: 2, offset: 1 }, { kind: "gaussianBlur", sigma: [1, 1, 1] }, { kind: "contrast", factor: 2 }],
        [{ kind: "gaussianNoise", mean: 1, std: 0.5, key: 3 }],
      ];
      const data = randomData(8, 2 * 60, -1, 1);
      await twin(ctx, "offset 12", data, { batch: 2, shape, ops, seed: 4, byteOffset: 12 });
      await twin(ctx, "offset 260", data, { batch: 2, shape, ops, seed: 4, byteOffset: 260 });
    });
  },

  /**
   * Batches larger than one binding are split into groups: a device that reports a 4 KiB binding
   * limit forces 3 groups of a 10-sample batch, and the result still equals the twin.
   */
  async "batches beyond the binding limit are split into groups"(): Promise<string> {
    const real = await GpuContext.create({ label: "test value transforms groups" });
    try {
      const device = withBindingLimit(real.device, 4096);
      const ctx = GpuContext.fromDevice(device, { label: "test small bindings" });
      const shape: Shape = [6, 6, 6];
      const batch = 10;
      const ops: ValueOp[][] = Array.from({ length: batch }, (_, b) => [
        { kind: "gaussianNoise", mean: 0, std: 1, key: b },
        ...(b % 3 === 0 ? [{ kind: "gaussianBlur", sigma: [1, 0, 1] } as const] : []),
        ...(b % 2 === 0 ? [{ kind: "contrast", factor: 1.5 } as const] : []),
        { kind: "binarize", threshold: 0.2 },
      ]);
      const data = randomData(21, batch * 216, -1, 1);
      const { dispatches } = await twin(ctx, "groups", data, { batch, shape, ops, seed: 3, byteOffset: 8 });
      return `${dispatches} dispatches over 3 groups`;
    } finally {
      real.destroy();
    }
  },

  /** Bad inputs raise ArgumentError naming the field; empty op lists record nothing. */
  async "bad inputs raise ArgumentError naming the field"(): Promise<void> {
    await withContext(async (ctx) => {
      const buffer = ctx.device.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE });
      const encoder = ctx.device.createCommandEncoder();
      const base = { buffer, byteOffset: 0, batch: 2, shape: [2, 2, 2] as Shape, seed: 0, ops: [[], []] as ValueOp[][] };
      const expectField = (field: string, work: () => unknown) => {
        try {
          work();
        } catch (e) {
          check(isCellMapError(e, "argument") && (e as unknown as { field: string }).field === field, `expected ArgumentError on ${field}, got ${String(e)}`);
          return;
        }
        throw new Error(`expected ArgumentError on ${field}`);
      };
      const one: ValueOp[][] = [[{ kind: "binarize", threshold: 0 }], []];
      expectField("ops", () => encodeValueOps(ctx, encoder, { ...base, ops: [[]] }));
      expectField("byteOffset", () => encodeValueOps(ctx, encoder, { ...base, ops: one, byteOffset: 2 }));
      expectField("buffer", () => encodeValueOps(ctx, encoder, { ...base, ops: one, byteOffset: 240 }));
      expectField("shape", () => encodeValueOps(ctx, encoder, { ...base, shape: [2, 0, 2] }));
      expectField("ops[0][0].kind", () =>
        encodeValueOps(ctx, encoder, { ...base, ops: [[{ kind: "sharpen" } as unknown as ValueOp], []] }),
      );
      expectField("ops[1][0].threshold", () =>
        encodeValueOps(ctx, encoder, { ...base, ops: [[], [{ kind: "binarize", threshold: NaN }]] }),
      );
      check(encodeValueOps(ctx, encoder, base).dispatches === 0, "empty op lists should record nothing");
      buffer.destroy();
    });
  },

  /** nanToNum defaults replace ±Inf with ±FLOAT32_MAX and NaN with 0; binarize keeps NaN. */
  async "nanToNum and binarize handle NaN and infinities"(): Promise<void> {
    await withContext(async (ctx) => {
      const data = new Float32Array([NaN, Infinity, -Infinity, 0.5, 0.2, -3, 0, 1]);
      const shape: Shape = [1, 2, 4];
      const [nanToNum] = drawValueOps(parseValueTransforms([{ nanToNum: {} }], "t"), rng(0));
      const a = (await runOnGpu(ctx, data, { batch: 1, shape, ops: [[nanToNum!]], seed: 0 })).values;
      check(
        [0, FLOAT32_MAX, -FLOAT32_MAX, 0.5, 0.2, -3, 0, 1].every((v, i) => Object.is(a[i], Math.fround(v))),
        `nanToNum gave ${Array.from(a)}`,
      );
      const b = (await runOnGpu(ctx, data, { batch: 1, shape, ops: [[{ kind: "binarize", threshold: 0.2 }]], seed: 0 })).values;
      const want = [NaN, 1, 0, 1, 0, 0, 0, 1];
      check(want.every((v, i) => Object.is(b[i], v)), `binarize gave ${Array.from(b)}`);
    });
  },
} satisfies Cases;
