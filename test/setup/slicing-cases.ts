// 2D slicing datasets: test bodies shared by the Node (vitest), Chromium (vitest browser mode)
// and Deno suites. Plain async functions that throw on failure. The fixture is built in memory
// (test/setup/dataset-fixture.ts) and read through a `fetch` function with `workers: 0`. Expected
// values come from the fixture's closed-form geometry, and from 3D reads of the same centers
// whose planes are picked out here by index, never from the slicing code itself.

import { displacementAt } from "../../src/augment/deform.ts";
import { rngFor } from "../../src/augment/rng.ts";
import { GpuContext } from "../../src/gpu/context.ts";
import { isCellMapError } from "../../src/errors.ts";
import { CellMapDataLoader, type Batch } from "../../src/dataset/dataloader.ts";
import { CellMapDataset, type CellMapDatasetOptions } from "../../src/dataset/dataset.ts";
import type { CellMapMultiDataset } from "../../src/dataset/multidataset.ts";
import { openSlicedDatasets } from "../../src/dataset/sliced-datasets.ts";
import { arrayHasSingletonDim, isArray2D, permuteSingletonDimension, planeToWorld, slicedShape } from "../../src/dataset/slicing.ts";
import type { Vec3 } from "../../src/geometry/types.ts";
import { buildFixture, CROP_SHAPE, CROP_TRANSLATION, ER, inBall, type MemoryFixture, MITO, RAW_SHAPE, rawAt, SCALE } from "./dataset-fixture.ts";
import { check, same } from "./assert.ts";
import type { Cases } from "./cases.ts";

