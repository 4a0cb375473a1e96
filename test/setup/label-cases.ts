// Class-relationship test bodies shared by the Node (vitest), Chromium (vitest browser mode) and
// Deno suites. Plain async functions that throw on failure; none of them skips.
//
// A hand-built case with known true negatives checks both the shader (src/kernels/labels/) and
// its CPU twin (twin.ts); random cases compare the two.

import { GpuContext } from "../../src/gpu/context.ts";
import { encodeClassRelationships, prepareClassRelationships } from "../../src/kernels/labels/gpu.ts";
import { applyClassRelationshipsReference } from "../../src/kernels/labels/twin.ts";
import type { ClassRelationshipsLayout } from "../../src/kernels/labels/contract.ts";
import { isCellMapError } from "../../src/errors.ts";
import { rng, withBindingLimit } from "./value-transform-cases.ts";
import { check, same } from "./assert.ts";
import type { Cases } from "./cases.ts";

const N = NaN;

/** Run the pass on the GPU with sentinels around the batch; returns the batch's values. */
async function runOnGpu(
  ctx: GpuContext,
  data: Float32Array<ArrayBuffer>,
  layout: ClassRelationshipsLayout,
  byteOffset = 0,
): Promise<{ values: Float32Array; dispatches: number }> {
  const device = ctx.device;
  const size = byteOffset + data.byteLength + 64;
  const buffer = device.createBuffer({
    label: "test labels data",
    size,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  try {
    const all = new Float32Array(size / 4).fill(-777);
    all.set(data, byteOffset / 4);
    device.queue.writeBuffer(buffer, 0, all);
    const encoder = device.createCommandEncoder({ label: "test labels" });
    const work = encodeClassRelationships(ctx, encoder, { ...layout, buffer, byteOffset });
    device.queue.submit([encoder.finish()]);
    work.release();
    const out = new Float32Array(await ctx.readBuffer(buffer, 0, size));
    out.forEach((v, i) => {
      const inside = i >= byteOffset / 4 && i < byteOffset / 4 + data.length;
      check(inside || v === -777, `value ${i} outside the batch was overwritten (${v})`);
    });
    return { values: out.slice(byteOffset / 4, byteOffset / 4 + data.length), dispatches: work.dispatches };
  } finally {
    buffer.destroy();
  }
}

async function withContext<T>(work: (ctx: GpuContext) => Promise<T>): Promise<T> {
  const ctx = await GpuContext.create({ label: "test labels" });
  try {
    await prepareClassRelationships(ctx);
    return await work(ctx);
  } finally {
    ctx.destroy();
  }
}

/** Classes [mito, er, nucleus, cyto]; mito <-> er and mito <-> nucleus exclusive; cyto unrelated. */
const HAND_LAYOUT: ClassRelationshipsLayout = {
  batch: 2,
  classes: 4,
  voxels: 6,
  emptyValue: NaN,
  exclusive: [
    [false, true, true, false],
    [true, false, false, false],
    [true, false, false, false],
    [false, false, false, false],
  ],
};

// prettier-ignore
const HAND_INPUT = [
  // sample 0, voxels 0..5
  N, N, N, 1, 0, N, // mito
  1, 0, N, N, N, N, // er
  N, 1, 0, N, 1, N, // nucleus
  N, 1, N, 1, N, N, // cyto
  // sample 1: nothing is present, so nothing changes
  N, 0, N, 0, N, 0.5,
  0, N, N, 0, 0.5, N,
  N, N, 0, N, N, N,
  N, N, N, N, N, N,
];

// prettier-ignore
const HAND_EXPECTED = Float32Array.of(
  0, 0, N, 1, 0, N, // mito: er present at 0, nucleus at 1 and 4 (but mito is known 0 there)
  1, 0, N, 0, N, N, // er: mito present at 3
  N, 1, 0, 0, 1, N, // nucleus: mito present at 3
  N, 1, N, 1, N, N, // cyto: unrelated, unchanged
  ...HAND_INPUT.slice(24),
);

/** Random labels in {0, 1, unknown, 0.5} and a random (not symmetric) exclusion matrix. */
function randomCase(seed: number, batch: number, classes: number, voxels: number, emptyValue: number) {
  const r = rng(seed);
  const data = new Float32Array(batch * classes * voxels);
  for (let i = 0; i < data.length; i++) {
    const u = r.next();
    data[i] = u < 0.4 ? emptyValue : u < 0.65 ? 1 : u < 0.95 ? 0 : 0.5;
  }
  const exclusive = Array.from({ length: classes }, (_, c) =>
    Array.from({ length: classes }, (_, d) => c !== d && r.next() < 0.15),
  );
  return { data, layout: { batch, classes, voxels, exclusive, emptyValue } };
}

export const labelCases = {
  /** The hand-built case: exactly the expected true negatives, on the GPU and the CPU twin. */
  async "a hand-built case gets exactly the known true negatives"(): Promise<void> {
    const cpu = applyClassRelationshipsReference(Float32Array.from(HAND_INPUT), HAND_LAYOUT);
    same(cpu, HAND_EXPECTED, "CPU twin");
    await withContext(async (ctx) => {
      const { values, dispatches } = await runOnGpu(ctx, Float32Array.from(HAND_INPUT), HAND_LAYOUT);
      same(values, HAND_EXPECTED, "GPU");
      check(dispatches === 1, `one dispatch expected, got ${dispatches}`);
    });
  },

  /** A one-way relation and a numeric empty value: only the listed direction is inferred. */
  async "a one-way relation with a numeric empty value infers one direction only"(): Promise<void> {
    const layout: ClassRelationshipsLayout = {
      batch: 1,
      classes: 2,
      voxels: 4,
      emptyValue: 255,
      exclusive: [
        [false, true],
        [false, false],
      ],
    };
    const input = [255, 255, 0, N, 1, 255, 1, 255];
    const expected = Float32Array.of(0, 255, 0, N, 1, 255, 1, 255);
    same(applyClassRelationshipsReference(Float32Array.from(input), layout), expected, "CPU twin");
    await withContext(async (ctx) => {
      same((await runOnGpu(ctx, Float32Array.from(input), layout)).values, expected, "GPU");
    });
  },

  /** Random cases (up to 40 classes, two bit words), NaN and numeric empty values, odd offsets. */
  "random cases match the CPU twin exactly"(): Promise<string> {
    return withContext(async (ctx) => {
      let changed = 0;
      for (const [seed, classes, empty, offset] of [
        [1, 3, NaN, 0],
        [2, 7, NaN, 4],
        [3, 40, NaN, 260],
        [4, 33, -1, 12],
        [5, 12, 255, 0],
      ] as const) {
        const { data, layout } = randomCase(seed, 3, classes, 97, empty);
        const want = applyClassRelationshipsReference(data.slice(), layout);
        const { values } = await runOnGpu(ctx, data, layout, offset);
        same(values, want, `seed ${seed}`);
        for (let i = 0; i < data.length; i++) if (!Object.is(data[i], want[i])) changed++;
      }
      check(changed > 100, `the random cases should infer many true negatives, inferred ${changed}`);
      return `${changed} true negatives inferred, GPU identical to the twin`;
    });
  },

  /** A batch beyond one binding is split into groups and still matches the twin. */
  async "batches beyond the binding limit are split into groups"(): Promise<void> {
    const real = await GpuContext.create({ label: "test labels groups" });
    try {
      const ctx = GpuContext.fromDevice(withBindingLimit(real.device, 2048), { label: "test small bindings" });
      const { data, layout } = randomCase(9, 9, 5, 50, NaN); // 1000 bytes per sample: 1 per group
      const want = applyClassRelationshipsReference(data.slice(), layout);
      const { values, dispatches } = await runOnGpu(ctx, data, layout, 20);
      same(values, want, "groups");
      check(dispatches === 9, `9 groups expected, got ${dispatches}`);
    } finally {
      real.destroy();
    }
  },

  /** Malformed matrices and layouts raise ArgumentError naming the field. */
  async "malformed inputs raise ArgumentError naming the field"(): Promise<void> {
    await withContext(async (ctx) => {
      const buffer = ctx.device.createBuffer({ size: 64, usage: GPUBufferUsage.STORAGE });
      const encoder = ctx.device.createCommandEncoder();
      const base = { buffer, byteOffset: 0, batch: 1, classes: 2, voxels: 2, emptyValue: NaN, exclusive: [[false, true], [true, false]] };
      const expectField = (field: string, work: () => unknown) => {
        try {
          work();
        } catch (e) {
          check(isCellMapError(e, "argument") && (e as unknown as { field: string }).field === field, `expected ArgumentError on ${field}, got ${String(e)}`);
          return;
        }
        throw new Error(`expected ArgumentError on ${field}`);
      };
      expectField("exclusive", () => encodeClassRelationships(ctx, encoder, { ...base, exclusive: [[false, true]] }));
      expectField("exclusive[1]", () => encodeClassRelationships(ctx, encoder, { ...base, exclusive: [[false, true], [true]] }));
      expectField("classes", () => encodeClassRelationships(ctx, encoder, { ...base, classes: 0, exclusive: [] }));
      expectField("buffer", () => encodeClassRelationships(ctx, encoder, { ...base, batch: 5 }));
      expectField("byteOffset", () => encodeClassRelationships(ctx, encoder, { ...base, byteOffset: 6 }));
      expectField("data", () => applyClassRelationshipsReference(new Float32Array(3), base));
      const none = encodeClassRelationships(ctx, encoder, { ...base, exclusive: [[false, false], [false, false]] });
      check(none.dispatches === 0, "an empty matrix should record nothing");
      buffer.destroy();
    });
  },
} satisfies Cases;
