// Dataset and loader test bodies shared by the Node (vitest), Chromium (vitest browser mode) and
// Deno suites. Plain async functions that throw on failure. The fixture is built in memory
// (test/setup/dataset-fixture.ts) and read through a `fetch` function with `workers: 0`, so no
// file system or server is needed; the expected values come from the fixture's closed-form
// geometry, never from the library.

import { hashKey, rngFor } from "../../src/augment/rng.ts";
import { GpuContext } from "../../src/gpu/context.ts";
import { CellMapDataLoader, type Batch } from "../../src/dataset/dataloader.ts";
import { CellMapDataset, type CellMapDatasetOptions } from "../../src/dataset/dataset.ts";
import { CellMapSubset } from "../../src/dataset/subset.ts";
import type { Vec3 } from "../../src/geometry/types.ts";
import {
  ballDistance,
  buildFixture,
  CROP_SHAPE,
  CROP_TRANSLATION,
  ER,
  inBall,
  type MemoryFixture,
  MITO,
  RAW_SHAPE,
  rawAt,
  SCALE,
} from "./dataset-fixture.ts";
import { check, sameValues } from "./assert.ts";
import type { Cases } from "./cases.ts";

let fixture: Promise<MemoryFixture> | undefined;
function getFixture(): Promise<MemoryFixture> {
  fixture ??= buildFixture(2);
  return fixture;
}

type Names = "raw" | "gt";
const CLASSES = ["mito", "er", "nucleus"];

async function open(
  extra: Partial<CellMapDatasetOptions<"raw", "gt">> = {},
  shapes: { raw?: Vec3; gt?: Vec3 } = {},
): Promise<CellMapDataset<Names>> {
  const fx = await getFixture();
  return CellMapDataset.open<"raw", "gt">({
    inputPath: fx.rawUrl,
    targetPath: `${fx.cropUrl}/[mito,er]`,
    classes: CLASSES,
    inputArrays: { raw: { shape: shapes.raw ?? [2, 4, 4], scale: [SCALE, SCALE, SCALE] } },
    targetArrays: { gt: { shape: shapes.gt ?? [2, 2, 2], scale: [SCALE, SCALE, SCALE] } },
    workers: 0,
    storeOptions: { fetch: fx.fetch },
    device: "cpu",
    ...extra,
  });
}

/** The index of the grid center nearest a world point. */
function indexNear(ds: CellMapDataset<Names>, p: Vec3): number {
  const g = [0, 1, 2].map((k) => Math.min(ds.grid.dims[k]! - 1, Math.max(0, Math.round((p[k]! - ds.grid.origin[k]!) / ds.grid.step[k]!)))) as Vec3;
  return ds.grid.ravel(g);
}

/** Expected identity read at exact voxel positions: raw value and label values per class. */
function expectedIdentity(center: Vec3, shape: Vec3, kind: "raw" | "mito" | "er" | "nucleus"): Float32Array {
  const out = new Float32Array(shape[0] * shape[1] * shape[2]);
  let i = 0;
  for (let z = 0; z < shape[0]; z++) for (let y = 0; y < shape[1]; y++) for (let x = 0; x < shape[2]; x++) {
    const p = [z, y, x].map((j, k) => center[k]! + (j - (shape[k]! - 1) / 2) * SCALE);
    if (kind === "raw") {
      const v = p.map((q) => q / SCALE);
      check(v.every((q) => Number.isInteger(q)), `raw position ${v} is not a voxel center`);
      out[i++] = v.every((q, k) => q >= 0 && q < RAW_SHAPE[k]!) ? rawAt(v[0]!, v[1]!, v[2]!) : 0;
    } else {
      const v = p.map((q, k) => (q - CROP_TRANSLATION[k]!) / SCALE);
      const inside = v.every((q, k) => q >= 0 && q < CROP_SHAPE[k]!);
      out[i++] = !inside || kind === "nucleus" ? NaN : inBall(kind === "mito" ? MITO : ER, p) ? 1 : 0;
    }
  }
  return out;
}