function sameArray(a: ArrayLike<number>, b: ArrayLike<number>, what: string, tolerance = 0): void {
  check(a.length === b.length, `${what}: ${a.length} values, expected ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    const same = Object.is(x, y) || x === y || (Number.isNaN(x) && Number.isNaN(y)) || Math.abs(x - y) <= tolerance;
    if (!same) throw new Error(`${what}: value ${i} is ${x}, expected ${y}`);
  }
}

let fixture: Promise<MemoryFixture> | undefined;
function getFixture(): Promise<MemoryFixture> {
  fixture ??= buildFixture(2);
  return fixture;
}

type Axis = "z" | "y" | "x";
type Names = "raw" | "gt";
const AXES: Axis[] = ["z", "y", "x"];
const CLASSES = ["mito", "er", "nucleus"];
const S: Vec3 = [SCALE, SCALE, SCALE];
/** World axes of an axis's image rows and columns (written out here, not taken from the library). */
const PLANE: Record<Axis, { k: number; rows: number; cols: number }> = {
  z: { k: 0, rows: 1, cols: 2 },
  y: { k: 1, rows: 0, cols: 2 },
  x: { k: 2, rows: 0, cols: 1 },
};

async function baseOptions(raw: [number, number], gt: [number, number]): Promise<CellMapDatasetOptions<"raw", "gt">> {
  const fx = await getFixture();
  return {
    inputPath: fx.rawUrl,
    targetPath: `${fx.cropUrl}/[mito,er]`,
    classes: CLASSES,
    inputArrays: { raw: { shape: raw, scale: S } },
    targetArrays: { gt: { shape: gt, scale: S } },
    workers: 0,
    storeOptions: { fetch: fx.fetch },
    device: "cpu",
  };
}

async function openSliced(axis: Axis, extra: Partial<CellMapDatasetOptions<"raw", "gt">> = {}, raw: [number, number] = [4, 6], gt: [number, number] = [2, 4]): Promise<CellMapDataset<Names>> {
  return CellMapDataset.open<"raw", "gt">({ ...(await baseOptions(raw, gt)), slicingAxis: axis, ...extra });
}

/** The grid index nearest a world point. */
function indexNear(ds: CellMapDataset<Names>, p: readonly number[]): number {
  const g = [0, 1, 2].map((k) => Math.min(ds.grid.dims[k]! - 1, Math.max(0, Math.round((p[k]! - ds.grid.origin[k]!) / ds.grid.step[k]!)))) as Vec3;
  return ds.grid.ravel(g);
}

/** World position of image pixel (r, c) of an [h, w] slice along `axis` about `center`. */
function pixelWorld(axis: Axis, center: readonly number[], h: number, w: number, r: number, c: number): Vec3 {
  const { rows, cols } = PLANE[axis];
  const p = [...center] as Vec3;
  p[rows] = center[rows]! + (r - (h - 1) / 2) * SCALE;
  p[cols] = center[cols]! + (c - (w - 1) / 2) * SCALE;
  return p;
}

/** Closed-form plane: raw at voxel centers, or a class's labels (NaN outside the crop / unannotated). */
function expectedPlane(axis: Axis, center: readonly number[], h: number, w: number, kind: "raw" | "mito" | "er" | "nucleus"): Float32Array {
  const out = new Float32Array(h * w);
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) {
    const p = pixelWorld(axis, center, h, w, r, c);
    if (kind === "raw") {
      const v = p.map((q) => q / SCALE);
      check(v.every(Number.isInteger), `raw position ${v} is not a voxel center`);
      out[r * w + c] = v.every((q, k) => q >= 0 && q < RAW_SHAPE[k]!) ? rawAt(v[0]!, v[1]!, v[2]!) : 0;
    } else {
      const v = p.map((q, k) => (q - CROP_TRANSLATION[k]!) / SCALE);
      const inside = v.every((q, k) => q >= 0 && q < CROP_SHAPE[k]!);
      out[r * w + c] = !inside || kind === "nucleus" ? NaN : inBall(kind === "mito" ? MITO : ER, p) ? 1 : 0;
    }
  }
  return out;
}

/** Plane `mid` across `axis` of a C-order [h, w] image cut from a 3D block of `shape3`, indexed here. */
function planeOf(block: Float32Array, shape3: Vec3, axis: Axis, mid: number): Float32Array {
  const { rows, cols } = PLANE[axis];
  const h = shape3[rows]!;
  const w = shape3[cols]!;
  const out = new Float32Array(h * w);
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) {
    const j = [0, 0, 0];
    j[PLANE[axis].k] = mid;
    j[rows] = r;
    j[cols] = c;
    out[r * w + c] = block[(j[0]! * shape3[1] + j[1]!) * shape3[2] + j[2]!]!;
  }
  return out;
}

function expectArgumentError(field: string): (e: unknown) => void {
  return (e) => {
    check(isCellMapError(e, "argument") && (e as unknown as { field: string }).field === field, `expected ArgumentError on ${field}, got ${String(e)}`);
  };
}

async function rejects(p: () => Promise<unknown>, field: string): Promise<void> {
  let threw = false;
  try {
    const r = await p();
    (r as { destroy?: () => void } | undefined)?.destroy?.();
  } catch (e) {
    threw = true;
    expectArgumentError(field)(e);
  }
  check(threw, `expected ArgumentError on ${field}, nothing was thrown`);
}

function throws(f: () => unknown, field: string): void {
  let threw = false;
  try {
    f();
  } catch (e) {
    threw = true;
    expectArgumentError(field)(e);
  }
  check(threw, `expected ArgumentError on ${field}, nothing was thrown`);
}

/**
 * Items of a dataset sliced along `axis` are [1, h, w] / [C, h, w] planes: they equal the fixture's
 * closed form and the middle plane of a 3D read of the same center; the grid has one center per
 * slice, on the slice.
 */
async function sliceEqualsPlaneOf3DRead(axis: Axis): Promise<void> {
  const [h, w] = [4, 6];
  const [gh, gw] = [2, 4];
  const ds = await openSliced(axis);
  try {
    const { k } = PLANE[axis];
    check(ds.slicingAxis === axis, `slicingAxis ${ds.slicingAxis}`);
    // Sliced axis: one center per crop slice (the crop is the smallest array); the others padded: N + 1.
    const dims = [0, 1, 2].map((a) => (a === k ? CROP_SHAPE[a]! : CROP_SHAPE[a]! + 1));
    check(ds.grid.dims.join() === dims.join(), `grid dims ${ds.grid.dims}, expected ${dims}`);
    check(ds.length === dims[0]! * dims[1]! * dims[2]!, `length ${ds.length}`);
    let mito = 0;
    let background = 0;
    const picks = [0, ds.length - 1, indexNear(ds, MITO.center), indexNear(ds, [MITO.center[0], MITO.center[1] - 20, MITO.center[2] - 20]), indexNear(ds, ER.center)];
    for (const i of picks) {
      const item = await ds.get(i);
      const c = item.center;
      check((c[k]! - CROP_TRANSLATION[k]!) / SCALE === Math.round((c[k]! - CROP_TRANSLATION[k]!) / SCALE), `center ${c} is not on a slice`);
      check(item.raw.shape.join() === `1,${h},${w}`, `raw shape ${item.raw.shape}`);
      check(item.gt.shape.join() === `3,${gh},${gw}`, `gt shape ${item.gt.shape}`);
      sameArray(item.raw.data, expectedPlane(axis, c, h, w, "raw"), `raw of ${axis} slice ${i} (closed form)`);
      // A 3D read of the same center, 3 voxels thick across the slicing axis; its middle plane.
      const raw3: Vec3 = [0, 0, 0];
      raw3[k] = 3;
      raw3[PLANE[axis].rows] = h;
      raw3[PLANE[axis].cols] = w;
      const block = await ds.input.sample([{ center: c }], { shape: raw3, scale: S, interp: "linear", pad: 0 });
      sameArray(item.raw.data, planeOf(block, raw3, axis, 1), `raw of ${axis} slice ${i} (3D read)`);
      const gt3: Vec3 = [0, 0, 0];
      gt3[k] = 3;
      gt3[PLANE[axis].rows] = gh;
      gt3[PLANE[axis].cols] = gw;
      for (const [n, cls] of CLASSES.entries()) {
        const plane = item.gt.data.subarray(n * gh * gw, (n + 1) * gh * gw);
        sameArray(plane, expectedPlane(axis, c, gh, gw, cls as "mito"), `${cls} of ${axis} slice ${i} (closed form)`);
        const arr = ds.classArray(cls);
        if (arr) {
          const labels = await arr.sample([{ center: c }], { shape: gt3, scale: S, interp: "nearest", pad: NaN });
          sameArray(plane, planeOf(labels, gt3, axis, 1), `${cls} of ${axis} slice ${i} (3D read)`);
        }
        if (cls === "mito") for (const v of plane) v === 1 ? mito++ : v === 0 ? background++ : 0;
      }
    }
    check(mito > 0 && background > 0, `the picks hold ${mito} mito and ${background} background voxels; the test proves little`);
  } finally {
    ds.destroy();
  }
}

/**
 * A loader over the three-axis multi-dataset gives exactly iterationsPerEpoch batches of
 * [B, 1, h, w] / [B, C, h, w], batches mix slicing axes, and every sample equals the item of
 * its index. On the GPU, the same batches as on the CPU.
 */
async function loaderOverThreeAxes(device: "cpu" | "gpu" = "cpu"): Promise<void> {
  const gpu = device === "gpu" ? await GpuContext.create() : undefined;
  const base = await baseOptions([4, 6], [2, 4]);
  const train = {
    isTrain: true,
    seed: 9,
    spatialTransforms: { mirror: { axes: { x: 0.5, y: 0.5 } }, rotate: { axes: { z: [-180, 180] as [number, number] } } },
    valueTransforms: { raw: [{ normalize: {} }] },
  };
  const cpu: CellMapMultiDataset<Names> = await openSlicedDatasets<"raw", "gt">({ ...base, ...train });
  const onGpu = gpu ? await openSlicedDatasets<"raw", "gt">({ ...base, ...train, gpu, device: "gpu" }) : undefined;
  try {
    check(cpu.datasets.map((d) => d.slicingAxis).join() === "z,y,x", `axes ${cpu.datasets.map((d) => d.slicingAxis)}`);
    const lengths = AXES.map((_, a) => CROP_SHAPE.reduce((p, s, b) => p * (b === a ? s : s + 1), 1));
    check(cpu.length === lengths[0]! + lengths[1]! + lengths[2]!, `length ${cpu.length}, expected ${lengths}`);
    const opts = { batchSize: 6, iterationsPerEpoch: 3, seed: 11 };
    const batches: Batch<Names>[] = [];
    for await (const b of new CellMapDataLoader(cpu, opts)) batches.push(b);
    check(batches.length === 3, `${batches.length} batches, expected 3`);
    let mixed = 0;
    for (const [k, b] of batches.entries()) {
      check(b.raw.shape.join() === "6,1,4,6" && b.raw.data.length === 6 * 24, `raw shape ${b.raw.shape}`);
      check(b.gt.shape.join() === "6,3,2,4" && b.gt.data.length === 6 * 24, `gt shape ${b.gt.shape}`);
      const axes = new Set(b.idx.map((i) => cpu.locate(i).dataset.slicingAxis));
      if (axes.size > 1) mixed++;
      // Each sample as the dataset reads it alone with the loader's draws (same seed, epoch, position).
      const ids = await new CellMapDataLoader(cpu, opts).indices(k);
      same([...ids].sort((x, y) => x - y), [...b.idx].sort((x, y) => x - y), `batch ${k} holds ${b.idx}, the sampler says ${ids}`);
      for (const [j, idx] of b.idx.entries()) {
        const { dataset, index } = cpu.locate(idx);
        const p = ids.indexOf(idx);
        const plan = dataset.plan(index, rngFor(opts.seed, 0, k * opts.batchSize + p));
        // The slice normal maps to itself: row and column n of A are (0, ±1, 0) with the 1 at n.
        const n = PLANE[dataset.slicingAxis!].k;
        const A = plan.augment;
        const rotatesInPlane = A === undefined ||
          [0, 1, 2].every((r) => (r === n ? Math.abs(Math.abs(A[n * 3 + n]!) - 1) < 1e-12 : Math.abs(A[n * 3 + r]!) < 1e-12 && Math.abs(A[r * 3 + n]!) < 1e-12));
        check(rotatesInPlane, `sample ${idx} (${dataset.slicingAxis}) leaves its slice plane: ${plan.augment}`);
        const raw = b.raw.data.subarray(j * 24, (j + 1) * 24);
        check(raw.some((v) => v !== raw[0]), `raw of sample ${idx} is flat`);
      }
    }
    check(mixed > 0, "no batch mixes slicing axes; the test proves little");
    // Without augmentation, batch samples equal get() of their index exactly.
    const plain = await openSlicedDatasets<"raw", "gt">(base);
    try {
      for await (const b of new CellMapDataLoader(plain, { batchSize: 5, iterationsPerEpoch: 2, seed: 3 })) {
        for (const [j, idx] of b.idx.entries()) {
          const item = await plain.get(idx);
          sameArray(b.raw.data.subarray(j * 24, (j + 1) * 24), item.raw.data, `raw of sample ${idx} in a batch`);
          sameArray(b.gt.data.subarray(j * 24, (j + 1) * 24), item.gt.data, `gt of sample ${idx} in a batch`);
          const ds = plain.locate(idx).dataset;
          sameArray(item.raw.data, expectedPlane(ds.slicingAxis!, item.center, 4, 6, "raw"), `raw of sample ${idx} (closed form)`);
        }
      }
    } finally {
      plain.destroy();
    }
    if (onGpu) {
      let k = 0;
      for await (const b of new CellMapDataLoader(onGpu, { ...opts, output: "gpu" })) {
        check(b.raw.shape.join() === "6,1,4,6" && b.gt.shape.join() === "6,3,2,4", `GPU shapes ${b.raw.shape} ${b.gt.shape}`);
        const raw = new Float32Array(await gpu!.readBuffer(b.raw.buffer, 0, b.raw.byteLength));
        const gt = new Float32Array(await gpu!.readBuffer(b.gt.buffer, 0, b.gt.byteLength));
        same(b.idx, batches[k]!.idx, `GPU batch ${k} holds ${b.idx}`);
        sameArray(raw, batches[k]!.raw.data, `raw of GPU batch ${k}`, 1e-3);
        sameArray(gt, batches[k]!.gt.data, `gt of GPU batch ${k}`);
        b.release();
        k++;
      }
      check(k === 3, `${k} GPU batches`);
    }
  } finally {
    cpu.destroy();
    onGpu?.destroy();
    gpu?.destroy();
  }
}

export const slicingCases = {
  /** isArray2D, arrayHasSingletonDim, slicedShape, permuteSingletonDimension, planeToWorld. */
  "isArray2D, arrayHasSingletonDim, slicedShape, permuteSingletonDimension, planeToWorld"(): Promise<void> {
    check(isArray2D({ shape: [64, 32] }) === true, "[64, 32] is 2D");
    check(isArray2D({ shape: [1, 64, 32] }) === false, "[1, 64, 32] is not 2D");
    check(isArray2D(undefined) === false && isArray2D({}) === false, "nothing is not 2D");
    const mixed = { raw: { shape: [64, 64] }, big: { shape: [8, 64, 64] } };
    same(isArray2D(mixed), { raw: true, big: false }, `per array: ${JSON.stringify(isArray2D(mixed))}`);
    check(isArray2D(mixed, "any") === true && isArray2D(mixed, "all") === false, "summaries any / all");
    check(arrayHasSingletonDim({ shape: [1, 64, 64] }) === true && arrayHasSingletonDim({ shape: [64, 64] }) === false, "singleton of one spec");
    const withOne = { raw: { shape: [4, 1, 64] }, gt: { shape: [8, 8, 8] } };
    check(arrayHasSingletonDim(withOne) === true, "any array has a singleton");
    same(arrayHasSingletonDim(withOne, false), { raw: true, gt: false }, "singleton per array");
    check(arrayHasSingletonDim({ gt: { shape: [8, 8, 8] } }) === false, "no singleton anywhere");
    const cases: Array<[number[], Axis | number, number[]]> = [
      [[4, 6], "z", [1, 4, 6]],
      [[4, 6], "y", [4, 1, 6]],
      [[4, 6], "x", [4, 6, 1]],
      [[4, 6], 1, [4, 1, 6]],
      [[1, 4, 6], "x", [4, 6, 1]],
      [[4, 1, 6], 0, [1, 4, 6]],
      [[4, 6, 1], "y", [4, 1, 6]],
    ];
    for (const [shape, axis, want] of cases) {
      const got = slicedShape(shape, axis);
      check(got.join() === want.join(), `slicedShape(${shape}, ${axis}) = ${got}, expected ${want}`);
    }
    throws(() => slicedShape([4, 4, 4], 0), "shape");
    throws(() => slicedShape([4, 0], 0), "shape");
    throws(() => slicedShape([4, 4], "w" as Axis), "axis");
    const arrays = { raw: { shape: [4, 6] as [number, number], scale: [8, 4, 4] as Vec3 }, gt: { shape: [2, 1, 3] as Vec3, scale: [8, 8, 8] as Vec3 } };
    const sliced = permuteSingletonDimension(arrays, "y");
    same(sliced, { raw: { shape: [4, 1, 6], scale: [8, 4, 4] }, gt: { shape: [2, 1, 3], scale: [8, 8, 8] } }, `permuted: ${JSON.stringify(sliced)}`);
    check(arrays.raw.shape.length === 2, "the argument is left as it was");
    throws(() => permuteSingletonDimension({ big: { shape: [8, 8, 8] } }, "z"), "big.shape");
    // Flipping the image columns is flipping world y on an x slice, world x on z and y slices.
    const flipColumns = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, -1]);
    const diag = (m: Float64Array | undefined) => [m![0], m![4], m![8]].join();
    check(diag(planeToWorld(flipColumns, "z")) === "1,1,-1", "z slice: columns are x");
    check(diag(planeToWorld(flipColumns, "y")) === "1,1,-1", "y slice: columns are x");
    check(diag(planeToWorld(flipColumns, "x")) === "1,-1,1", "x slice: columns are y");
    const flipRows = new Float64Array([1, 0, 0, 0, -1, 0, 0, 0, 1]);
    check(diag(planeToWorld(flipRows, "y")) === "-1,1,1" && diag(planeToWorld(flipRows, "x")) === "-1,1,1", "y and x slices: rows are z");
    check(planeToWorld(undefined, "x") === undefined, "the identity stays undefined");
    return Promise.resolve();
  },

  "a z slice equals the middle plane of a 3D read and the closed form": () => sliceEqualsPlaneOf3DRead("z"),
  "a y slice equals the middle plane of a 3D read and the closed form": () => sliceEqualsPlaneOf3DRead("y"),
  "an x slice equals the middle plane of a 3D read and the closed form": () => sliceEqualsPlaneOf3DRead("x"),

  /**
   * In the slice frame, a mirror on x flips the image columns and a 90-degree rotation about z
   * turns the image in its plane, along every slicing axis.
   */
  async "mirror and rotation stay in the slice plane along every axis"(): Promise<void> {
    const n = 6;
    for (const axis of AXES) {
      const plain = await openSliced(axis, {}, [n, n], [4, 4]);
      const mirrored = await openSliced(axis, { isTrain: true, spatialTransforms: { mirror: { axes: { x: 1 } } } }, [n, n], [4, 4]);
      const turned = await openSliced(axis, { isTrain: true, spatialTransforms: { rotate: { axes: { z: [90, 90] } } } }, [n, n], [4, 4]);
      try {
        for (const i of [indexNear(plain, MITO.center), indexNear(plain, [MITO.center[0] + 12, MITO.center[1] - 22, MITO.center[2] + 20])]) {
          const a = await plain.get(i);
          const m = await mirrored.get(i);
          const t = await turned.get(i);
          for (const [name, size, tol] of [["raw", n, 1e-3], ["gt", 4, 0]] as const) {
            const src = a[name].data;
            const planes = src.length / (size * size);
            const flip = new Float32Array(src.length);
            const turn = new Float32Array(src.length);
            for (let p = 0; p < planes; p++) for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) {
              const o = p * size * size;
              flip[o + r * size + c] = src[o + r * size + (size - 1 - c)]!;
              // +90 about the normal turns +columns toward +rows: out[r][c] = in[c][size - 1 - r].
              turn[o + r * size + c] = src[o + c * size + (size - 1 - r)]!;
            }
            sameArray(m[name].data, flip, `mirrored ${name} of ${axis} slice ${i}`, tol);
            sameArray(t[name].data, turn, `turned ${name} of ${axis} slice ${i}`, tol);
          }
          check(a.raw.data.some((v, j) => v !== a.raw.data[j - (j % n) + n - 1 - (j % n)]), `raw of ${axis} slice ${i} is symmetric; the test proves nothing`);
        }
      } finally {
        plain.destroy();
        mirrored.destroy();
        turned.destroy();
      }
    }
  },

  /**
   * An elastic deformation of a 2D dataset moves reads only within the slice plane: every raw
   * pixel equals the bilinear interpolation, in the plane, of the closed-form raw at its displaced
   * position (the displacement taken from the plan's control grid), and the deformation moved
   * something. A displacement across the slice would read neighbouring slices and fail this.
   */
  async "an elastic deformation stays in the slice plane along every axis"(): Promise<void> {
    const n = 8;
    for (const axis of AXES) {
      const { k, rows, cols } = PLANE[axis];
      const ds = await openSliced(axis, { isTrain: true, seed: 5, spatialTransforms: { deform: { spacing: 12, magnitude: 8 } } }, [n, n], [4, 4]);
      const plain = await openSliced(axis, {}, [n, n], [4, 4]);
      try {
        const i = indexNear(ds, MITO.center);
        const rng = rngFor(5, 0, i);
        const plan = ds.plan(i, rng);
        check(plan.deform !== undefined, `${axis}: no deformation was drawn`);
        const item = await ds.get(i);
        const flat = await plain.get(i);
        check(item.raw.data.some((v, j) => Math.abs(v - flat.raw.data[j]!) > 1), `${axis}: the deformation changed nothing`);
        let checked = 0;
        for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) {
          const p = pixelWorld(axis, plan.center, n, n, r, c);
          const offset = [p[0] - plan.center[0]!, p[1] - plan.center[1]!, p[2] - plan.center[2]!] as Vec3;
          const d = displacementAt(plan.deform!, offset);
          check(d[k] === 0, `${axis} pixel (${r}, ${c}) moves ${d[k]} across the slice`);
          const q = [0, 1, 2].map((a) => (p[a]! + d[a]!) / SCALE);
          if (!q.every((v, a) => v >= 0 && v <= RAW_SHAPE[a]! - 1)) continue;
          check(Number.isInteger(q[k]!), `${axis} pixel (${r}, ${c}) is off its slice: ${q[k]}`);
          const r0 = Math.floor(q[rows]!);
          const c0 = Math.floor(q[cols]!);
          const fr = q[rows]! - r0;
          const fc = q[cols]! - c0;
          const at = (dr: number, dc: number): number => {
            if (dr > 0 && fr === 0) return 0;
            if (dc > 0 && fc === 0) return 0;
            const v = [0, 0, 0];
            v[k] = q[k]!;
            v[rows] = r0 + dr;
            v[cols] = c0 + dc;
            return rawAt(v[0]!, v[1]!, v[2]!);
          };
          const want = (1 - fr) * (1 - fc) * at(0, 0) + (1 - fr) * fc * at(0, 1) + fr * (1 - fc) * at(1, 0) + fr * fc * at(1, 1);
          const got = item.raw.data[r * n + c]!;
          check(Math.abs(got - want) <= 1e-2, `${axis} pixel (${r}, ${c}): ${got}, expected ${want}`);
          checked++;
        }
        check(checked >= n * n / 2, `${axis}: only ${checked} pixels inside the volume`);
      } finally {
        ds.destroy();
        plain.destroy();
      }
    }
  },

  "a loader over z, y and x slices: iterationsPerEpoch batches of [B, 1, h, w] mixing axes": () => loaderOverThreeAxes("cpu"),
  "a loader over z, y and x slices on the GPU matches the CPU": () => loaderOverThreeAxes("gpu"),

  /**
   * Value transforms see each slice as [1, h, w]: a blur with sigma [0, 1.5, 0] blurs the image
   * rows (world z on y and x slices) exactly as a 1D scipy-style Gaussian (reflect, truncate 4)
   * written here; the GPU matches the CPU.
   */
  async "a blur with sigma [0, s, 0] blurs the image rows of y and x slices"(): Promise<void> {
    const gpu = await GpuContext.create();
    const [h, w] = [6, 4];
    const sigma = 1.5;
    const radius = Math.floor(4 * sigma + 0.5);
    const weights = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
    const total = weights.reduce((a, b) => a + b, 0);
    const reflect = (i: number, n: number) => {
      const m = ((i % (2 * n)) + 2 * n) % (2 * n);
      return m < n ? m : 2 * n - 1 - m;
    };
    for (const axis of ["y", "x"] as Axis[]) {
      const blur = { valueTransforms: { raw: [{ gaussianBlur: { sigma: [0, sigma, 0] as [number, number, number] } }] } };
      const plain = await openSliced(axis, {}, [h, w]);
      const blurred = await openSliced(axis, blur, [h, w]);
      const onGpu = await openSliced(axis, { ...blur, gpu, device: "gpu" }, [h, w]);
      try {
        for (const i of [indexNear(plain, MITO.center), 5]) {
          const a = (await plain.get(i)).raw.data;
          const want = new Float32Array(h * w);
          for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) {
            let v = 0;
            for (let k = -radius; k <= radius; k++) v += weights[k + radius]! * a[reflect(r + k, h) * w + c]!;
            want[r * w + c] = v / total;
          }
          check(want.some((v, k) => Math.abs(v - a[k]!) > 1), `the blur changes little in ${axis} slice ${i}; the test proves little`);
          const b = (await blurred.get(i)).raw.data;
          sameArray(b, want, `blurred raw of ${axis} slice ${i}`, 1e-3);
          sameArray((await onGpu.get(i)).raw.data, b, `GPU blurred raw of ${axis} slice ${i}`, 1e-3);
        }
      } finally {
        plain.destroy();
        blurred.destroy();
        onGpu.destroy();
      }
    }
    gpu.destroy();
  },

  /** Bad 2D options give ArgumentErrors naming the field. */
  async "bad 2D options give ArgumentErrors naming the field"(): Promise<void> {
    const base = await baseOptions([4, 6], [2, 4]);
    const open = (o: Partial<CellMapDatasetOptions<"raw", "gt">>) => () => CellMapDataset.open<"raw", "gt">({ ...base, ...o });
    await rejects(open({}), "slicingAxis");
    await rejects(open({ slicingAxis: "w" as Axis }), "slicingAxis");
    await rejects(open({ slicingAxis: "z", inputArrays: { raw: { shape: [2, 4, 6], scale: S } }, targetArrays: { gt: { shape: [2, 2, 4], scale: S } } }), "slicingAxis");
    await rejects(open({ slicingAxis: "z", targetArrays: { gt: { shape: [2, 2, 4], scale: S } } }), "targetArrays.gt.shape");
    await rejects(open({ slicingAxis: "z", inputArrays: { raw: { shape: [4, 6], scale: [4, 4] as unknown as Vec3 } } }), "inputArrays.raw.scale");
    await rejects(open({ slicingAxis: "z", inputArrays: { raw: { shape: [4] as unknown as Vec3, scale: S } } }), "inputArrays.raw.shape");
    await rejects(open({ slicingAxis: "y", spatialTransforms: { rotate: { axes: { x: [-10, 10] } } } }), "spatialTransforms.rotate.axes.x");
    await rejects(open({ slicingAxis: "y", spatialTransforms: { mirror: { axes: { z: 0.5 } } } }), "spatialTransforms.mirror.axes.z");
    await rejects(open({ slicingAxis: "x", spatialTransforms: { transpose: { axes: ["z", "x"] } } }), "spatialTransforms.transpose.axes");
    await rejects(() => openSlicedDatasets({ ...base, inputArrays: { raw: { shape: [2, 4, 6], scale: S } } }), "inputArrays.raw.shape");
    await rejects(() => openSlicedDatasets({ ...base, slicingAxis: "z" } as never), "slicingAxis");
    await rejects(() => openSlicedDatasets({ ...base, slicingAxes: ["z", "q" as Axis] }), "slicingAxes[1]");
    await rejects(() => openSlicedDatasets({ ...base, slicingAxes: ["z", "z"] }), "slicingAxes");
    await rejects(() => openSlicedDatasets({ ...base, spatialTransforms: { rotate: { axes: { y: [-10, 10] } } } }), "spatialTransforms.rotate.axes.y");
    // slicingAxes picks the axes, in order.
    const two = await openSlicedDatasets({ ...base, slicingAxes: ["x", "y"] });
    try {
      check(two.datasets.map((d) => d.slicingAxis).join() === "x,y", `axes ${two.datasets.map((d) => d.slicingAxis)}`);
    } finally {
      two.destroy();
    }
  },
} satisfies Cases;
