// Cellpose flow test bodies shared by the Node (vitest), Chromium (vitest browser mode) and Deno
// suites. Plain async functions that throw on failure; none of them skips.
//
// The shader (src/kernels/cellpose/) against its CPU twin (twin.ts) on random
// labels, and both against geometry a user can check by eye: a sphere's flows point to its
// center, touching instances do not see each other, separate blobs get their own centers; in 2D
// (`shape: [h, w]`, flows `[2, h, w]`) a disk's flows point to its center.
// The twin against an independent numpy oracle: test/cellpose-oracle.test.ts (Node).

import { GpuContext } from "../../src/gpu/context.ts";
import { cellposeFlows } from "../../src/dataset/cellpose-flows.ts";
import type { CellposeFlowOptions } from "../../src/kernels/cellpose/contract.ts";
import { encodeCellposeFlows, prepareCellposeFlows } from "../../src/kernels/cellpose/gpu.ts";
import { cellposeFlowsReference } from "../../src/kernels/cellpose/twin.ts";
import { ArgumentError, isCellMapError } from "../../src/errors.ts";
import { rng, withBindingLimit } from "./value-transform-cases.ts";
import { check } from "./assert.ts";
import type { Cases } from "./cases.ts";

type Shape = [number, number, number];

interface GpuRun {
  batch: number;
  channels?: number;
  channel?: number;
  shape: Shape | [number, number];
  labelsByteOffset?: number;
  flowsByteOffset?: number;
}

const SENTINEL = -777;

/** Run the shader with sentinels around the flows; returns the flows `[batch, 3, z, y, x]` (2D: `[batch, 2, y, x]`). */
async function runOnGpu(
  ctx: GpuContext,
  labels: Float32Array<ArrayBuffer>,
  run: GpuRun,
  options: CellposeFlowOptions = {},
): Promise<{ flows: Float32Array; dispatches: number }> {
  const device = ctx.device;
  const inOff = run.labelsByteOffset ?? 0;
  const outOff = run.flowsByteOffset ?? 0;
  const voxels = run.shape.reduce((a, b) => a * b, 1);
  const C = run.shape.length; // flow channels
  const outBytes = outOff + run.batch * C * voxels * 4 + 64;
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const input = device.createBuffer({ label: "test cellpose labels", size: inOff + labels.byteLength + 16, usage });
  const output = device.createBuffer({ label: "test cellpose flows", size: outBytes, usage });
  try {
    device.queue.writeBuffer(input, inOff, labels);
    device.queue.writeBuffer(output, 0, new Float32Array(outBytes / 4).fill(SENTINEL));
    const encoder = device.createCommandEncoder({ label: "test cellpose" });
    const work = encodeCellposeFlows(ctx, encoder, { ...options, ...run, labels: input, flows: output });
    device.queue.submit([encoder.finish()]);
    work.release();
    const all = new Float32Array(await ctx.readBuffer(output, 0, outBytes));
    const first = outOff / 4;
    const n = run.batch * C * voxels;
    all.forEach((v, i) => check(i >= first && i < first + n ? true : v === SENTINEL, `value ${i} outside the flows was overwritten (${v})`));
    return { flows: all.slice(first, first + n), dispatches: work.dispatches };
  } finally {
    input.destroy();
    output.destroy();
  }
}

async function withContext<T>(work: (ctx: GpuContext) => Promise<T>): Promise<T> {
  const ctx = await GpuContext.create({ label: "test cellpose" });
  try {
    await prepareCellposeFlows(ctx);
    return await work(ctx);
  } finally {
    ctx.destroy();
  }
}

/** GPU and twin flows agree: NaN where NaN, exact zeros where zero, else within `atol`. */
function sameFlows(got: Float32Array, want: Float32Array, what: string): number {
  check(got.length === want.length, `${what}: ${got.length} values, expected ${want.length}`);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) || w === 0) {
      check(Object.is(g, w) || (w === 0 && g === 0), `${what}: value ${i} is ${g}, expected ${w}`);
      continue;
    }
    worst = Math.max(worst, Math.abs(g - w));
    check(Math.abs(g - w) <= 2e-6, `${what}: value ${i} is ${g}, expected ${w}`);
  }
  return worst;
}