async function checkIdentityItem(ds: CellMapDataset<Names>, i: number): Promise<void> {
  const item = await ds.get(i);
  const c = ds.center(i);
  sameValues(item.center, c, "center");
  check(item.raw.shape.join() === "1,2,4,4", `raw shape ${item.raw.shape}`);
  check(item.gt.shape.join() === "3,2,2,2", `gt shape ${item.gt.shape}`);
  sameValues(item.raw.data, expectedIdentity(c, [2, 4, 4], "raw"), `raw of sample ${i}`);
  CLASSES.forEach((cls, k) => {
    sameValues(item.gt.data.subarray(k * 8, (k + 1) * 8), expectedIdentity(c, [2, 2, 2], cls as "mito"), `${cls} of sample ${i}`);
  });
}

/** Values of `hashKey(42, 0, 0)`, `hashKey(42, 0, 1)`, `hashKey(42, "spatial")`: the same in every runtime. */
export const STABLE_HASHES = [2890563493, 3462795956, 2874017650];
/** `rngFor(42, 0, 0).next()`. */
export const STABLE_UNIFORM = 0.6730117600297646;

/**
 * classRelationships turn an unannotated class into true negatives where an exclusive class is
 * present: nucleus is 0 inside mito and er (whose balls are known), unknown (NaN) elsewhere.
 */
async function trueNegatives(device: "cpu" | "gpu" = "cpu"): Promise<void> {
  const gpu = device === "gpu" ? await GpuContext.create() : undefined;
  const ds = await open({ classRelationships: { nucleus: ["mito", "er"] }, ...(gpu ? { gpu, device: "gpu" as const } : {}) }, { gt: [4, 6, 6] });
  try {
    let negatives = 0;
    for (const i of [indexNear(ds, [...MITO.center] as Vec3), indexNear(ds, [...ER.center] as Vec3), indexNear(ds, [40, 70, 40]), 0]) {
      const item = await ds.get(i);
      const c = ds.center(i);
      const mito = expectedIdentity(c, [4, 6, 6], "mito");
      const er = expectedIdentity(c, [4, 6, 6], "er");
      const nucleus = mito.map((m, v) => (m === 1 || er[v] === 1 ? 0 : NaN));
      negatives += nucleus.filter((x) => x === 0).length;
      sameValues(item.gt.data.subarray(0, 144), mito, `mito of sample ${i}`);
      sameValues(item.gt.data.subarray(144, 288), er, `er of sample ${i}`);
      sameValues(item.gt.data.subarray(288), nucleus, `nucleus of sample ${i}`);
    }
    check(negatives > 100, `only ${negatives} true negatives checked`);
  } finally {
    ds.destroy();
    gpu?.destroy();
  }
}

/**
 * True negatives are found on the labels, before the target value transforms: with
 * `nanToNum` on the unannotated nucleus, its voxels are 0 where mito or er is present and the
 * replacement value elsewhere (were the order reversed, no voxel would be unknown by then and
 * nucleus would be the replacement everywhere). Checked on loader batches of 3 against the
 * fixture's closed form.
 */
async function trueNegativesBeforeTargetTransforms(device: "cpu" | "gpu" = "cpu"): Promise<void> {
  const gpu = device === "gpu" ? await GpuContext.create() : undefined;
  const ds = await open({
    classRelationships: { nucleus: ["mito", "er"] },
    targetValueTransforms: { nucleus: [{ nanToNum: { nan: 5 } }], mito: [{ nanToNum: { nan: -1 } }] },
    ...(gpu ? { gpu, device: "gpu" as const } : {}),
  }, { gt: [4, 6, 6] });
  try {
    let negatives = 0;
    let batches = 0;
    for await (const batch of new CellMapDataLoader(ds, { batchSize: 3, iterationsPerEpoch: 4, seed: 21 })) {
      batches++;
      batch.idx.forEach((i, b) => {
        const c = ds.center(i);
        const mito = expectedIdentity(c, [4, 6, 6], "mito");
        const er = expectedIdentity(c, [4, 6, 6], "er");
        const nucleus = mito.map((m, v) => (m === 1 || er[v] === 1 ? 0 : 5));
        negatives += nucleus.filter((x) => x === 0).length;
        const at = b * 3 * 144;
        sameValues(batch.gt.data.subarray(at, at + 144), mito.map((x) => (Number.isNaN(x) ? -1 : x)), `mito of sample ${i}`);
        sameValues(batch.gt.data.subarray(at + 144, at + 288), er, `er of sample ${i}`);
        sameValues(batch.gt.data.subarray(at + 288, at + 432), nucleus, `nucleus of sample ${i}`);
      });
    }
    check(batches === 4, `${batches} batches`);
    check(negatives > 20, `only ${negatives} true negatives checked`);
  } finally {
    ds.destroy();
    gpu?.destroy();
  }
}

