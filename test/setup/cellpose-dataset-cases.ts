// Cellpose flow targets inside the dataset (`targetArrays.<name>.cellpose`), shared by the Node
// (vitest), Chromium (vitest browser mode) and Deno suites. Plain async functions that throw on
// failure; none of them skips (without a GPU adapter GpuContext.create() throws).
//
// Oracles: the CPU twin (src/kernels/cellpose/twin.ts) applied to the item's own label channel, read
// through the ordinary target path; the CPU dataset for the GPU loader's batches; and the
// fixture's closed-form geometry (test/setup/dataset-fixture.ts) for where flows are unit
// vectors towards the mito ball's center, zero, or NaN. On 2D slice datasets the flows are
// `[2, h, w]` (rows, columns): the 2D twin of the item's own labels, and the mito ball's cross
// section for geometry.

import { hashKey, rngFor } from "../../src/augment/rng.ts";
import { readBatch } from "../../src/dataset/batch.ts";
import { CpuExecutor } from "../../src/engine/cpu-executor.ts";
import { sharedMemory } from "../../src/engine/shared-memory.ts";
import { CellMapDataLoader } from "../../src/dataset/dataloader.ts";
import { CellMapDataset, type CellMapDatasetOptions } from "../../src/dataset/dataset.ts";
import { ArgumentError } from "../../src/errors.ts";
import type { Vec3 } from "../../src/geometry/types.ts";
import type { TargetArrayRequest } from "../../src/dataset/types.ts";
import { GpuContext } from "../../src/gpu/context.ts";
import type { CellposeMode } from "../../src/kernels/cellpose/contract.ts";
import { cellposeFlowsReference } from "../../src/kernels/cellpose/twin.ts";
import { buildFixture, CROP_SHAPE, CROP_TRANSLATION, ER, inBall, type MemoryFixture, MITO, SCALE } from "./dataset-fixture.ts";
import { check } from "./assert.ts";
import type { Cases } from "./cases.ts";

let fixture: Promise<MemoryFixture> | undefined;
function getFixture(): Promise<MemoryFixture> {
  fixture ??= buildFixture(2);
  return fixture;
}

type Names = "raw" | "gt" | "flows";
type Options = CellMapDatasetOptions<"raw", "gt" | "flows">;
/** Dataset options with any set of target arrays (the tests choose which ones). */
type Extra = Omit<Partial<Options>, "targetArrays"> & { targetArrays?: Record<string, TargetArrayRequest> };
const CLASSES = ["mito", "er", "nucleus"];
const S: Vec3 = [SCALE, SCALE, SCALE];

async function open(extra: Extra = {}): Promise<CellMapDataset<Names>> {
  const fx = await getFixture();
  return CellMapDataset.open<"raw", "gt" | "flows">({
    inputPath: fx.rawUrl,
    targetPath: `${fx.cropUrl}/[mito,er]`,
    classes: CLASSES,
    inputArrays: { raw: { shape: [2, 4, 4], scale: S } },
    targetArrays: { gt: { shape: [6, 8, 8], scale: S }, flows: { shape: [6, 8, 8], scale: S, cellpose: { class: "mito" } } },
    workers: 0,
    storeOptions: { fetch: fx.fetch },
    device: "cpu",
    ...extra,
  } as Options);
}

/** The grid index whose center is nearest a world point. */
function indexNear(ds: CellMapDataset<Names>, p: readonly number[]): number {
  const g = [0, 1, 2].map((k) => Math.min(ds.grid.dims[k]! - 1, Math.max(0, Math.round((p[k]! - ds.grid.origin[k]!) / ds.grid.step[k]!)))) as Vec3;
  return ds.grid.ravel(g);
}

