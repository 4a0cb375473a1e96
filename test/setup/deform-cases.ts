// Elastic deformation (`spatialTransforms.deform`) test bodies shared by the Node (vitest),
// Chromium (vitest browser mode) and Deno suites. Plain async functions that throw on failure.
// The fixture is the in-memory dataset of test/setup/dataset-fixture.ts (read through `fetch`,
// `workers: 0`); expected values come from its closed-form geometry and from a B-spline written
// here, independently of src/augment/deform.ts and the shader. scipy checks the values in Node
// (test/deform.test.ts).

import { parseSpatialTransforms } from "../../src/augment/spatial.ts";
import { rngFor } from "../../src/augment/rng.ts";
import { displacementAt, type DeformField } from "../../src/augment/deform.ts";
import { readBatch } from "../../src/dataset/batch.ts";
import { CellMapDataset, type CellMapDatasetOptions } from "../../src/dataset/dataset.ts";
import type { ArrayData } from "../../src/dataset/types.ts";
import { isCellMapError } from "../../src/errors.ts";
import type { Vec3 } from "../../src/geometry/types.ts";
import { GpuContext } from "../../src/gpu/context.ts";
import { ballDistance, buildFixture, CROP_SHAPE, CROP_TRANSLATION, type MemoryFixture, MITO, SCALE } from "./dataset-fixture.ts";
import { check, same, sameValues } from "./assert.ts";
import type { Cases } from "./cases.ts";

let fixture: Promise<MemoryFixture> | undefined;
function getFixture(): Promise<MemoryFixture> {
  fixture ??= buildFixture(2);
  return fixture;
}

type Names = "raw" | "gt";
const RAW: Vec3 = [7, 12, 12];
const GT: Vec3 = [5, 8, 8];
const DEFORM = { spacing: 16, magnitude: 20 };

async function open(extra: Partial<CellMapDatasetOptions<"raw", "gt">> = {}): Promise<CellMapDataset<Names>> {
  const fx = await getFixture();
  return CellMapDataset.open<"raw", "gt">({
    inputPath: fx.rawUrl,
    targetPath: `${fx.cropUrl}/[mito,er]`,
    classes: ["mito", "er"],
    inputArrays: { raw: { shape: RAW, scale: [SCALE, SCALE, SCALE] } },
    targetArrays: { gt: { shape: GT, scale: [SCALE, SCALE, SCALE] } },
    workers: 0,
    storeOptions: { fetch: (await getFixture()).fetch },
    device: "cpu",
    ...extra,
  });
}

/** The index of the grid center nearest a world point. */
function indexNear(ds: CellMapDataset<Names>, p: Vec3): number {
  const g = [0, 1, 2].map((k) => Math.min(ds.grid.dims[k]! - 1, Math.max(0, Math.round((p[k]! - ds.grid.origin[k]!) / ds.grid.step[k]!)))) as Vec3;
  return ds.grid.ravel(g);
}

/** Centers on the mito surface, so both sides of its edge are in every sample. */
const EDGE_CENTERS: Vec3[] = [[40, 70, 66], [40, 70, 40], [40, 44, 66], [40, 88, 84]];

/** The cubic B-spline basis, written out piecewise (|x| < 1, 1 <= |x| < 2, else 0). */
function basis(x: number): number {
  const a = Math.abs(x);
  if (a < 1) return 2 / 3 - a * a + (a * a * a) / 2;
  if (a < 2) return (2 - a) ** 3 / 6;
  return 0;
}

/** The field's displacement at an output-frame offset: sum over every control point of basis products. */
function displacement(field: DeformField, offset: Vec3): Vec3 {
  const u = [0, 1, 2].map((k) => offset[k]! / field.spacing[k]! + (field.dims[k]! - 1) / 2);
  const [gz, gy, gx] = field.dims;
  const d: Vec3 = [0, 0, 0];
  for (let z = 0; z < gz; z++) {
    const wz = basis(u[0]! - z);
    if (wz === 0) continue;
    for (let y = 0; y < gy; y++) {
      const wy = basis(u[1]! - y);
      if (wy === 0) continue;
      for (let x = 0; x < gx; x++) {
        const w = wz * wy * basis(u[2]! - x);
        const p = 3 * ((z * gy + y) * gx + x);
        for (let k = 0; k < 3; k++) d[k] = d[k]! + w * field.values[p + k]!;
      }
    }
  }
  return d;
}