/** Value transforms apply per input array and per class (normalize raw, binarize labels). */
async function valueTransforms(device: "cpu" | "gpu" = "cpu"): Promise<void> {
  const gpu = device === "gpu" ? await GpuContext.create() : undefined;
  const ds = await open({
    valueTransforms: { raw: [{ normalize: { range: [0, 200] } }] },
    targetValueTransforms: { er: [{ binarize: { threshold: 0.5 } }, { nanToNum: { nan: -1 } }] },
    ...(gpu ? { gpu, device: "gpu" as const } : {}),
  });
  try {
    for (const i of [0, indexNear(ds, [...MITO.center] as Vec3), indexNear(ds, [...ER.center] as Vec3)]) {
      const item = await ds.get(i);
      const c = ds.center(i);
      const raw = expectedIdentity(c, [2, 4, 4], "raw");
      check(raw.every((v, k) => Math.abs(v / 200 - item.raw.data[k]!) < 1e-6), `normalized raw of sample ${i}`);
      sameValues(item.gt.data.subarray(0, 8), expectedIdentity(c, [2, 2, 2], "mito"), `mito (no transform) of sample ${i}`);
      sameValues(item.gt.data.subarray(8, 16), expectedIdentity(c, [2, 2, 2], "er").map((x) => (Number.isNaN(x) ? -1 : x)), `er (nanToNum) of sample ${i}`);
    }
  } finally {
    ds.destroy();
    gpu?.destroy();
  }
}