/** A volume of random balls (ids 1..ids), speckle, and a few NaN voxels. */
function randomLabels(seed: number, shape: Shape, ids: number, nan = 0.02): Float32Array<ArrayBuffer> {
  const r = rng(seed);
  const [Z, Y, X] = shape;
  const out = new Float32Array(Z * Y * X);
  const balls = Array.from({ length: 5 }, () => ({
    c: [r.next() * Z, r.next() * Y, r.next() * X],
    r2: (1 + r.next() * 3.5) ** 2,
    id: 1 + Math.floor(r.next() * ids),
  }));
  for (let z = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      for (let x = 0; x < X; x++) {
        const i = (z * Y + y) * X + x;
        for (const b of balls) {
          if ((z - b.c[0]!) ** 2 + (y - b.c[1]!) ** 2 + (x - b.c[2]!) ** 2 <= b.r2) out[i] = b.id;
        }
        const u = r.next();
        if (u < 0.04) out[i] = 1 + Math.floor(r.next() * ids);
        else if (u < 0.08) out[i] = 0;
        else if (u < 0.08 + nan) out[i] = NaN;
      }
    }
  }
  return out;
}

/** A one-voxel-wide path snaking through every row of a z-slab: one object, far from compact. */
function serpentine(shape: Shape): Float32Array<ArrayBuffer> {
  const [Z, Y, X] = shape;
  const out = new Float32Array(Z * Y * X);
  for (let z = 0; z < Z; z += 2) {
    for (let y = 0; y < Y; y += 2) {
      for (let x = 0; x < X; x++) out[(z * Y + y) * X + x] = 1;
      const turn = (y / 2) % 2 === 0 ? X - 1 : 0;
      if (y + 1 < Y) out[(z * Y + y + 1) * X + turn] = 1;
    }
  }
  return out;
}

const ball = (shape: Shape, c: readonly number[], radius: number): Float32Array<ArrayBuffer> => {
  const [Z, Y, X] = shape;
  const out = new Float32Array(Z * Y * X);
  for (let i = 0; i < out.length; i++) {
    const p = [Math.floor(i / (X * Y)), Math.floor(i / X) % Y, i % X];
    if (p.reduce((s, v, a) => s + (v - c[a]!) ** 2, 0) <= radius * radius) out[i] = 1;
  }
  return out;
};

/** Cosine between the flow at voxel i and the direction from i to `c` (NaN at `c` itself). */
function cosineTo(flows: Float32Array, shape: Shape, i: number, c: readonly number[]): number {
  const [Z, Y, X] = shape;
  const V = Z * Y * X;
  const p = [Math.floor(i / (X * Y)), Math.floor(i / X) % Y, i % X];
  const d = c.map((v, a) => v - p[a]!);
  const len = Math.hypot(...d);
  const f = [flows[i]!, flows[V + i]!, flows[2 * V + i]!];
  return (f[0]! * d[0]! + f[1]! * d[1]! + f[2]! * d[2]!) / len;
}

function expectArgumentError(f: () => unknown, field: string): void {
  try {
    f();
  } catch (e) {
    check(isCellMapError(e, "argument") && e instanceof ArgumentError, `expected an ArgumentError on ${field}, got ${String(e)}`);
    check(e.field === field, `expected the error to name ${field}, got ${e.field}`);
    return;
  }
  throw new Error(`expected an ArgumentError on ${field}, nothing was thrown`);
}

const disk = (shape: [number, number], c: readonly number[], radius: number): Float32Array<ArrayBuffer> => {
  const [Y, X] = shape;
  const out = new Float32Array(Y * X);
  for (let i = 0; i < out.length; i++) if ((Math.floor(i / X) - c[0]!) ** 2 + ((i % X) - c[1]!) ** 2 <= radius * radius) out[i] = 1;
  return out;
};

