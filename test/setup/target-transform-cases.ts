// Distance transforms and custom value ops: test bodies shared by the Node (vitest), Chromium
// (vitest browser mode) and Deno suites. Plain async functions that throw on failure; none skips.
//
// The GPU (src/kernels/distance/, src/kernels/custom-op/) is compared with the CPU twin
// (src/kernels/distance/twin.ts, the op's `cpu`); the CPU twin is checked against scipy in
// test/distance-oracle.test.ts. The dataset case checks against a brute-force distance over the
// fixture's closed-form labels, written here independently of both.

import { drawValueOps } from "../../src/augment/value-draw.ts";
import { parseValueTransforms } from "../../src/augment/value-schema.ts";
import type { ValueOp } from "../../src/kernels/value-transforms/contract.ts";
import { CellMapDataset, type CellMapDatasetOptions } from "../../src/dataset/dataset.ts";
import { isCellMapError } from "../../src/errors.ts";
import { GpuContext } from "../../src/gpu/context.ts";
import { CustomOpError } from "../../src/kernels/custom-op/gpu.ts";
import { encodeValueOps, prepareValueTransforms } from "../../src/kernels/value-transforms/gpu.ts";
import { applyValueOpsReference } from "../../src/kernels/value-transforms/twin.ts";
import type { Vec3 } from "../../src/geometry/types.ts";
import { buildFixture, CROP_SHAPE, CROP_TRANSLATION, inBall, type MemoryFixture, MITO, SCALE } from "./dataset-fixture.ts";
import { compare, randomData, rng, withBindingLimit } from "./value-transform-cases.ts";
import { check } from "./assert.ts";
import type { Cases } from "./cases.ts";

type Shape = [number, number, number];

/** A mask: 1 with probability `fg`, NaN with probability `nan`, else 0. */
function randomMask(seed: number, n: number, fg: number, nan = 0): Float32Array<ArrayBuffer> {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = r.next();
    out[i] = u < nan ? NaN : u < nan + fg ? 1 : 0;
  }
  return out;
}