/** World position of output voxel j: c + A·(o + d(o)), o = (j - (n-1)/2) * s. */
function worldOf(center: Vec3, A: ArrayLike<number> | undefined, field: DeformField | undefined, j: Vec3, shape: Vec3): Vec3 {
  const o = j.map((q, k) => (q - (shape[k]! - 1) / 2) * SCALE) as Vec3;
  const d = field ? displacement(field, o) : [0, 0, 0];
  const e = o.map((q, k) => q + d[k]!);
  const m = A ?? [1, 0, 0, 0, 1, 0, 0, 0, 1];
  return [0, 1, 2].map((r) => center[r]! + m[r * 3]! * e[0]! + m[r * 3 + 1]! * e[1]! + m[r * 3 + 2]! * e[2]!) as Vec3;
}

function expectArgumentError(work: () => unknown, field: string): void {
  let error: unknown;
  try {
    work();
  } catch (e) {
    error = e;
  }
  check(error !== undefined, `${field}: no error`);
  check(isCellMapError(error, "argument") && (error as unknown as { field: string }).field === field, `expected ArgumentError naming ${field}, got ${String(error)}`);
}

async function expectArgumentErrorAsync(work: () => Promise<unknown>, field: string): Promise<void> {
  let error: unknown;
  try {
    await work();
  } catch (e) {
    error = e;
  }
  check(error !== undefined, `${field}: no error`);
  check(isCellMapError(error, "argument") && (error as unknown as { field: string }).field === field, `expected ArgumentError naming ${field}, got ${String(error)}`);
}

/** Magnitude 0 reads exactly the undeformed sample (the field path runs, displacing by 0). */
async function magnitudeZeroIsUndeformed(device: "cpu" | "gpu"): Promise<void> {
  const gpu = device === "gpu" ? await GpuContext.create() : undefined;
  const on = gpu ? { gpu, device: "gpu" as const } : {};
  const rotate = { axes: { z: [-180, 180] as [number, number] } };
  const plain = await open({ isTrain: true, seed: 9, spatialTransforms: { rotate }, ...on });
  const zero = await open({ isTrain: true, seed: 9, spatialTransforms: { rotate, deform: { spacing: 16, magnitude: 0 } }, ...on });
  try {
    for (const c of EDGE_CENTERS) {
      const i = indexNear(plain, c);
      const f = zero.plan(i, rngFor(9, 0, i)).deform;
      check(f !== undefined && f.values.every((v) => v === 0), "magnitude 0 gives a field of zeros");
      const [a, b] = [await plain.get(i), await zero.get(i)];
      sameValues(b.raw.data, a.raw.data, `raw of sample ${i} (${device})`);
      sameValues(b.gt.data, a.gt.data, `gt of sample ${i} (${device})`);
    }
  } finally {
    plain.destroy();
    zero.destroy();
    gpu?.destroy();
  }
}