export const cellposeCases = {
  /** 2D images `[h, w]`: random labels in both modes, a channel of a 2-channel batch, unaligned offsets. */
  "2D images: random labels match the CPU twin in both modes, on one channel of a batch"(): Promise<string> {
    return withContext(async (ctx) => {
      const shape: [number, number] = [21, 26];
      const V = 21 * 26;
      let worst = 0;
      let objects = 0;
      for (const mode of ["binary", "instances"] as const) {
        for (const seed of [3, 4]) {
          const batch = 3;
          const labels = new Float32Array(batch * 2 * V);
          for (let b = 0; b < batch; b++) {
            labels.set(randomLabels(seed * 10 + b, [1, ...shape], 4), (b * 2 + 1) * V);
            labels.set(randomLabels(seed * 100 + b, [1, ...shape], 4), b * 2 * V); // channel 0: must be ignored
          }
          const run = { batch, channels: 2, channel: 1, shape, labelsByteOffset: 4, flowsByteOffset: 20 };
          const want = cellposeFlowsReference(labels, run, { mode });
          check(want.length === batch * 2 * V, `the twin gives ${want.length} values, expected [${batch}, 2, 21, 26]`);
          const { flows } = await runOnGpu(ctx, labels, run, { mode });
          worst = Math.max(worst, sameFlows(flows, want, `2D ${mode} seed ${seed}`));
          for (let i = 0; i < batch * 2 * V; i++) if (want[i] !== 0 && !Number.isNaN(want[i]!)) objects++;
          // Not the 3D stencil on a [1, h, w] volume: the 3x3 mean gives other flows.
          const flat = cellposeFlowsReference(labels, { ...run, shape: [1, ...shape] }, { mode });
          let differ = 0;
          for (let b = 0; b < batch; b++) {
            for (let i = 0; i < V; i++) {
              const dy = want[(b * 2) * V + i]! - flat[(b * 3 + 1) * V + i]!;
              const dx = want[(b * 2 + 1) * V + i]! - flat[(b * 3 + 2) * V + i]!;
              if (Math.hypot(dy, dx) > 1e-3) differ++;
            }
          }
          check(differ > 20, `2D flows differ from the 7-point volume rule at only ${differ} pixels`);
        }
      }
      check(objects > 500, `only ${objects} object flow values: the cases test too little`);
      return `${objects} object flow values, largest difference ${worst.toExponential(2)}`;
    });
  },

  /** A disk's 2D flows `[2, h, w]` point to its center; unit length inside, zero outside, NaN where unknown. */
  "a disk's 2D flows [2, h, w] point to its center: unit length inside, zero outside, NaN where unknown"(): Promise<string> {
    return withContext(async (ctx) => {
      const shape: [number, number] = [19, 23];
      const [Y, X] = shape;
      const V = Y * X;
      const c = [9, 11];
      const labels = disk(shape, c, 7);
      for (let x = 0; x < X; x++) labels[x] = NaN; // row 0: unknown
      const fromGpu = (await runOnGpu(ctx, labels, { batch: 1, shape })).flows;
      const fromCpu = await cellposeFlows(labels, shape);
      const viaHelper = await cellposeFlows(labels, shape, { gpu: ctx });
      check(fromCpu.length === 2 * V && viaHelper.length === 2 * V, `flows of ${fromCpu.length} and ${viaHelper.length} values, expected [2, 19, 23]`);
      sameFlows(fromGpu, fromCpu, "disk");
      sameFlows(viaHelper, fromCpu, "disk through cellposeFlows");
      let minCos = 1;
      const center = c[0]! * X + c[1]!;
      for (const flows of [fromGpu, fromCpu]) {
        for (let i = 0; i < V; i++) {
          const f = [flows[i]!, flows[V + i]!];
          if (i < X) {
            check(f.every(Number.isNaN), `unknown pixel ${i}: flows ${f}, expected NaN`);
          } else if (labels[i] !== 1) {
            check(f.every((v) => v === 0), `background pixel ${i}: flows ${f}, expected 0`);
          } else if (i !== center) {
            check(Math.abs(Math.hypot(...f) - 1) < 1e-5, `pixel ${i}: flow length ${Math.hypot(...f)}`);
            const d = [c[0]! - Math.floor(i / X), c[1]! - (i % X)];
            const cos = (f[0]! * d[0]! + f[1]! * d[1]!) / Math.hypot(d[0]!, d[1]!);
            minCos = Math.min(minCos, cos);
            check(cos > 0.9, `pixel ${i}: flow ${f} is not towards the center (cosine ${cos})`);
          }
        }
      }
      // The eight neighbours of the center point straight at it, diagonals included.
      for (const [dy, dx] of [[-1, 0], [1, 0], [0, -1], [0, 1], [-1, -1], [-1, 1], [1, -1], [1, 1]] as const) {
        const i = center + dy * X + dx;
        const cos = -(fromGpu[i]! * dy + fromGpu[V + i]! * dx) / Math.hypot(dy, dx);
        check(cos > 0.9999, `neighbour (${dy}, ${dx}) of the center: cosine ${cos}`);
      }
      check(fromGpu[center] === 0 && fromGpu[V + center] === 0, `the center's flow is ${fromGpu[center]}, ${fromGpu[V + center]}, expected 0`);
      expectArgumentError(() => cellposeFlowsReference(labels, { batch: 1, shape: [19, 0] as unknown as [number, number] }), "shape");
      expectArgumentError(() => cellposeFlowsReference(labels, { batch: 1, shape: [1, 19, 23, 1] as unknown as [number, number] }), "shape");
      const flows = ctx.device.createBuffer({ size: 3 * V * 4 - 4, usage: GPUBufferUsage.STORAGE });
      const input = ctx.device.createBuffer({ size: V * 4, usage: GPUBufferUsage.STORAGE });
      try {
        // [2, h, w] needs 2 * V values: a buffer one value short of 3 * V is enough, one short of 2 * V is not.
        const enc = ctx.device.createCommandEncoder();
        encodeCellposeFlows(ctx, enc, { labels: input, flows, batch: 1, shape }).release();
        const small = ctx.device.createBuffer({ size: 2 * V * 4 - 4, usage: GPUBufferUsage.STORAGE });
        try {
          expectArgumentError(() => encodeCellposeFlows(ctx, enc, { labels: input, flows: small, batch: 1, shape }), "flows");
        } finally {
          small.destroy();
        }
      } finally {
        flows.destroy();
        input.destroy();
      }
      return `smallest cosine to the center ${minCos.toFixed(4)}`;
    });
  },

  /** Random labels in both modes, a channel of a 2-channel batch, unaligned offsets. */
  "random labels match the CPU twin in both modes, on one channel of a batch"(): Promise<string> {
    return withContext(async (ctx) => {
      const shape: Shape = [7, 9, 11];
      const V = 7 * 9 * 11;
      let worst = 0;
      let objects = 0;
      for (const mode of ["binary", "instances"] as const) {
        for (const seed of [1, 2]) {
          const batch = 3;
          const labels = new Float32Array(batch * 2 * V);
          for (let b = 0; b < batch; b++) {
            labels.set(randomLabels(seed * 10 + b, shape, 4), (b * 2 + 1) * V);
            labels.set(randomLabels(seed * 100 + b, shape, 4), b * 2 * V); // channel 0: must be ignored
          }
          const run = { batch, channels: 2, channel: 1, shape, labelsByteOffset: 12, flowsByteOffset: 8 };
          const want = cellposeFlowsReference(labels, run, { mode });
          const { flows } = await runOnGpu(ctx, labels, run, { mode });
          worst = Math.max(worst, sameFlows(flows, want, `${mode} seed ${seed}`));
          for (let i = 0; i < V; i++) if (want[i] !== 0 && !Number.isNaN(want[i]!)) objects++;
        }
      }
      check(objects > 500, `only ${objects} object voxels: the cases test too little`);
      return `${objects} object voxels, largest difference ${worst.toExponential(2)}`;
    });
  },

  /**
   * A one-voxel path snaking through a z-slice is one object however it winds (union-find, not
   * a fixed number of propagation rounds): following the flows from any voxel of the path ends
   * at the same center. Two slices (z = 0 and z = 2) are two objects with two centers.
   */
  "a winding one-voxel path is one object with one center"(): Promise<string> {
    return withContext(async (ctx) => {
      const shape: Shape = [3, 7, 6];
      const [, Y, X] = shape;
      const labels = serpentine(shape);
      const run = { batch: 1, shape };
      const want = cellposeFlowsReference(labels, run);
      const { flows } = await runOnGpu(ctx, labels, run);
      sameFlows(flows, want, "serpentine");
      const V = shape[0] * Y * X;
      const sinks = new Set<string>();
      let onPath = 0;
      for (let i = 0; i < V; i++) {
        if (labels[i] !== 1) continue;
        onPath++;
        const seen: number[] = [];
        let j = i;
        while (!seen.includes(j)) {
          seen.push(j);
          const f = [flows[j]!, flows[V + j]!, flows[2 * V + j]!];
          check(Math.abs(Math.hypot(...f) - 1) < 1e-5, `path voxel ${j}: flow length ${Math.hypot(...f)}`);
          const a = [0, 1, 2].reduce((m, k) => (Math.abs(f[k]!) > Math.abs(f[m]!) ? k : m), 0);
          const next = j + Math.sign(f[a]!) * [Y * X, X, 1][a]!;
          check(labels[next] === 1, `the flow at path voxel ${j} leaves the path`);
          j = next;
        }
        const cycle = seen.slice(seen.indexOf(j)).sort((p, q) => p - q);
        check(cycle.length === 2, `following the flows from ${i} ends in a cycle of ${cycle.length}`);
        sinks.add(cycle.join(","));
      }
      check(sinks.size === 2, `the flows of two winding paths end at ${sinks.size} centers: ${[...sinks].join(" ")}`);
      return `${onPath} path voxels, centers ${[...sinks].join(" and ")}`;
    });
  },

  /** Flows of a ball point at its center; unit length inside, zero outside, NaN where unknown. */
  "a sphere's flows point to its center: unit length inside, zero outside, NaN where unknown"(): Promise<string> {
    return withContext(async (ctx) => {
      const shape: Shape = [17, 17, 17];
      const c = [8, 8, 8];
      const labels = ball(shape, c, 6);
      const V = 17 ** 3;
      for (let i = 0; i < 17 * 17; i++) labels[i] = NaN; // slab z = 0: unknown
      const fromGpu = (await runOnGpu(ctx, labels, { batch: 1, shape })).flows;
      const fromCpu = await cellposeFlows(labels, shape);
      const viaHelper = await cellposeFlows(labels, shape, { gpu: ctx });
      sameFlows(fromGpu, fromCpu, "sphere");
      sameFlows(viaHelper, fromCpu, "sphere through cellposeFlows");
      let minCos = 1;
      for (const flows of [fromGpu, fromCpu]) {
        for (let i = 0; i < V; i++) {
          const f = [flows[i]!, flows[V + i]!, flows[2 * V + i]!];
          if (i < 17 * 17) {
            check(f.every(Number.isNaN), `unknown voxel ${i}: flows ${f}, expected NaN`);
          } else if (labels[i] !== 1) {
            check(f.every((v) => v === 0), `background voxel ${i}: flows ${f}, expected 0`);
          } else if (i !== (c[0]! * 17 + c[1]!) * 17 + c[2]!) {
            check(Math.abs(Math.hypot(...f) - 1) < 1e-5, `voxel ${i}: flow length ${Math.hypot(...f)}`);
            const cos = cosineTo(flows, shape, i, c);
            minCos = Math.min(minCos, cos);
            check(cos > 0.9, `voxel ${i}: flow ${f} is not towards the center (cosine ${cos})`);
          }
        }
      }
      // The six face neighbours of the center point straight at it.
      for (const d of [17 * 17, -17 * 17, 17, -17, 1, -1]) {
        const cos = cosineTo(fromGpu, shape, (8 * 17 + 8) * 17 + 8 + d, c);
        check(cos > 0.9999, `face neighbour ${d} of the center: cosine ${cos}`);
      }
      return `smallest cosine to the center ${minCos.toFixed(4)}`;
    });
  },

  /** Two boxes sharing a face, as instances: each box's flows are what they are without the other. */
  async "touching instances do not bleed into each other"(): Promise<void> {
    await withContext(async (ctx) => {
      const shape: Shape = [6, 8, 14];
      const [Z, Y, X] = shape;
      const V = Z * Y * X;
      const both = new Float32Array(V);
      const onlyA = new Float32Array(V);
      const onlyB = new Float32Array(V);
      for (let z = 1; z < 5; z++) {
        for (let y = 1; y < 7; y++) {
          for (let x = 1; x < 13; x++) {
            const i = (z * Y + y) * X + x;
            const id = x < 7 ? 3 : 5;
            both[i] = id;
            (id === 3 ? onlyA : onlyB)[i] = id;
          }
        }
      }
      const run = { batch: 3, shape };
      const labels = new Float32Array(3 * V);
      labels.set(both, 0);
      labels.set(onlyA, V);
      labels.set(onlyB, 2 * V);
      const options = { mode: "instances", iterations: 90 } as const;
      const gpu = (await runOnGpu(ctx, labels, run, options)).flows;
      const cpu = cellposeFlowsReference(labels, run, options);
      sameFlows(gpu, cpu, "touching boxes");
      for (const flows of [gpu, cpu]) {
        for (let i = 0; i < V; i++) {
          for (let a = 0; a < 3; a++) {
            const alone = both[i] === 3 ? flows[3 * V + a * V + i]! : flows[6 * V + a * V + i]!;
            check(Object.is(flows[a * V + i], alone), `voxel ${i} axis ${a}: ${flows[a * V + i]} beside the other box, ${alone} alone`);
          }
          // At the shared face, x-flows point back into the own box.
          const x = i % X;
          if (both[i] === 3 && x === 6) check(flows[2 * V + i]! < 0, `box 3 at the face: x-flow ${flows[2 * V + i]} points into box 5`);
          if (both[i] === 5 && x === 7) check(flows[2 * V + i]! > 0, `box 5 at the face: x-flow ${flows[2 * V + i]} points into box 3`);
        }
      }
      // As a binary mask the two boxes are one object: flows cross the shared face.
      const merged = (await runOnGpu(ctx, both, { batch: 1, shape }, { iterations: 90 })).flows;
      let crossing = 0;
      for (let i = 0; i < V; i++) if (both[i] === 3 && i % X === 6 && merged[2 * V + i]! > 0) crossing++;
      check(crossing > 0, "as one binary object, no flow crosses the face between the boxes");
    });
  },

  /** Separate blobs of a binary mask each get their own center; the default iteration count. */
  async "separate blobs of a binary mask get their own centers"(): Promise<void> {
    await withContext(async (ctx) => {
      const shape: Shape = [9, 9, 20];
      const V = 9 * 9 * 20;
      const a = ball(shape, [4, 4, 4], 3);
      const b = ball(shape, [4, 4, 15], 3);
      const labels = a.map((v, i) => Math.max(v, b[i]!));
      const gpu = (await runOnGpu(ctx, labels, { batch: 1, shape })).flows;
      const cpu = cellposeFlowsReference(labels, { batch: 1, shape });
      sameFlows(gpu, cpu, "two blobs");
      for (let i = 0; i < V; i++) {
        if (labels[i] !== 1) continue;
        const c = a[i] === 1 ? [4, 4, 4] : [4, 4, 15];
        if (i === (c[0]! * 9 + c[1]!) * 20 + c[2]!) continue;
        const cos = cosineTo(gpu, shape, i, c);
        check(cos > 0.9, `voxel ${i}: flow is not towards its own blob's center (cosine ${cos})`);
      }
    });
  },

  /**
   * Without `iterations`, each sample of a batch diffuses for 6 * sum over axes of (its
   * foreground's bounding-box extent + 1) steps: the batch equals each sample run alone with
   * that count, and one step fewer changes a cube whose heat has not converged.
   */
  async "default iterations follow each sample's foreground extent"(): Promise<void> {
    await withContext(async (ctx) => {
      const shape: Shape = [12, 12, 12];
      const V = 12 ** 3;
      const cube = (lo: number, hi: number) => {
        const out = new Float32Array(V);
        for (let i = 0; i < V; i++) {
          const p = [Math.floor(i / 144), Math.floor(i / 12) % 12, i % 12];
          if (p.every((v) => v >= lo && v <= hi)) out[i] = 1;
        }
        return out;
      };
      const big = cube(1, 10); // extent 10 per axis: 6 * 3 * 11 = 198 steps
      const small = cube(4, 7); // extent 4: 6 * 3 * 5 = 90 steps
      const labels = new Float32Array(2 * V);
      labels.set(big, 0);
      labels.set(small, V);
      const batch = (await runOnGpu(ctx, labels, { batch: 2, shape })).flows;
      sameFlows(batch, cellposeFlowsReference(labels, { batch: 2, shape }), "batch of two cubes");
      const alone = async (l: Float32Array<ArrayBuffer>, iterations: number) => (await runOnGpu(ctx, l, { batch: 1, shape }, { iterations })).flows;
      const bigAlone = await alone(big, 198);
      const smallAlone = await alone(small, 90);
      check(bigAlone.every((v, i) => Object.is(v, batch[i])), "the big cube in the batch differs from 198 steps alone");
      check(smallAlone.every((v, i) => Object.is(v, batch[3 * V + i])), "the small cube in the batch differs from 90 steps alone");
      const fewer = await alone(big, 197);
      check(fewer.some((v, i) => v !== batch[i]), "197 steps give the big cube's 198-step flows: the count is not observable");
    });
  },

  /** A batch split into groups by a small binding limit gives the same flows. */
  "batches beyond the binding limit are split into groups"(): Promise<string> {
    return withContext(async (real) => {
      const ctx = GpuContext.fromDevice(withBindingLimit(real.device, 2 * 216 * 36 + 512), { label: "test small bindings" });
      const shape: Shape = [6, 6, 6];
      const batch = 5;
      const labels = new Float32Array(batch * 216);
      for (let b = 0; b < batch; b++) labels.set(randomLabels(50 + b, shape, 3, 0), b * 216);
      const run = { batch, shape, flowsByteOffset: 4 };
      const { flows, dispatches } = await runOnGpu(ctx, labels, run, { mode: "instances" });
      sameFlows(flows, cellposeFlowsReference(labels, run, { mode: "instances" }), "groups");
      // 3 groups of (8 object and center passes, the plan, 6 * (6 + 6 + 6 + 3) steps, the gradient)
      check(dispatches === 3 * (10 + 126), `${dispatches} dispatches, expected 3 groups of 136`);
      return `${dispatches} dispatches over 3 groups`;
    });
  },

  /**
   * The twin one sample at a time, each written in place into a shared output at its offset (as
   * the CPU executor's flows tasks do), gives the bits of the whole batch at once: a sample's
   * flows, its default iterations included, depend on its own labels only. Nothing outside the
   * samples' spans is written. 3D and 2D, both modes, a channel of a 2-channel batch.
   */
  "the twin per sample, written in place at an offset, gives the batch's bits"(): string {
    let values = 0;
    for (const shape of [[7, 9, 8], [13, 11]] as const) {
      const V = shape.reduce((a: number, d) => a * d, 1);
      const F = shape.length;
      const batch = 3;
      const labels = new Float32Array(batch * 2 * V);
      for (let b = 0; b < batch; b++) {
        const grid: Shape = shape.length === 3 ? [...shape] : [1, ...shape];
        labels.set(randomLabels(50 + b, grid, 3), (b * 2 + 1) * V);
        labels.set(randomLabels(90 + b, grid, 3), b * 2 * V);
      }
      for (const mode of ["binary", "instances"] as const) {
        const whole = cellposeFlowsReference(labels, { batch, channels: 2, channel: 1, shape }, { mode });
        const at = 5;
        const out = new Float32Array(at + batch * F * V + 4).fill(SENTINEL);
        for (const b of [2, 0, 1]) {
          const one = labels.subarray(b * 2 * V, (b + 1) * 2 * V);
          const got = cellposeFlowsReference(one, { batch: 1, channels: 2, channel: 1, shape }, { mode, out, outOffset: at + b * F * V });
          check(got.buffer === out.buffer && got.byteOffset === (at + b * F * V) * 4 && got.length === F * V, `sample ${b}: the twin returns the span of out it wrote`);
        }
        out.forEach((v, i) => check(i >= at && i < at + batch * F * V ? true : v === SENTINEL, `value ${i} outside the flows was overwritten (${v})`));
        for (let i = 0; i < whole.length; i++) {
          if (!Object.is(out[at + i], whole[i])) throw new Error(`${shape.length}D ${mode}: value ${i} per sample is ${out[at + i]}, the whole batch gave ${whole[i]}`);
        }
        check(whole.some((v) => v !== 0 && !Number.isNaN(v)), `${shape.length}D ${mode}: some flows should be nonzero`);
        values += whole.length;
      }
    }
    return `${values} flow values per sample equal the batch's`;
  },

  /** Bad layouts, options and buffers raise ArgumentError naming the field. */
  async "bad inputs raise ArgumentError naming the field"(): Promise<void> {
    const shape: Shape = [4, 4, 4];
    const labels = new Float32Array(64);
    const cpu = (layout: object, options: object = {}, data: Float32Array = labels) => () =>
      cellposeFlowsReference(data, { batch: 1, shape, ...layout } as never, options);
    expectArgumentError(cpu({ shape: [4] }), "shape");
    expectArgumentError(cpu({ shape: [1, 4, 4, 4] }), "shape");
    expectArgumentError(cpu({ shape: [4, 8] }), "labels"); // a 2D image [4, 8] has 32 values, not 64
    expectArgumentError(cpu({ shape: [4, 0, 4] }), "shape");
    expectArgumentError(cpu({ shape: [4, 4.5, 4] }), "shape");
    expectArgumentError(cpu({ shape: [70000, 2, 2] }), "shape");
    expectArgumentError(cpu({ batch: 0 }), "batch");
    expectArgumentError(cpu({ channels: 2, channel: 2 }), "channel");
    expectArgumentError(cpu({ channels: 0 }), "channels");
    expectArgumentError(cpu({}, { mode: "semantic" }), "mode");
    expectArgumentError(cpu({}, { iterations: 0 }), "iterations");
    expectArgumentError(cpu({}, { iterations: 2.5 }), "iterations");
    expectArgumentError(cpu({}, { iterations: 1e9 }), "iterations");
    expectArgumentError(cpu({}, {}, new Float32Array(63)), "labels");
    expectArgumentError(cpu({}, { out: new Float32Array(3 * 64 + 5), outOffset: 6 }), "outOffset");
    expectArgumentError(cpu({}, { out: new Float32Array(3 * 64), outOffset: -1 }), "outOffset");
    expectArgumentError(cpu({}, { outOffset: 2 }), "outOffset"); // an offset needs out
    expectArgumentError(cpu({}, { out: new Float64Array(3 * 64) }), "out");
    let rejected = false;
    await cellposeFlows(labels, [4, 4, 3]).catch((e: unknown) => {
      rejected = e instanceof ArgumentError && e.field === "labels";
    });
    check(rejected, "cellposeFlows with the wrong number of labels did not reject with an ArgumentError on labels");
    await withContext((ctx) => {
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
      const small = ctx.device.createBuffer({ size: 256, usage });
      const input = ctx.device.createBuffer({ size: 256, usage });
      const output = ctx.device.createBuffer({ size: 3 * 256, usage });
      const encoder = ctx.device.createCommandEncoder();
      const gpu = (extra: object) => () =>
        encodeCellposeFlows(ctx, encoder, { labels: input, flows: output, batch: 1, shape, ...extra } as never);
      expectArgumentError(gpu({ flows: small }), "flows");
      expectArgumentError(gpu({ flows: input }), "flows");
      expectArgumentError(gpu({ batch: 2 }), "labels");
      expectArgumentError(gpu({ labelsByteOffset: 2 }), "labelsByteOffset");
      expectArgumentError(gpu({ flowsByteOffset: -4 }), "flowsByteOffset");
      expectArgumentError(gpu({ mode: "binary ", iterations: 3 }), "mode");
      expectArgumentError(gpu({ channel: 1 }), "channel");
      for (const b of [small, input, output]) b.destroy();
      return Promise.resolve();
    });
  },
} satisfies Cases;