/** NaN where NaN, exact zeros where zero, else within `atol` (GPU and twin agree to f32 rounding). */
function sameFlows(got: ArrayLike<number>, want: ArrayLike<number>, what: string, atol = 0): void {
  check(got.length === want.length, `${what}: ${got.length} values, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) || w === 0) check(Object.is(g, w) || (w === 0 && g === 0), `${what}: value ${i} is ${g}, expected ${w}`);
    else check(Math.abs(g - w) <= atol, `${what}: value ${i} is ${g}, expected ${w}`);
  }
}

function sameArray(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  sameFlows(got, want, what, 0);
}

async function withGpu<T>(work: (gpu: GpuContext) => Promise<T>): Promise<T> {
  const gpu = await GpuContext.create({ label: "test cellpose dataset" });
  try {
    return await work(gpu);
  } finally {
    gpu.destroy();
  }
}

/** The world position of output voxel `j` of an identity read of `shape` at `center`. */
const voxelAt = (center: readonly number[], shape: readonly number[], j: readonly number[]): number[] =>
  j.map((jk, k) => center[k]! + (jk - (shape[k]! - 1) / 2) * SCALE);

/** Inside the crop's voxels (the labels' extent, half a voxel beyond the outer centers). */
const inCrop = (p: readonly number[]): boolean =>
  p.every((q, k) => q >= CROP_TRANSLATION[k]! - SCALE / 2 && q < CROP_TRANSLATION[k]! + (CROP_SHAPE[k]! - 0.5) * SCALE);

async function expectArgumentError(field: string, options: Extra): Promise<void> {
  let caught: unknown;
  try {
    const ds = await open(options);
    ds.destroy();
  } catch (e) {
    caught = e;
  }
  check(caught instanceof ArgumentError, `expected an ArgumentError naming ${field}, got ${String(caught)}`);
  check(caught.field === field, `ArgumentError names ${caught.field}, expected ${field} (${caught.message})`);
}

/** Value for value (Object.is: NaN and the sign of zero included). */
function sameBits(got: Float32Array, want: Float32Array, what: string): void {
  check(got.length === want.length, `${what}: ${got.length} values, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) throw new Error(`${what}: value ${i} is ${got[i]}, expected ${want[i]}`);
}

/**
 * Three CPU loader batches of 4 with `cpuWorkers` (copies of their arrays, each batch released
 * as it comes), where they ran, and how many flows tasks the sample workers ran meanwhile.
 */
async function flowBatches(cpuWorkers: number | undefined, extra: Extra): Promise<{ batches: Array<Record<string, Float32Array>>; executor: string; flowTasks: number }> {
  const ds = await open({ ...extra, ...(cpuWorkers === undefined ? {} : { cpuWorkers }) });
  try {
    const e = ds.input.stats.executor;
    const exec = e.kind === "workers" ? await CpuExecutor.acquire(e.workers) : undefined;
    try {
      const before = exec?.stats.flowTasks ?? 0;
      const batches: Array<Record<string, Float32Array>> = [];
      for await (const b of new CellMapDataLoader(ds, { batchSize: 4, iterationsPerEpoch: 3, seed: 13, sampler: "weighted" })) {
        const all = b as unknown as Record<string, { data?: Float32Array }>;
        batches.push(Object.fromEntries(["raw", "gt", "flows", "nflows"].map((k) => [k, all[k]!.data!.slice()])));
        b.release();
      }
      return { batches, executor: e.kind === "workers" ? `workers (${e.workers})` : e.kind, flowTasks: (exec?.stats.flowTasks ?? 0) - before };
    } finally {
      exec?.release();
    }
  } finally {
    ds.destroy();
  }
}