/** Run ops on the GPU in a buffer with sentinels around the batch; returns the batch's values. */
async function runOnGpu(
  ctx: GpuContext,
  data: Float32Array<ArrayBuffer>,
  o: { batch: number; shape: Shape; ops: ValueOp[][]; seed: number; scale: Shape; byteOffset?: number },
): Promise<{ values: Float32Array; dispatches: number }> {
  const byteOffset = o.byteOffset ?? 0;
  const size = byteOffset + data.byteLength + 64;
  const buffer = ctx.device.createBuffer({ label: "test target transforms", size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  try {
    const all = new Float32Array(size / 4).fill(-777.25);
    all.set(data, byteOffset / 4);
    ctx.device.queue.writeBuffer(buffer, 0, all);
    const encoder = ctx.device.createCommandEncoder();
    const work = encodeValueOps(ctx, encoder, { ...o, buffer, byteOffset });
    ctx.device.queue.submit([encoder.finish()]);
    work.release();
    const got = new Float32Array(await ctx.readBuffer(buffer, 0, size));
    for (let i = 0; i < got.length; i++) {
      if (i >= byteOffset / 4 && i < byteOffset / 4 + data.length) continue;
      check(got[i] === -777.25, `value ${i} outside the batch was overwritten (${got[i]})`);
    }
    return { values: got.slice(byteOffset / 4, byteOffset / 4 + data.length), dispatches: work.dispatches };
  } finally {
    buffer.destroy();
  }
}

async function twin(
  ctx: GpuContext,
  what: string,
  data: Float32Array<ArrayBuffer>,
  o: { batch: number; shape: Shape; ops: ValueOp[][]; seed: number; scale: Shape; byteOffset?: number },
): Promise<{ want: Float32Array; worst: number; dispatches: number }> {
  const want = applyValueOpsReference(data.slice(), o);
  const { values, dispatches } = await runOnGpu(ctx, data, o);
  return { want, worst: compare(values, want, 1e-5, 1e-5, what), dispatches };
}

async function withContext<T>(work: (ctx: GpuContext) => Promise<T>): Promise<T> {
  const ctx = await GpuContext.create({ label: "test target transforms" });
  try {
    return await work(ctx);
  } finally {
    ctx.destroy();
  }
}

function expectArgument(field: string, work: () => unknown): void {
  try {
    work();
  } catch (e) {
    check(isCellMapError(e, "argument") && (e as unknown as { field: string }).field === field, `expected ArgumentError on ${field}, got ${String(e)}`);
    return;
  }
  throw new Error(`expected ArgumentError on ${field}`);
}

async function expectArgumentAsync(field: string, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (e) {
    check(isCellMapError(e, "argument") && (e as unknown as { field: string }).field === field, `expected ArgumentError on ${field}, got ${String(e)}`);
    return;
  }
  throw new Error(`expected ArgumentError on ${field}`);
}

const ops = (entries: object[]): ValueOp[] => drawValueOps(parseValueTransforms(entries, "test"), rng(1));

let fixture: Promise<MemoryFixture> | undefined;
const getFixture = () => (fixture ??= buildFixture(2));

async function openFixture(extra: Partial<CellMapDatasetOptions<"raw", "gt">>, gtScale: Vec3 = [12, 4, 4]): Promise<CellMapDataset<"raw" | "gt">> {
  const fx = await getFixture();
  return CellMapDataset.open<"raw", "gt">({
    inputPath: fx.rawUrl,
    targetPath: `${fx.cropUrl}/[mito,er]`,
    classes: ["mito", "er", "nucleus"],
    inputArrays: { raw: { shape: [2, 4, 4], scale: [SCALE, SCALE, SCALE] } },
    targetArrays: { gt: { shape: [4, 8, 8], scale: gtScale } },
    workers: 0,
    storeOptions: { fetch: fx.fetch },
    device: "cpu",
    ...extra,
  });
}

/** The fixture's mito label at the voxels of a gt sample: 1, 0, or NaN outside the crop. */
function mitoLabels(center: Vec3, shape: Vec3, scale: Vec3): Float32Array {
  const out = new Float32Array(shape[0] * shape[1] * shape[2]);
  let i = 0;
  for (let z = 0; z < shape[0]; z++) for (let y = 0; y < shape[1]; y++) for (let x = 0; x < shape[2]; x++) {
    const p = [z, y, x].map((j, k) => center[k]! + (j - (shape[k]! - 1) / 2) * scale[k]!);
    const v = p.map((q, k) => (q - CROP_TRANSLATION[k]!) / SCALE);
    check(v.every((q) => Number.isInteger(q)), `label position ${v} is not a voxel center`);
    const inside = v.every((q, k) => q >= 0 && q < CROP_SHAPE[k]!);
    out[i++] = inside ? (inBall(MITO, p) ? 1 : 0) : NaN;
  }
  return out;
}

/** Signed distance by brute force over every pair of known voxels, clipped. */
function bruteSignedDistance(labels: Float32Array, shape: Vec3, scale: Vec3, clip: [number, number]): Float32Array {
  const pos = (i: number) => [Math.floor(i / (shape[1] * shape[2])), Math.floor(i / shape[2]) % shape[1], i % shape[2]].map((q, k) => q * scale[k]!);
  const out = new Float32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const li = labels[i]!;
    if (Number.isNaN(li)) {
      out[i] = NaN;
      continue;
    }
    let best = Infinity;
    const pi = pos(i);
    for (let j = 0; j < labels.length; j++) {
      const lj = labels[j]!;
      if (Number.isNaN(lj) || lj === li) continue;
      const pj = pos(j);
      best = Math.min(best, Math.hypot(pi[0]! - pj[0]!, pi[1]! - pj[1]!, pi[2]! - pj[2]!));
    }
    out[i] = Math.min(Math.max(li === 1 ? best : -best, clip[0]), clip[1]);
  }
  return out;
}

/**
 * `targetValueTransforms: { mito: [{ signedDistance }] }` on the dataset fixture (gt voxels
 * 12 x 4 x 4 nm): the signed distance in nm to the mito surface's voxels, by brute force, on the
 * CPU and the GPU; other classes untouched.
 */
async function datasetSignedDistance(device: "cpu" | "gpu"): Promise<string> {
  const gpu = device === "gpu" ? await GpuContext.create({ label: "test dataset distance" }) : undefined;
  const clip: [number, number] = [-20, 24];
  const ds = await openFixture({ targetValueTransforms: { mito: [{ signedDistance: { clip } }] }, ...(gpu ? { gpu, device: "gpu" as const } : {}) });
  try {
    const shape: Vec3 = [4, 8, 8];
    const scale: Vec3 = [12, 4, 4];
    const lines: string[] = [];
    // At the mito's edge, and at the crop's edge (unknown voxels, almost no mito).
    for (const p of [[40, 70, 90], [40, 30, 66]] as Vec3[]) {
      const g = [0, 1, 2].map((k) => Math.round((p[k]! - ds.grid.origin[k]!) / ds.grid.step[k]!)) as Vec3;
      const i = ds.grid.ravel(g);
      const item = await ds.get(i);
      const labels = mitoLabels(ds.center(i), shape, scale);
      const want = bruteSignedDistance(labels, shape, scale, clip);
      const V = 4 * 8 * 8;
      const mito = item.gt.data.subarray(0, V);
      compare(mito, want, 1e-4, 1e-5, `${device} mito signed distance at ${p}`);
      const fg = labels.filter((v) => v === 1).length;
      check(mito.every((v, k) => (labels[k] === 1 ? v > 0 : labels[k] === 0 ? v < 0 : Number.isNaN(v))), "sign: + inside, - outside, NaN unknown");
      const er = item.gt.data.subarray(V, 2 * V);
      check(er.every((v) => v === 0 || v === 1 || Number.isNaN(v)), "er is not transformed");
      check(item.gt.data.subarray(2 * V).every(Number.isNaN), "nucleus (not annotated) stays NaN");
      lines.push(`${fg} mito voxels, ${labels.filter(Number.isNaN).length} unknown`);
    }
    return lines.join("; ");
  } finally {
    ds.destroy();
    gpu?.destroy();
  }
}

export const targetTransformCases = {
  /**
   * Distance, signed, clipped and tanh-scaled transforms of five samples in one call (anisotropic
   * voxels, NaN, no background, no foreground, a binarize before and a normalize after) equal the
   * CPU twin.
   */
  "distance transforms of a batch match the CPU twin"(): Promise<string> {
    return withContext(async (ctx) => {
      const shape: Shape = [5, 9, 13];
      const scale: Shape = [3, 1, 1.5];
      const n = 5 * 9 * 13;
      const data = new Float32Array(5 * n);
      data.set(randomMask(1, n, 0.8), 0);
      data.set(randomMask(2, n, 0.4, 0.08), n);
      data.fill(1, 2 * n, 3 * n);
      data.fill(0, 3 * n, 4 * n);
      data.set(randomData(5, n, 0, 1, 0.05), 4 * n);
      const batchOps: ValueOp[][] = [
        ops([{ distance: {} }]),
        ops([{ signedDistance: { clip: [-1.2, 1.4] } }]),
        ops([{ signedDistance: {} }]),
        ops([{ signedDistance: { tanhScale: 2 } }]),
        ops([{ binarize: { threshold: 0.6 } }, { signedDistance: { tanhScale: 3 } }, { normalize: { mean: -1, std: 0.5 } }]),
      ];
      const { want, worst, dispatches } = await twin(ctx, "distances", data, { batch: 5, shape, ops: batchOps, seed: 0, scale });
      const s = (b: number) => want.subarray(b * n, (b + 1) * n);
      check(s(0).some((v) => v > 2) && s(0).some((v) => v === 0) && s(0).every((v) => v >= 0), "sample 0: unsigned distances: 0 on background, > 0 inside, some past 2");
      check(s(1).some((v) => v === Math.fround(1.4)) && s(1).some((v) => v === Math.fround(-1.2)) && s(1).some((v) => v === -1) && s(1).some(Number.isNaN), "sample 1: clipped at both ends, NaN kept");
      check(s(2).every((v) => v === Infinity), "sample 2 (no background): +Inf everywhere");
      check(s(3).every((v) => v === -1), "sample 3 (no foreground): tanh(-Inf) = -1 everywhere");
      return `worst ${worst.toFixed(3)} of tolerance, ${dispatches} dispatches`;
    });
  },

  /** Sparse sites in a larger sample (long envelopes on every axis) match the CPU twin. */
  "sparse sites in a larger sample match the CPU twin"(): Promise<string> {
    return withContext(async (ctx) => {
      const shape: Shape = [24, 20, 40];
      const n = 24 * 20 * 40;
      const data = new Float32Array(2 * n);
      data.set(randomMask(7, n, 0.002), 0);
      data.set(randomMask(8, n, 0.995, 0.001), n);
      const batchOps = [ops([{ signedDistance: {} }]), ops([{ distance: {} }])];
      const { worst } = await twin(ctx, "sparse", data, { batch: 2, shape, ops: batchOps, seed: 0, scale: [4, 4, 6] });
      return `worst ${worst.toFixed(3)} of tolerance`;
    });
  },

  /** A device with small bindings splits the batch so the distance scratch fits; same values. */
  async "distance scratch beyond the binding limit is split into groups"(): Promise<string> {
    const real = await GpuContext.create({ label: "test distance groups" });
    try {
      const ctx = GpuContext.fromDevice(withBindingLimit(real.device, 16384), { label: "test small bindings" });
      const shape: Shape = [4, 6, 8];
      const n = 192;
      const batch = 10;
      const data = new Float32Array(batch * n);
      for (let b = 0; b < batch; b++) data.set(randomMask(30 + b, n, 0.3, 0.05), b * n);
      const batchOps = Array.from({ length: batch }, (_, b) => ops(b % 2 ? [{ signedDistance: { clip: [-5, 5] } }] : [{ distance: {} }]));
      const { dispatches } = await twin(ctx, "groups", data, { batch, shape, ops: batchOps, seed: 0, scale: [2, 1, 1], byteOffset: 12 });
      check(dispatches === 6, `10 samples in groups of 7 and 3: 6 dispatches expected, got ${dispatches}`);
      return `${dispatches} dispatches`;
    } finally {
      real.destroy();
    }
  },

  "a dataset's signedDistance targets equal the brute-force distance (cpu)": () => datasetSignedDistance("cpu"),
  "a dataset's signedDistance targets equal the brute-force distance (gpu)": () => datasetSignedDistance("gpu"),

  /**
   * A dataset of 2D x slices (rows z at 4 nm, columns y at 8 nm): the distance uses the slice's
   * in-plane voxel size, the same as the twin on the untransformed labels with spacing (·, 4, 8).
   */
  async "a dataset of 2D slices measures with the in-plane voxel size"(): Promise<string> {
    const sliced = (extra: Partial<CellMapDatasetOptions<"raw", "gt">>) =>
      openFixture({
        slicingAxis: "x",
        inputArrays: { raw: { shape: [4, 6], scale: [4, 4, 4] } },
        targetArrays: { gt: { shape: [9, 7], scale: [4, 8, 4] } },
        ...extra,
      });
    const plain = await sliced({});
    const ds = await sliced({ targetValueTransforms: { mito: [{ signedDistance: {} }] } });
    try {
      const g = [0, 1, 2].map((k) => Math.round(([40, 50, 66][k]! - ds.grid.origin[k]!) / ds.grid.step[k]!)) as Vec3;
      const i = ds.grid.ravel(g);
      const labels = (await plain.get(i)).gt.data.slice(0, 63);
      check(labels.some((v) => v === 1) && labels.some((v) => v === 0), `the slice should hold mito and background: ${Array.from(labels)}`);
      const got = (await ds.get(i)).gt.data.subarray(0, 63);
      const want = applyValueOpsReference(labels.slice(), { batch: 1, shape: [1, 9, 7], scale: [4, 4, 8], ops: [ops([{ signedDistance: {} }])], seed: 0 });
      compare(got, want, 1e-5, 1e-6, "sliced signed distance");
      const swapped = applyValueOpsReference(labels.slice(), { batch: 1, shape: [1, 9, 7], scale: [4, 8, 4], ops: [ops([{ signedDistance: {} }])], seed: 0 });
      check(want.some((v, k) => v !== swapped[k]), "rows and columns spacings should matter in this slice");
      return `${labels.filter((v) => v === 1).length} mito pixels`;
    } finally {
      plain.destroy();
      ds.destroy();
    }
  },

  /** Custom ops (an expression, a body, a full function with helpers; drawn params) equal their cpu twins. */
  "custom ops on the GPU match their cpu twins"(): Promise<string> {
    return withContext(async (ctx) => {
      const sigmoid = {
        name: "sigmoid",
        wgsl: "1.0 / (1.0 + exp(-p.x * (v - p.y)))",
        params: [[2, 6], [0.3, 0.7]],
        cpu: (v: number, p: readonly number[]) => 1 / (1 + Math.exp(-p[0]! * (v - p[1]!))),
      };
      const leaky = {
        name: "leaky",
        wgsl: "let a = v * p.x;\nreturn select(v, a, v < 0.0);",
        params: [0.1],
        cpu: (v: number, p: readonly number[]) => (v < 0 ? v * p[0]! : v),
      };
      const module = {
        name: "softsq",
        wgsl: "const HALF: f32 = 0.5;\nfn square(x: f32) -> f32 { return x * x; }\nfn softsq(v: f32, p: vec4<f32>) -> f32 {\n  return square(v) * HALF + p.x - p.w;\n}",
        params: [1.25, 0, 0, [-1, 1]],
        cpu: (v: number, p: readonly number[]) => v * v * 0.5 + p[0]! - p[3]!,
      };
      const spec = parseValueTransforms(
        [{ normalize: { range: [-2, 3] } }, { custom: sigmoid }, { gaussianBlur: { sigma: 1, p: 0.5 } }, { custom: module }, { custom: { ...leaky, p: 0.5 } }],
        "test",
      );
      const r = rng(5);
      const batch = 6;
      const shape: Shape = [4, 7, 9];
      const batchOps = Array.from({ length: batch }, () => drawValueOps(spec, r));
      batchOps[2] = ops([{ custom: leaky }]);
      await prepareValueTransforms(ctx, batchOps);
      const data = randomData(9, batch * 252, -2, 3, 0.03);
      const { want, worst, dispatches } = await twin(ctx, "custom", data, { batch, shape, ops: batchOps, seed: 0, scale: [1, 1, 1] });
      const sample3 = batchOps[3]!.find((o) => o.kind === "custom");
      check(sample3?.kind === "custom" && sample3.params[0] >= 2 && sample3.params[0] <= 6, "a drawn parameter lies in its range");
      let changed = 0;
      for (let i = 0; i < want.length; i++) if (!Object.is(want[i], data[i])) changed++;
      check(changed > want.length / 2, "the custom ops should change most values");
      check(want.some(Number.isNaN), "NaN stays NaN");
      return `worst ${worst.toFixed(3)} of tolerance, ${dispatches} dispatches`;
    });
  },

  /** WGSL that does not compile is a CustomOpError (a GpuError) naming the op, at prepare, record and dataset open. */
  async "a custom op that does not compile is a typed error naming the op"(): Promise<void> {
    await withContext(async (ctx) => {
      const broken = { name: "broken", wgsl: "return v + ;" };
      const [op] = ops([{ custom: broken }]);
      let error: unknown;
      try {
        await prepareValueTransforms(ctx, [[op!]]);
      } catch (e) {
        error = e;
      }
      check(error instanceof CustomOpError && isCellMapError(error, "gpu"), `expected a CustomOpError, got ${String(error)}`);
      check(error.op === "broken" && error.message.includes('"broken"'), `the error should name the op: ${error.message}`);
      const buffer = ctx.device.createBuffer({ size: 64, usage: GPUBufferUsage.STORAGE });
      try {
        const encoder = ctx.device.createCommandEncoder();
        let again: unknown;
        try {
          encodeValueOps(ctx, encoder, { buffer, byteOffset: 0, batch: 1, shape: [1, 2, 2], ops: [[op!]], seed: 0 });
        } catch (e) {
          again = e;
        }
        check(again instanceof CustomOpError && again.op === "broken", `recording it should throw the same error, got ${String(again)}`);
        const wrongType = ops([{ custom: { name: "wrong", wgsl: "return 1u;" } }]);
        const e2 = await prepareValueTransforms(ctx, [wrongType]).then(() => undefined, (e: unknown) => e);
        check(e2 instanceof CustomOpError && e2.op === "wrong", `a u32 return should not compile: ${String(e2)}`);
        const unprepared = ops([{ custom: { name: "later", wgsl: "v * 3.0" } }]);
        let e3: unknown;
        try {
          encodeValueOps(ctx, encoder, { buffer, byteOffset: 0, batch: 1, shape: [1, 2, 2], ops: [unprepared], seed: 0 });
        } catch (e) {
          e3 = e;
        }
        check(isCellMapError(e3, "gpu") && e3.message.includes('"later"') && e3.message.includes("prepareValueTransforms"), `an unprepared op: ${String(e3)}`);
      } finally {
        buffer.destroy();
      }
      const opened = await openFixture({ gpu: ctx, device: "gpu", valueTransforms: { raw: [{ custom: broken }] } }).then(
        (d) => (d.destroy(), undefined),
        (e: unknown) => e,
      );
      check(opened instanceof CustomOpError && opened.op === "broken", `a GPU dataset with it should not open: ${String(opened)}`);
    });
  },

  /** A CPU dataset refuses a custom op without `cpu`, and runs the twin when it has one. */
  async "a CPU dataset refuses a custom op without cpu"(): Promise<void> {
    const twice = { name: "twice", wgsl: "2.0 * v + p.x", params: [0.5] };
    await expectArgumentAsync("targetValueTransforms.mito[1].custom.cpu", () =>
      openFixture({ targetValueTransforms: { mito: [{ nanToNum: { nan: -1 } }, { custom: twice }] } }),
    );
    const ds = await openFixture({ targetValueTransforms: { mito: [{ custom: { ...twice, cpu: (v: number, p: readonly number[]) => 2 * v + p[0]! } }] } });
    try {
      const i = ds.grid.ravel([0, 1, 2].map((k) => Math.round(([40, 70, 90][k]! - ds.grid.origin[k]!) / ds.grid.step[k]!)) as Vec3);
      const item = await ds.get(i);
      const labels = mitoLabels(ds.center(i), [4, 8, 8], [12, 4, 4]);
      const mito = item.gt.data.subarray(0, 256);
      check(labels.some((v) => v === 1) && labels.some((v) => v === 0), "the sample should hold both mito and background");
      check(mito.every((v, k) => Object.is(v, Number.isNaN(labels[k]!) ? NaN : 2 * labels[k]! + 0.5)), `mito should be 2 * label + 0.5: ${Array.from(mito.slice(0, 8))}`);
    } finally {
      ds.destroy();
    }
  },

  /** Bad distance and custom entries raise ArgumentError naming the field; a custom op's draws are fixed. */
  "bad distance and custom entries raise ArgumentError naming the field"(): Promise<void> {
    const parse = (e: object) => () => parseValueTransforms([e], "t");
    const fn = "fn f(v: f32, p: vec4<f32>) -> f32 { return v; }";
    expectArgument("t[0].distance.clip", parse({ distance: { clip: [3, 1] } }));
    expectArgument("t[0].signedDistance.tanhScale", parse({ signedDistance: { tanhScale: 0 } }));
    expectArgument("t[0].distance.sampling", parse({ distance: { sampling: [1, 1, 1] } }));
    expectArgument("t[0].custom.name", parse({ custom: { name: "cellmap_apply", wgsl: "v" } }));
    expectArgument("t[0].custom.name", parse({ custom: { name: "2f", wgsl: "v" } }));
    expectArgument("t[0].custom.wgsl", parse({ custom: { name: "f", wgsl: `@group(0) @binding(9) var<storage, read_write> x: array<f32>;\n${fn}` } }));
    expectArgument("t[0].custom.wgsl", parse({ custom: { name: "f", wgsl: `var<private> k: f32;\n${fn}` } }));
    expectArgument("t[0].custom.wgsl", parse({ custom: { name: "f", wgsl: "return v; }\n@compute @workgroup_size(1) fn g() {" } }));
    expectArgument("t[0].custom.wgsl", parse({ custom: { name: "f", wgsl: "return v; } fn g(v: f32) -> f32 {" } }));
    expectArgument("t[0].custom.wgsl", parse({ custom: { name: "f", wgsl: "fn g(v: f32, p: vec4<f32>) -> f32 { return v; }" } }));
    expectArgument("t[0].custom.wgsl", parse({ custom: { name: "f", wgsl: "return cellmap_data[0];" } }));
    expectArgument("t[0].custom.params", parse({ custom: { name: "f", wgsl: "v", params: [1, 2, 3, 4, 5] } }));
    expectArgument("t[0].custom.params[1]", parse({ custom: { name: "f", wgsl: "v", params: [1, [2, 1]] } }));
    expectArgument("t[0].custom.cpu", parse({ custom: { name: "f", wgsl: "v", cpu: "v * 2" } }));
    expectArgument("t[0].custom.shader", parse({ custom: { name: "f", wgsl: "v", shader: "" } }));
    // A custom op takes 1 draw for p and 1 per ranged parameter, whether it fires or not.
    const count = (p: number) => {
      let n = 0;
      const r = { next: () => (n++, 0.5) };
      drawValueOps(parseValueTransforms([{ custom: { name: "f", wgsl: "v", params: [1, [0, 1], [2, 3]], p } }], "t"), r);
      return n;
    };
    check(count(0) === 3 && count(1) === 3, `draws: ${count(0)} with p = 0, ${count(1)} with p = 1 (3 expected)`);
    return Promise.resolve();
  },
} satisfies Cases;