export const deformCases = {
  /** Bad `deform` configs raise ArgumentError naming the field. */
  async "bad deform configs raise ArgumentError naming the field"(): Promise<void> {
    const parse = (deform: unknown) => () => parseSpatialTransforms({ deform });
    expectArgumentError(parse(5), "spatialTransforms.deform");
    expectArgumentError(parse({ magnitude: 10 }), "spatialTransforms.deform.spacing");
    expectArgumentError(parse({ spacing: 0, magnitude: 10 }), "spatialTransforms.deform.spacing");
    expectArgumentError(parse({ spacing: [10, 10], magnitude: 10 }), "spatialTransforms.deform.spacing");
    expectArgumentError(parse({ spacing: 10, magnitude: -1 }), "spatialTransforms.deform.magnitude");
    expectArgumentError(parse({ spacing: 10, magnitude: [1, NaN, 1] }), "spatialTransforms.deform.magnitude");
    expectArgumentError(parse({ spacing: 10, magnitude: 1, p: 1.5 }), "spatialTransforms.deform.p");
    expectArgumentError(parse({ spacing: 10, magnitude: 1, sigma: 3 }), "spatialTransforms.deform.sigma");
    const ok = parseSpatialTransforms({ rotate: { axes: { z: [-10, 10] } }, deform: { spacing: [40, 20, 20], magnitude: 5 } });
    check(ok.steps.length === 1 && ok.deform !== undefined, "rotate + deform parses to one matrix step and a deform");
    same(ok.deform, { spacing: [40, 20, 20], magnitude: [5, 5, 5], p: 1 }, `parsed ${JSON.stringify(ok.deform)}`);
    // A spacing so fine that the control grid would be huge is refused at open.
    await expectArgumentErrorAsync(() => open({ isTrain: true, spatialTransforms: { deform: { spacing: 0.05, magnitude: 1 } } }), "spatialTransforms.deform.spacing");
    // A hand-made field of the wrong size is refused by the array.
    const ds = await open();
    try {
      const bad: DeformField = { dims: [2, 2, 2], spacing: [8, 8, 8], values: new Float64Array(5) };
      await expectArgumentErrorAsync(() => ds.input.sample([{ center: [40, 70, 66], deform: bad }], { shape: [2, 2, 2], scale: [4, 4, 4] }), "specs[0].deform.values");
    } finally {
      ds.destroy();
    }
  },

  /** The field is a pure function of (seed, epoch, index); other keys differ; p decides only whether. */
  async "the same key gives the same field; another index, epoch or seed differs; p decides only whether"(): Promise<void> {
    const ds = await open({ isTrain: true, seed: 5, spatialTransforms: { deform: DEFORM } });
    const half = await open({ isTrain: true, seed: 5, spatialTransforms: { deform: { ...DEFORM, p: 0.5 } } });
    const evaluation = await open({ seed: 5, spatialTransforms: { deform: DEFORM } });
    try {
      // Grid by hand: half extents (voxel centers) raw [12, 22, 22] nm, gt [8, 14, 14] nm;
      // dims = floor(2 * 12 / 16) + 4 = 5 on z, floor(2 * 22 / 16) + 4 = 6 on y and x.
      same(ds.deformGrid?.dims, [5, 6, 6], `grid dims ${JSON.stringify(ds.deformGrid?.dims)}`);
      const a = ds.plan(7, rngFor(5, 0, 7)).deform;
      const b = ds.plan(7, rngFor(5, 0, 7)).deform;
      check(a !== undefined && b !== undefined, "p = 1 always deforms");
      check(a.values.length === 3 * 5 * 6 * 6, `${a.values.length} control values`);
      sameValues(a.values, b.values, "the same key twice");
      let largest = 0;
      for (const v of a.values) {
        check(Math.abs(v) <= 20, `control value ${v} beyond the magnitude`);
        largest = Math.max(largest, Math.abs(v));
      }
      check(largest > 15, `largest control value ${largest}: not spread over [-20, 20]`);
      // The library's evaluation agrees with the piecewise basis written here.
      for (const o of [[0, 0, 0], [12, -22, 22], [-7.5, 3.25, -19]] as Vec3[]) {
        const [got, want] = [displacementAt(a, o), displacement(a, o)];
        check(got.every((x, k) => Math.abs(x - want[k]!) < 1e-9), `displacementAt(${o}) = ${got}, expected ${want}`);
      }
      const differs = (f: DeformField | undefined, what: string) => {
        check(f !== undefined && f.values.some((v, k) => v !== a.values[k]), `${what} gives the same field`);
      };
      differs(ds.plan(8, rngFor(5, 0, 8)).deform, "another index");
      differs(ds.plan(7, rngFor(5, 1, 7)).deform, "another epoch");
      differs(ds.plan(7, rngFor(6, 0, 7)).deform, "another seed");
      // get() is repeatable, and deformed differs from the plain sample.
      const i = indexNear(ds, EDGE_CENTERS[0]!);
      const [g1, g2, plain] = [await ds.get(i), await ds.get(i), await evaluation.get(i)];
      sameValues(g1.raw.data, g2.raw.data, "raw of get(i) twice");
      sameValues(g1.gt.data, g2.gt.data, "gt of get(i) twice");
      check(g1.raw.data.some((v, k) => Math.abs(v - plain.raw.data[k]!) > 1), "the deformed raw equals the plain one");
      // Without isTrain nothing is deformed.
      check(evaluation.plan(7, rngFor(5, 0, 7)).deform === undefined, "isTrain false deformed a sample");
      // p = 0.5: about half the samples; a deformed one has exactly the p = 1 field of its key.
      let deformed = 0;
      for (let k = 0; k < 200; k++) {
        const f = half.plan(k, rngFor(5, 0, k)).deform;
        if (f === undefined) continue;
        deformed++;
        sameValues(f.values, ds.plan(k, rngFor(5, 0, k)).deform!.values, `field of sample ${k} under p = 0.5`);
      }
      check(deformed >= 70 && deformed <= 130, `${deformed} of 200 samples deformed with p = 0.5`);
    } finally {
      ds.destroy();
      half.destroy();
      evaluation.destroy();
    }
  },

  "magnitude 0 equals the undeformed sample (CPU)": () => magnitudeZeroIsUndeformed("cpu"),
  "magnitude 0 equals the undeformed sample (GPU)": () => magnitudeZeroIsUndeformed("gpu"),

  /**
   * Inputs and targets stay aligned: at every voxel clear of the mito surface, raw and labels
   * say inside or outside as the DEFORMED world position does (c + A·(o + d(o))), including
   * voxels that the deformation carried across the surface.
   */
  async "inputs and targets stay aligned under deformation"(): Promise<void> {
    const ds = await open({ isTrain: true, seed: 3, spatialTransforms: { rotate: { axes: { z: [-180, 180] } }, deform: DEFORM } });
    try {
      let inside = 0;
      let outside = 0;
      let moved = 0;
      for (const c of EDGE_CENTERS) {
        const i = indexNear(ds, c);
        const item = await ds.get(i);
        const plan = ds.plan(i, rngFor(3, 0, i));
        check(plan.augment !== undefined && plan.deform !== undefined, "the draw should rotate and deform");
        let n = 0;
        for (let z = 0; z < RAW[0]; z++) for (let y = 0; y < RAW[1]; y++) for (let x = 0; x < RAW[2]; x++, n++) {
          const dist = ballDistance(MITO, worldOf(plan.center, plan.augment, plan.deform, [z, y, x], RAW));
          if (Math.abs(dist) <= 7) continue;
          const v = item.raw.data[n]!;
          check(dist < 0 ? v >= 100 : v < 100, `raw voxel ${[z, y, x]} of sample ${i}: ${v} but mito distance ${dist.toFixed(2)}`);
          const before = ballDistance(MITO, worldOf(plan.center, plan.augment, undefined, [z, y, x], RAW));
          if (Math.sign(before) !== Math.sign(dist)) moved++;
        }
        n = 0;
        for (let z = 0; z < GT[0]; z++) for (let y = 0; y < GT[1]; y++) for (let x = 0; x < GT[2]; x++, n++) {
          const p = worldOf(plan.center, plan.augment, plan.deform, [z, y, x], GT);
          const v = p.map((q, k) => (q - CROP_TRANSLATION[k]!) / SCALE);
          const margin = 0.6;
          const deep = v.every((q, k) => q > -0.5 + margin && q < CROP_SHAPE[k]! - 0.5 - margin);
          const dist = ballDistance(MITO, p);
          if (!deep || Math.abs(dist) <= 4) continue;
          const label = item.gt.data[n]!; // class 0 = mito
          check(label === (dist < 0 ? 1 : 0), `mito label ${[z, y, x]} of sample ${i}: ${label} but mito distance ${dist.toFixed(2)}`);
          const before = ballDistance(MITO, worldOf(plan.center, plan.augment, undefined, [z, y, x], GT));
          if (Math.sign(before) !== Math.sign(dist)) moved++;
          if (dist < 0) inside++;
          else outside++;
        }
      }
      check(inside > 50 && outside > 50, `too few label voxels checked (${inside} inside, ${outside} outside)`);
      check(moved >= 10, `only ${moved} checked voxels were carried across the surface by the deformation`);
    } finally {
      ds.destroy();
    }
  },

  /** A deformed GPU dataset equals the CPU twin: single samples, and a batch mixing deformed and plain samples. */
  async "a deformed GPU batch equals the CPU twin"(): Promise<void> {
    const gpu = await GpuContext.create();
    const spatialTransforms = { rotate: { axes: { z: [-180, 180] as [number, number] } }, deform: { ...DEFORM, p: 0.5 } };
    const cpu = await open({ isTrain: true, seed: 11, spatialTransforms });
    const onGpu = await open({ isTrain: true, seed: 11, spatialTransforms, gpu, device: "gpu" });
    try {
      // Pick samples near the mito edge: two the p draw deforms and two it leaves alone.
      const picked: Array<{ index: number; key: number }> = [];
      let [withField, without] = [0, 0];
      for (let key = 0; picked.length < 4 && key < 100; key++) {
        const index = indexNear(cpu, EDGE_CENTERS[key % EDGE_CENTERS.length]!);
        const has = cpu.plan(index, rngFor(11, 0, key)).deform !== undefined;
        if (has && withField < 2) (withField++, picked.push({ index, key }));
        if (!has && without < 2) (without++, picked.push({ index, key }));
      }
      check(withField === 2 && without === 2, "could not find deformed and plain samples");
      const items = (ds: CellMapDataset<Names>) => picked.map((p) => ({ dataset: ds, index: p.index, rng: rngFor(11, 0, p.key) }));
      const a = await readBatch(items(cpu), { output: "cpu", seed: 1 });
      const b = await readBatch(items(onGpu), { output: "cpu", seed: 1 });
      const [rawA, rawB] = [(a.arrays["raw"] as ArrayData).data, (b.arrays["raw"] as ArrayData).data];
      let err = 0;
      for (let k = 0; k < rawA.length; k++) err = Math.max(err, Math.abs(rawA[k]! - rawB[k]!));
      check(err <= 0.05, `raw differs between GPU and CPU by up to ${err}`);
      const [gtA, gtB] = [(a.arrays["gt"] as ArrayData).data, (b.arrays["gt"] as ArrayData).data];
      let differ = 0;
      let known = 0;
      for (let k = 0; k < gtA.length; k++) {
        if (!Number.isNaN(gtA[k]!)) known++;
        if (!Object.is(gtA[k], gtB[k])) differ++;
      }
      check(known > 200, `only ${known} label voxels inside the crop`);
      // Nearest labels may differ only where a read lands on a voxel boundary (float32 vs float64).
      check(differ <= gtA.length / 1000, `${differ} of ${gtA.length} label voxels differ between GPU and CPU`);
      // The batch is not trivially equal: deformed samples differ from their plain reading.
      const plain = await open({ isTrain: true, seed: 11, spatialTransforms: { rotate: spatialTransforms.rotate } });
      try {
        const c = await readBatch(items(plain), { output: "cpu", seed: 1 });
        const rawC = (c.arrays["raw"] as ArrayData).data;
        const V = RAW[0] * RAW[1] * RAW[2];
        picked.forEach((p, s) => {
          const has = cpu.plan(p.index, rngFor(11, 0, p.key)).deform !== undefined;
          const changed = rawA.subarray(s * V, (s + 1) * V).some((v, k) => Math.abs(v - rawC[s * V + k]!) > 1);
          check(changed === has, `sample ${s}: deformed ${has} but changed ${changed}`);
        });
      } finally {
        plain.destroy();
      }
    } finally {
      cpu.destroy();
      onGpu.destroy();
      gpu.destroy();
    }
  },
} satisfies Cases;