export const cellposeDatasetCases = {
  /**
   * An item's flows are `[3, z, y, x]` and equal the CPU twin applied to the item's own mito
   * channel (same grid), in both object modes, with fixed iterations, under augmentation: exactly
   * on a CPU dataset, to float32 rounding on a GPU one.
   */
  async "an item's flows equal the CPU twin of its own labels (CPU and GPU datasets)"(): Promise<string> {
    return await withGpu(async (gpu) => {
      const variants: Array<{ mode?: CellposeMode; iterations?: number }> = [{}, { mode: "instances", iterations: 7 }];
      let compared = 0;
      for (const v of variants) {
        const cellpose = { class: "mito", ...v };
        const extra: Extra = {
          targetArrays: { gt: { shape: [6, 8, 8], scale: S }, flows: { shape: [6, 8, 8], scale: S, cellpose } },
          isTrain: true,
          spatialTransforms: { mirror: { axes: { x: 0.5, y: 0.5 } }, transpose: { axes: ["y", "x"] } },
          seed: 3,
        };
        const cpu = await open(extra);
        const onGpu = await open({ ...extra, gpu, device: "gpu" });
        try {
          check(Object.keys(cpu.targetArrays).join() === "gt" && cpu.cellposeTargets["flows"]?.class === "mito", "flows is a cellpose target, gt a class target");
          const near = indexNear(cpu, MITO.center);
          for (const i of [near, near + 1, near + cpu.grid.dims[2]! * 2, indexNear(cpu, [CROP_TRANSLATION[0], 60, 60])]) {
            for (const [ds, atol, where] of [[cpu, 0, "CPU"], [onGpu, 2e-6, "GPU"]] as const) {
              const item = await ds.get(i, { epoch: 1 });
              check(item.flows.shape.join() === "3,6,8,8", `${where} flows shape ${item.flows.shape}`);
              const mito = item.gt.data.subarray(0, 6 * 8 * 8);
              check(mito.some((x) => x === 1), `sample ${i} should hold some mito`);
              const want = cellposeFlowsReference(mito, { batch: 1, shape: [6, 8, 8] }, v);
              sameFlows(item.flows.data, want, `${where} flows of sample ${i} (${JSON.stringify(v)})`, atol);
              compared++;
            }
          }
        } finally {
          cpu.destroy();
          onGpu.destroy();
        }
      }
      return `${compared} items equal the twin of their own labels`;
    });
  },

  /**
   * The fixture's mito ball seen whole by one flow array: unit vectors pointing at the ball's
   * center inside the ball, exactly 0 in the crop outside it, NaN outside the crop; the same on
   * the GPU. A dataset may hold only flow targets.
   */
  async "the mito ball's flows point to its center, zero outside it, NaN outside the crop"(): Promise<string> {
    return await withGpu(async (gpu) => {
      const shape: Vec3 = [14, 26, 26];
      const extra: Extra = { targetArrays: { flows: { shape, scale: S, cellpose: { class: "mito" } } } };
      const cpu = await open(extra);
      const onGpu = await open({ ...extra, gpu, device: "gpu" });
      try {
        check(cpu.length > 0 && Object.keys(cpu.targetArrays).length === 0, "a dataset of flow targets only has samples");
        const i = indexNear(cpu, [38, 70, 70]); // the crop's center: the whole crop and a rim around it
        const center = cpu.center(i);
        const item = await cpu.get(i);
        const V = shape[0] * shape[1] * shape[2];
        let inside = 0, zero = 0, unknown = 0, worstCos = 1;
        for (let z = 0, n = 0; z < shape[0]; z++) for (let y = 0; y < shape[1]; y++) for (let x = 0; x < shape[2]; x++, n++) {
          const p = voxelAt(center, shape, [z, y, x]);
          const f = [0, 1, 2].map((c) => item.flows.data[c * V + n]!);
          if (!inCrop(p)) {
            check(f.every((v) => Number.isNaN(v)), `flow at ${p} (outside the crop) is ${f}, expected NaN`);
            unknown++;
          } else if (!inBall(MITO, p)) {
            check(f.every((v) => v === 0), `flow at ${p} (crop, outside the ball) is ${f}, expected 0`);
            zero++;
          } else {
            inside++;
            const d = [0, 1, 2].map((k) => MITO.center[k]! - p[k]!);
            const dist = Math.hypot(...d);
            if (dist < 1.5 * SCALE) continue; // the center voxels: the heat's peak
            const len = Math.hypot(...f);
            check(Math.abs(len - 1) < 1e-5, `flow at ${p} has length ${len}, expected 1`);
            const cos = (f[0]! * d[0]! + f[1]! * d[1]! + f[2]! * d[2]!) / dist;
            worstCos = Math.min(worstCos, cos);
            check(cos > 0.8, `flow at ${p} is ${f.map((v) => v.toFixed(3))}, ${(Math.acos(cos) * 180 / Math.PI).toFixed(0)}° off the direction to the center`);
          }
        }
        check(inside > 500 && zero > 1000 && unknown > 1000, `${inside} ball, ${zero} background, ${unknown} unknown voxels`);
        const g = await onGpu.get(i);
        sameFlows(g.flows.data, item.flows.data, "GPU flows of the ball", 2e-6);
        return `${inside} ball voxels point inwards (worst cos ${worstCos.toFixed(3)}), ${zero} zero, ${unknown} NaN`;
      } finally {
        cpu.destroy();
        onGpu.destroy();
      }
    });
  },

  /**
   * Flows of a class the crop does not annotate are NaN, except where class relationships make
   * true negatives (inside the mito and er balls), which are 0: the relationship pass runs on the
   * labels before the flows, on the CPU and the GPU.
   */
  async "flows of an unannotated class are NaN except true negatives, which are 0"(): Promise<string> {
    return await withGpu(async (gpu) => {
      const shape: Vec3 = [14, 26, 26];
      const extra: Extra = {
        targetArrays: { flows: { shape, scale: S, cellpose: { class: "nucleus" } } },
        classRelationships: { nucleus: ["mito", "er"] },
      };
      const cpu = await open(extra);
      const onGpu = await open({ ...extra, gpu, device: "gpu" });
      try {
        let counted = 0;
        for (const i of [indexNear(cpu, [38, 70, 70]), indexNear(cpu, ER.center)]) {
          const center = cpu.center(i);
          const [a, b] = [await cpu.get(i), await onGpu.get(i)];
          const V = shape[0] * shape[1] * shape[2];
          for (let z = 0, n = 0; z < shape[0]; z++) for (let y = 0; y < shape[1]; y++) for (let x = 0; x < shape[2]; x++, n++) {
            const p = voxelAt(center, shape, [z, y, x]);
            const negative = inCrop(p) && (inBall(MITO, p) || inBall(ER, p));
            for (const [item, where] of [[a, "CPU"], [b, "GPU"]] as const) {
              for (let c = 0; c < 3; c++) {
                const v = item.flows.data[c * V + n]!;
                check(negative ? v === 0 : Number.isNaN(v), `${where} nucleus flow ${c} at ${p} is ${v}, expected ${negative ? 0 : NaN}`);
              }
            }
            if (negative) counted++;
          }
        }
        check(counted > 500, `only ${counted} true-negative voxels`);
        return `${counted} true-negative voxels have zero flows, the rest NaN`;
      } finally {
        cpu.destroy();
        onGpu.destroy();
      }
    });
  },

  /**
   * GPU loader batches, left on the device (`output: "gpu"`, `[B, 3, z, y, x]` buffers) or read
   * back, equal the CPU dataset's batches: labels exactly, flows to float32 rounding.
   */
  async "GPU loader batches (output cpu and gpu) equal the CPU dataset's"(): Promise<string> {
    return await withGpu(async (gpu) => {
      const extra: Extra = {
        targetArrays: {
          gt: { shape: [4, 6, 6], scale: S },
          flows: { shape: [4, 6, 6], scale: S, cellpose: { class: "mito" } },
          nflows: { shape: [2, 6, 6], scale: [8, 4, 4], cellpose: { class: "nucleus", mode: "instances" } },
        },
        classRelationships: { nucleus: ["mito", "er"] },
        isTrain: true,
        spatialTransforms: { mirror: { axes: { x: 0.5, z: 0.5 } }, transpose: { axes: ["y", "x"] } },
      };
      const cpu = await open(extra);
      const onGpu = await open({ ...extra, gpu, device: "gpu" });
      try {
        const opts = { batchSize: 3, iterationsPerEpoch: 3, seed: 11, sampler: "weighted" as const };
        const want: Array<Record<string, { data: Float32Array; shape: number[] }>> = [];
        for await (const batch of new CellMapDataLoader(cpu, opts)) want.push(batch as never);
        let k = 0;
        for await (const batch of new CellMapDataLoader(onGpu, opts)) {
          const w = want[k++]!;
          sameArray(batch.gt.data, w["gt"]!.data, `gt of batch ${k}`);
          for (const name of ["flows", "nflows"]) {
            const got = (batch as unknown as Record<string, { data: Float32Array; shape: number[] }>)[name]!;
            check(got.shape.join() === w[name]!.shape.join(), `${name} shape ${got.shape}, expected ${w[name]!.shape}`);
            sameFlows(got.data, w[name]!.data, `${name} of batch ${k}`, 2e-6);
          }
        }
        check(k === 3, `${k} batches`);
        check(want[0]!["flows"]!.shape.join() === "3,3,4,6,6" && want[0]!["nflows"]!.shape.join() === "3,3,2,6,6", `flow shapes ${want[0]!["flows"]!.shape} ${want[0]!["nflows"]!.shape}`);
        check(want.some((b) => b["flows"]!.data.some((v) => v !== 0 && !Number.isNaN(v))), "some batch should hold nonzero mito flows");
        k = 0;
        for await (const batch of new CellMapDataLoader(onGpu, { ...opts, output: "gpu" })) {
          const w = want[k++]!;
          const f = batch["flows" as "gt"];
          check(f.byteLength === 3 * 3 * 144 * 4 && f.buffer.size >= f.byteLength, `flows buffer holds ${f.byteLength} bytes`);
          const flows = new Float32Array(await gpu.readBuffer(f.buffer, 0, f.byteLength));
          sameFlows(flows, w["flows"]!.data, `flows left on the GPU, batch ${k}`, 2e-6);
          batch.release();
        }
        check(k === 3, `${k} GPU batches`);
        return `${k} batches: GPU flows equal the CPU dataset's`;
      } finally {
        cpu.destroy();
        onGpu.destroy();
      }
    });
  },

  /**
   * On a 2D slice dataset (slicing z, and y) an item's flows are `[2, h, w]`, the 2D twin of the
   * item's own mito channel, on the CPU and (to float32 rounding) the GPU dataset; sliced through
   * the mito ball's center along z, they point to the center of its cross section.
   */
  async "2D slices: an item's flows are [2, h, w], the 2D twin of its own labels, towards the ball's cross-section center"(): Promise<string> {
    return await withGpu(async (gpu) => {
      const shape: [number, number] = [20, 20];
      const V = shape[0] * shape[1];
      let compared = 0;
      let inside = 0;
      let worstCos = 1;
      for (const axis of ["z", "y"] as const) {
        const extra: Extra = {
          inputArrays: { raw: { shape: [4, 4], scale: S } },
          targetArrays: { gt: { shape, scale: S }, flows: { shape, scale: S, cellpose: { class: "mito" } } },
          slicingAxis: axis,
        };
        const cpu = await open(extra);
        const onGpu = await open({ ...extra, gpu, device: "gpu" });
        try {
          const near = indexNear(cpu, MITO.center);
          for (const i of [near, near + 1, indexNear(cpu, [CROP_TRANSLATION[0] + 8, 50, 90])]) {
            const item = await cpu.get(i);
            check(item.flows.shape.join() === "2,20,20", `slicing ${axis}: flows shape ${item.flows.shape}, expected [2, 20, 20]`);
            const mito = item.gt.data.subarray(0, V);
            const want = cellposeFlowsReference(mito, { batch: 1, shape });
            sameFlows(item.flows.data, want, `CPU flows of sample ${i}, slicing ${axis}`);
            const g = await onGpu.get(i);
            check(g.flows.shape.join() === "2,20,20", `slicing ${axis}: GPU flows shape ${g.flows.shape}`);
            sameFlows(g.flows.data, want, `GPU flows of sample ${i}, slicing ${axis}`, 2e-6);
            compared++;
            if (axis !== "z" || i !== near) continue;
            // The ball's cross section at the slice's z: flows point to its center in (y, x).
            const center = cpu.center(i);
            check(mito.some((v) => v === 1), "the slice through the mito center holds mito");
            for (let r = 0; r < shape[0]; r++) {
              for (let c = 0; c < shape[1]; c++) {
                const n = r * shape[1] + c;
                const p = [center[0]!, center[1]! + (r - (shape[0] - 1) / 2) * SCALE, center[2]! + (c - (shape[1] - 1) / 2) * SCALE];
                const f = [item.flows.data[n]!, item.flows.data[V + n]!];
                if (!inBall(MITO, p)) {
                  check(f.every((v) => v === 0), `flow at ${p} (outside the ball) is ${f}, expected 0`);
                  continue;
                }
                const d = [MITO.center[1] - p[1]!, MITO.center[2] - p[2]!];
                const dist = Math.hypot(d[0]!, d[1]!);
                inside++;
                if (dist < 1.5 * SCALE) continue;
                check(Math.abs(Math.hypot(f[0]!, f[1]!) - 1) < 1e-5, `flow at ${p} has length ${Math.hypot(f[0]!, f[1]!)}`);
                const cos = (f[0]! * d[0]! + f[1]! * d[1]!) / dist;
                worstCos = Math.min(worstCos, cos);
                check(cos > 0.8, `flow at ${p} is ${f}, not towards the cross section's center (cos ${cos})`);
              }
            }
          }
        } finally {
          cpu.destroy();
          onGpu.destroy();
        }
      }
      check(inside > 100, `only ${inside} pixels in the ball's cross section`);
      return `${compared} items equal the 2D twin; ${inside} cross-section pixels point inwards (worst cos ${worstCos.toFixed(3)})`;
    });
  },

  /** On a 2D slice dataset loader batches are `[B, 2, h, w]`; the GPU loader's (read back and left on the device) equal the CPU dataset's. */
  async "2D slices: loader batches are [B, 2, h, w], on the GPU equal to the CPU dataset's"(): Promise<string> {
    return await withGpu(async (gpu) => {
      const extra: Extra = {
        inputArrays: { raw: { shape: [4, 4], scale: S } },
        targetArrays: {
          gt: { shape: [8, 10], scale: S },
          flows: { shape: [8, 10], scale: S, cellpose: { class: "mito" } },
          nflows: { shape: [6, 6], scale: S, cellpose: { class: "nucleus", mode: "instances" } },
        },
        classRelationships: { nucleus: ["mito", "er"] },
        slicingAxis: "x",
        isTrain: true,
        spatialTransforms: { mirror: { axes: { y: 0.5 } } },
      };
      const cpu = await open(extra);
      const onGpu = await open({ ...extra, gpu, device: "gpu" });
      try {
        const opts = { batchSize: 3, iterationsPerEpoch: 3, seed: 5, sampler: "weighted" as const };
        const want: Array<Record<string, { data: Float32Array; shape: number[] }>> = [];
        for await (const batch of new CellMapDataLoader(cpu, opts)) want.push(batch as never);
        check(want[0]!["flows"]!.shape.join() === "3,2,8,10" && want[0]!["nflows"]!.shape.join() === "3,2,6,6", `flow shapes ${want[0]!["flows"]!.shape} ${want[0]!["nflows"]!.shape}`);
        for (const b of want) {
          const gt = b["gt"]!.data;
          const mito = new Float32Array(3 * 80);
          for (let k = 0; k < 3; k++) mito.set(gt.subarray(k * 3 * 80, k * 3 * 80 + 80), k * 80);
          sameFlows(b["flows"]!.data, cellposeFlowsReference(mito, { batch: 3, shape: [8, 10] }), "CPU batch flows against the 2D twin of its mito labels");
        }
        check(want.some((b) => b["flows"]!.data.some((v) => v !== 0 && !Number.isNaN(v))), "some batch should hold nonzero mito flows");
        let k = 0;
        for await (const batch of new CellMapDataLoader(onGpu, opts)) {
          const w = want[k++]!;
          for (const name of ["flows", "nflows"]) {
            const got = (batch as unknown as Record<string, { data: Float32Array; shape: number[] }>)[name]!;
            check(got.shape.join() === w[name]!.shape.join(), `${name} shape ${got.shape}, expected ${w[name]!.shape}`);
            sameFlows(got.data, w[name]!.data, `${name} of batch ${k}`, 2e-6);
          }
        }
        check(k === 3, `${k} batches`);
        k = 0;
        for await (const batch of new CellMapDataLoader(onGpu, { ...opts, output: "gpu" })) {
          const w = want[k++]!;
          const f = batch["flows" as "gt"];
          check(f.byteLength === 3 * 2 * 80 * 4, `flows buffer holds ${f.byteLength} bytes, expected [3, 2, 8, 10] f32`);
          sameFlows(new Float32Array(await gpu.readBuffer(f.buffer, 0, f.byteLength)), w["flows"]!.data, `flows left on the GPU, batch ${k}`, 2e-6);
          batch.release();
        }
        return `${k} batches [3, 2, 8, 10]: GPU flows equal the CPU dataset's and the 2D twin`;
      } finally {
        cpu.destroy();
        onGpu.destroy();
      }
    });
  },

  /**
   * CPU loader batches with flow targets, 3D and 2D, with exclusive classes (true negatives on the
   * flow labels before the flows): in 1, 2 and the default number of sample workers they are the
   * calling thread's (`cpuWorkers: 0`) bit for bit, one flows task per sample ran in the workers,
   * and on every thread each batch's flows are the twin's of its own class target (read on the
   * same grid, with the same true negatives), value for value. Batches are released as they come,
   * so later ones are written into reused (stale) arrays.
   */
  async "CPU loader batches with flow targets: flows in the sample workers are the calling thread's and the twin's, bit for bit"(): Promise<string> {
    const lines: string[] = [];
    for (const [name, grid, extra] of [
      ["3D", [6, 10, 10], { spatialTransforms: { mirror: { axes: { x: 0.5, z: 0.5 } }, transpose: { axes: ["y", "x"] }, rotate: { axes: { z: [-180, 180] } } } }],
      ["2D", [10, 12], { inputArrays: { raw: { shape: [4, 4], scale: S } }, slicingAxis: "z", spatialTransforms: { mirror: { axes: { y: 0.5 } } } }],
    ] as const) {
      const options: Extra = {
        ...(extra as Extra),
        targetArrays: {
          gt: { shape: [...grid], scale: S },
          flows: { shape: [...grid], scale: S, cellpose: { class: "mito" } },
          nflows: { shape: [...grid], scale: S, cellpose: { class: "nucleus", mode: "instances", iterations: 9 } },
        },
        // mito's flows read [mito, er]; nucleus's read [nucleus, mito, er], unknown in this crop:
        // 0 (a true negative) inside the mito and er balls, NaN elsewhere.
        classRelationships: { nucleus: ["mito", "er"], mito: ["er"] },
        isTrain: true,
      };
      const here = await flowBatches(0, options);
      check(here.executor === "main-thread", `cpuWorkers 0 runs on the calling thread: ${here.executor}`);
      const V = grid.reduce((a: number, d) => a * d, 1);
      const F = grid.length;
      let negatives = 0, flowing = 0;
      for (const b of here.batches) {
        // The oracle: the twin on the batch's class target [B, 3, V] (mito 0, nucleus 2).
        sameBits(b["flows"]!, cellposeFlowsReference(b["gt"]!, { batch: 4, channels: 3, channel: 0, shape: grid }), `${name} mito flows against the twin of the batch's gt`);
        sameBits(b["nflows"]!, cellposeFlowsReference(b["gt"]!, { batch: 4, channels: 3, channel: 2, shape: grid }, { mode: "instances", iterations: 9 }), `${name} nucleus flows against the twin of the batch's gt`);
        check(b["flows"]!.length === 4 * F * V, `${name} flows hold ${b["flows"]!.length} values`);
        negatives += b["nflows"]!.filter((v) => v === 0).length;
        flowing += b["flows"]!.filter((v) => v !== 0 && !Number.isNaN(v)).length;
      }
      check(negatives > 0 && flowing > 0, `${name}: ${negatives} true-negative nucleus flows, ${flowing} nonzero mito flows`);
      for (const workers of sharedMemory().ok ? [1, 2, undefined] : [undefined]) {
        const got = await flowBatches(workers, options);
        check(got.batches.length === here.batches.length, "as many batches");
        got.batches.forEach((b, k) => {
          for (const [key, data] of Object.entries(b)) sameBits(data, here.batches[k]![key]!, `${name} ${key} of batch ${k} with cpuWorkers ${workers ?? "default"} (${got.executor})`);
        });
        if (got.executor !== "main-thread") check(got.flowTasks === 3 * 4 * 2, `${name}: ${got.flowTasks} flows tasks ran in the workers, expected one per sample and flow target (24)`);
        lines.push(`${name} ${got.executor} (${got.flowTasks} flows tasks)`);
      }
    }
    return `flows identical to the calling thread's and the twin's: ${lines.join(", ")}`;
  },

  /** Bad cellpose options are ArgumentErrors naming the field; datasets that differ in them share no batch. */
  async "bad cellpose target options raise ArgumentError naming the field"(): Promise<void> {
    const t = (cellpose: unknown): Extra => ({
      targetArrays: { gt: { shape: [2, 2, 2], scale: S }, flows: { shape: [2, 2, 2], scale: S, cellpose: cellpose as { class: string } } },
    });
    await expectArgumentError("targetArrays.flows.cellpose.class", t({ class: "golgi" }));
    await expectArgumentError("targetArrays.flows.cellpose.class", t({}));
    await expectArgumentError("targetArrays.flows.cellpose.mode", t({ class: "mito", mode: "semantic" }));
    await expectArgumentError("targetArrays.flows.cellpose.iterations", t({ class: "mito", iterations: 0 }));
    await expectArgumentError("targetArrays.flows.cellpose.iterations", t({ class: "mito", iterations: 2.5 }));
    await expectArgumentError("targetArrays.flows.cellpose.channel", t({ class: "mito", channel: 1 }));
    await expectArgumentError("targetArrays.flows.cellpose", t("mito"));
    await expectArgumentError("targetArrays.flows.cellpose", t(null));
    await expectArgumentError("targetArrays.flows.cellpose.iterations", {
      inputArrays: { raw: { shape: [4, 4], scale: S } },
      targetArrays: { gt: { shape: [2, 2], scale: S }, flows: { shape: [2, 2], scale: S, cellpose: { class: "mito", iterations: -1 } } },
      slicingAxis: "z",
    });
    const a = await open();
    const b = await open({ targetArrays: { gt: { shape: [6, 8, 8], scale: S }, flows: { shape: [6, 8, 8], scale: S, cellpose: { class: "er" } } } });
    try {
      let caught: unknown;
      try {
        await readBatch([{ dataset: a, index: 0, rng: rngFor(0, 0, 0) }, { dataset: b, index: 0, rng: rngFor(0, 0, 1) }], { output: "cpu", seed: hashKey(0) });
      } catch (e) {
        caught = e;
      }
      check(caught instanceof ArgumentError && caught.field === "datasets", `mixing flow classes in a batch: ${String(caught)}`);
    } finally {
      a.destroy();
      b.destroy();
    }
  },
} satisfies Cases;