export const datasetCases = {
  /** The generator gives the same numbers in every runtime. */
  "the seeded generator gives the same numbers in every runtime"(): Promise<void> {
    const got = [hashKey(42, 0, 0), hashKey(42, 0, 1), hashKey(42, "spatial")];
    sameValues(got, STABLE_HASHES, "hashKey values");
    check(rngFor(42, 0, 0).next() === STABLE_UNIFORM, "rngFor(42, 0, 0).next()");
    return Promise.resolve();
  },

  /** get(i) reads the raw voxels and crop labels at the grid center; an unannotated class is NaN. */
  async "get(i) reads raw voxels and crop labels; an unannotated class is NaN"(): Promise<void> {
    const ds = await open();
    try {
      check(ds.length === 13 * 25 * 25, `length ${ds.length}, expected 13 * 25 * 25`);
      for (const i of [0, 1, 25, ds.length - 1, indexNear(ds, [...MITO.center] as Vec3), indexNear(ds, [...ER.center] as Vec3)]) {
        await checkIdentityItem(ds, i);
      }
    } finally {
      ds.destroy();
    }
  },

  /** A mirror with p = 1 on x equals the un-augmented sample flipped on x (odd shapes: interpolated). */
  async "a mirror with p=1 on x equals the un-augmented sample flipped on x"(): Promise<void> {
    const shapes = { raw: [3, 5, 7] as Vec3, gt: [3, 3, 5] as Vec3 };
    const plain = await open({}, shapes);
    const mirrored = await open({ isTrain: true, spatialTransforms: { mirror: { axes: { x: 1 } } } }, shapes);
    try {
      const flip = (a: Float32Array, shape: number[]) => {
        const out = new Float32Array(a.length);
        const nx = shape[shape.length - 1]!;
        for (let r = 0; r < a.length / nx; r++) for (let x = 0; x < nx; x++) out[r * nx + x] = a[r * nx + (nx - 1 - x)]!;
        return out;
      };
      for (const i of [indexNear(plain, [...MITO.center] as Vec3), 7, plain.length - 3]) {
        const a = await plain.get(i);
        const b = await mirrored.get(i);
        sameValues(b.raw.data, flip(a.raw.data, a.raw.shape), `mirrored raw of sample ${i}`);
        sameValues(b.gt.data, flip(a.gt.data, a.gt.shape), `mirrored gt of sample ${i}`);
        check(a.raw.data.some((v, k) => v !== a.raw.data[k - (k % 7) + 6 - (k % 7)]), "the raw sample is symmetric in x, the test proves nothing");
      }
    } finally {
      plain.destroy();
      mirrored.destroy();
    }
  },

  /** Under rotation, raw (linear) and labels (nearest) both follow the same world geometry. */
  async "inputs and targets stay aligned under rotation"(): Promise<void> {
    const rawShape: Vec3 = [7, 12, 12];
    const gtShape: Vec3 = [5, 8, 8];
    const ds = await open({ isTrain: true, seed: 3, spatialTransforms: { rotate: { axes: { z: [-180, 180], x: [-30, 30] } } } }, { raw: rawShape, gt: gtShape });
    try {
      let inside = 0;
      let outside = 0;
      // Centers on the mito surface, so both sides of its edge are in every sample.
      for (const i of [indexNear(ds, [40, 70, 66]), indexNear(ds, [40, 70, 40]), indexNear(ds, [40, 44, 66]), indexNear(ds, [40, 88, 84])]) {
        const item = await ds.get(i);
        const plan = ds.plan(i, rngFor(ds.seed, 0, i));
        const A = plan.augment!;
        check(A !== undefined && Math.abs(A[4]! - 1) > 1e-3, "the draw should rotate");
        const world = (j: number[], shape: Vec3): Vec3 => {
          const d = j.map((q, k) => (q - (shape[k]! - 1) / 2) * SCALE);
          return [0, 1, 2].map((r) => plan.center[r]! + A[r * 3]! * d[0]! + A[r * 3 + 1]! * d[1]! + A[r * 3 + 2]! * d[2]!) as Vec3;
        };
        let n = 0;
        for (let z = 0; z < rawShape[0]; z++) for (let y = 0; y < rawShape[1]; y++) for (let x = 0; x < rawShape[2]; x++, n++) {
          const dist = ballDistance(MITO, world([z, y, x], rawShape));
          if (Math.abs(dist) <= 7) continue;
          const v = item.raw.data[n]!;
          check(dist < 0 ? v >= 100 : v < 100, `raw voxel ${[z, y, x]} of sample ${i}: ${v} but mito distance ${dist.toFixed(2)}`);
        }
        n = 0;
        for (let z = 0; z < gtShape[0]; z++) for (let y = 0; y < gtShape[1]; y++) for (let x = 0; x < gtShape[2]; x++, n++) {
          const p = world([z, y, x], gtShape);
          const v = p.map((q, k) => (q - CROP_TRANSLATION[k]!) / SCALE);
          const margin = 0.6;
          const deep = v.every((q, k) => q > -0.5 + margin && q < CROP_SHAPE[k]! - 0.5 - margin);
          const dist = ballDistance(MITO, p);
          if (!deep || Math.abs(dist) <= 4) continue;
          const label = item.gt.data[n]!; // class 0 = mito
          check(label === (dist < 0 ? 1 : 0), `mito label ${[z, y, x]} of sample ${i}: ${label} but mito distance ${dist.toFixed(2)}`);
          if (dist < 0) inside++;
          else outside++;
        }
      }
      check(inside > 50 && outside > 50, `too few label voxels checked (${inside} inside, ${outside} outside)`);
    } finally {
      ds.destroy();
    }
  },

  /** Class counts come from complement_counts (mito) or a count (er); weights are bg / fg. */
  async "class counts from complement_counts or counted; weights bg/fg"(): Promise<void> {
    const fx = await getFixture();
    const ds = await open();
    try {
      const counts = await ds.classCounts;
      const total = CROP_SHAPE[0] * CROP_SHAPE[1] * CROP_SHAPE[2];
      const v = SCALE ** 3;
      check(counts["mito"]!.foreground === (total - fx.absent.mito) * v, `mito foreground ${counts["mito"]!.foreground}`);
      check(counts["mito"]!.background === fx.absent.mito * v, `mito background ${counts["mito"]!.background}`);
      check(counts["er"]!.foreground === (total - fx.absent.er) * v, `er foreground ${counts["er"]!.foreground}`);
      check(counts["er"]!.background === fx.absent.er * v, `er background ${counts["er"]!.background}`);
      check(counts["nucleus"]!.foreground === 0, "nucleus is not annotated");
      const w = await ds.classWeights;
      check(w["mito"] === fx.absent.mito / (total - fx.absent.mito), `mito weight ${w["mito"]}`);
      check(w["nucleus"] === 1, `nucleus weight ${w["nucleus"]}`);
    } finally {
      ds.destroy();
    }
  },

  /** An epoch has exactly iterationsPerEpoch batches of batchSize, with a leading B axis. */
  async "an epoch has exactly iterationsPerEpoch batches of batchSize"(): Promise<void> {
    const ds = await open();
    try {
      const loader = new CellMapDataLoader(ds, { batchSize: 3, iterationsPerEpoch: 4, seed: 9 });
      let n = 0;
      for await (const batch of loader) {
        check(batch.idx.length === 3 && batch.center.length === 3, `batch ${n} holds ${batch.idx.length} samples`);
        check(batch.raw.shape.join() === "3,1,2,4,4", `raw batch shape ${batch.raw.shape}`);
        check(batch.gt.shape.join() === "3,3,2,2,2", `gt batch shape ${batch.gt.shape}`);
        check(batch.raw.data.length === 3 * 32 && batch.gt.data.length === 3 * 24, "batch sizes");
        // Each batch entry equals get() of its index.
        for (let b = 0; b < 3; b++) sameValues(batch.raw.data.subarray(b * 32, (b + 1) * 32), expectedIdentity(batch.center[b]!, [2, 4, 4], "raw"), `batch ${n} sample ${b}`);
        n++;
      }
      check(n === 4, `${n} batches, expected 4`);
      check(loader.length === 4, `loader.length ${loader.length}`);
    } finally {
      ds.destroy();
    }
  },

  /** Same seed: bit-identical batches with prefetch 1 and 4; another seed or epoch differs. */
  async "same seed gives bit-identical batches with prefetch 1 and 4"(): Promise<void> {
    const spatialTransforms = { mirror: { axes: { x: 0.5, y: 0.5 } }, transpose: { axes: ["x", "y"] as ("x" | "y")[] }, rotate: { axes: { z: [-180, 180] as [number, number] } } };
    const valueTransforms = { raw: [{ normalize: {} }, { gaussianNoise: { std: 0.1, p: 0.5 } }, { randomGamma: { range: [0.8, 1.2] } }] };
    const a = await open({ isTrain: true, spatialTransforms, valueTransforms }, { raw: [3, 6, 6], gt: [2, 4, 4] });
    const b = await open({ isTrain: true, spatialTransforms, valueTransforms }, { raw: [3, 6, 6], gt: [2, 4, 4] });
    try {
      const collect = async (ds: CellMapDataset<Names>, prefetch: number, seed: number, epoch = 0) => {
        const out: Batch<Names>[] = [];
        const loader = new CellMapDataLoader(ds, { batchSize: 4, iterationsPerEpoch: 3, seed, prefetch, epoch });
        for await (const batch of loader) out.push(batch);
        return out;
      };
      const one = await collect(a, 1, 5);
      const four = await collect(b, 4, 5);
      one.forEach((x, k) => {
        sameValues(x.idx, four[k]!.idx, `idx of batch ${k}`);
        sameValues(x.raw.data, four[k]!.raw.data, `raw of batch ${k}`);
        sameValues(x.gt.data, four[k]!.gt.data, `gt of batch ${k}`);
      });
      const other = await collect(a, 2, 6);
      check(other.some((x, k) => x.idx.join() !== one[k]!.idx.join()), "another seed gives the same indices");
      const next = await collect(a, 2, 5, 1);
      check(next.some((x, k) => x.idx.join() !== one[k]!.idx.join()), "another epoch gives the same indices");
    } finally {
      a.destroy();
      b.destroy();
    }
  },

  /** rank/worldSize shards are disjoint and together cover the data once per epoch. */
  async "rank/worldSize shards are disjoint and cover"(): Promise<void> {
    const ds = await open();
    try {
      const sub = new CellMapSubset(ds, Array.from({ length: 60 }, (_, i) => i * 97));
      const seen = new Map<number, number>();
      for (let rank = 0; rank < 3; rank++) {
        const loader = new CellMapDataLoader(sub, { batchSize: 4, worldSize: 3, rank, seed: 11 });
        check(loader.length === 5, `loader.length ${loader.length}, expected 60 / (4 * 3)`);
        for (let k = 0; k < loader.length; k++) for (const i of await loader.indices(k)) seen.set(i, (seen.get(i) ?? 0) + 1);
        // What is read is what indices() says.
        let k = 0;
        for await (const batch of loader) {
          const want = (await loader.indices(k++)).sort((x, y) => x - y);
          sameValues([...batch.idx].sort((x, y) => x - y), want, `rank ${rank} batch ${k - 1}`);
          if (k === 2) break;
        }
      }
      check(seen.size === 60, `shards cover ${seen.size} of 60 indices`);
      check([...seen.values()].every((c) => c === 1), "an index is in two shards");
    } finally {
      ds.destroy();
    }
  },

  "classRelationships give true negatives where an exclusive class is present": () => trueNegatives("cpu"),
  "classRelationships on the GPU": () => trueNegatives("gpu"),

  "true negatives come before the target value transforms (CPU)": () => trueNegativesBeforeTargetTransforms("cpu"),
  "true negatives come before the target value transforms (GPU)": () => trueNegativesBeforeTargetTransforms("gpu"),

  "value transforms per input array and per class": () => valueTransforms("cpu"),
  "value transforms on the GPU": () => valueTransforms("gpu"),

  /** The GPU dataset matches the CPU one; GPU batches left on the device hold the same values. */
  async "GPU dataset matches CPU; GPU batches stay on the device"(): Promise<void> {
    const gpu = await GpuContext.create();
    const spatialTransforms = { rotate: { axes: { z: [-180, 180] as [number, number] } }, mirror: { axes: { y: 0.5 } } };
    const common = {
      isTrain: true,
      spatialTransforms,
      valueTransforms: { raw: [{ normalize: {} }, { gaussianNoise: { std: 0.05 } }] },
      classRelationships: { nucleus: ["mito", "er"] },
    };
    const cpu = await open(common, { raw: [3, 6, 6], gt: [2, 4, 4] });
    const onGpu = await open({ ...common, gpu, device: "gpu" }, { raw: [3, 6, 6], gt: [2, 4, 4] });
    try {
      for (const i of [indexNear(cpu, [...MITO.center] as Vec3), 3]) {
        const a = await cpu.get(i);
        const b = await onGpu.get(i);
        sameValues(b.gt.data, a.gt.data, `gt of sample ${i}`);
        check(a.raw.data.every((v, k) => Math.abs(v - b.raw.data[k]!) <= 1e-3), `raw of sample ${i} differs between GPU and CPU`);
      }
      const opts = { batchSize: 3, iterationsPerEpoch: 2, seed: 4 };
      const cpuBatches: Batch<Names>[] = [];
      for await (const batch of new CellMapDataLoader(onGpu, opts)) cpuBatches.push(batch);
      let k = 0;
      for await (const batch of new CellMapDataLoader(onGpu, { ...opts, output: "gpu" })) {
        check(batch.raw.buffer.size >= batch.raw.byteLength && batch.raw.byteLength === 3 * 108 * 4, `raw buffer ${batch.raw.byteLength} bytes`);
        const raw = new Float32Array(await gpu.readBuffer(batch.raw.buffer, 0, batch.raw.byteLength));
        const gt = new Float32Array(await gpu.readBuffer(batch.gt.buffer, 0, batch.gt.byteLength));
        sameValues(raw, cpuBatches[k]!.raw.data, `raw of GPU batch ${k}`);
        sameValues(gt, cpuBatches[k]!.gt.data, `gt of GPU batch ${k}`);
        batch.release();
        k++;
      }
      check(k === 2, `${k} GPU batches`);
    } finally {
      cpu.destroy();
      onGpu.destroy();
      gpu.destroy();
    }
  },
} satisfies Cases;
