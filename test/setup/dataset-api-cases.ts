// Dataset API bodies, run in Node, Deno and Chromium from the case registry (test/setup/cases.ts): hasData /
// forceHasData / length, the purity of `plan`, and the multi-dataset's concatenation, location
// and aggregated counts. The in-memory fixture (test/setup/dataset-fixture.ts) is read through its
// counting `fetch` with `workers: 0` on the CPU; expected values come from its closed form.

import { rngFor } from "../../src/augment/rng.ts";
import { CellMapDataset, type CellMapDatasetOptions, type SamplePlan } from "../../src/dataset/dataset.ts";
import { CellMapMultiDataset } from "../../src/dataset/multidataset.ts";
import { caught, check, close, equal, isTagged, same, sameValues } from "./assert.ts";
import { buildFixture, fixtureDatasetOptions, CROP_SHAPE, type MemoryFixture, RAW_SHAPE, rawAt, SCALE } from "./dataset-fixture.ts";
import type { Cases } from "./cases.ts";

let fixture: Promise<MemoryFixture> | undefined;
const getFixture = (): Promise<MemoryFixture> => (fixture ??= buildFixture(2));

async function open(extra: Partial<CellMapDatasetOptions<"raw", "gt">> = {}): Promise<CellMapDataset<"raw" | "gt">> {
  const fx = await getFixture();
  return CellMapDataset.open<"raw", "gt">({ ...fixtureDatasetOptions(fx, [2, 4, 4], [2, 2, 2]), ...extra });
}

/** A plan as plain JSON (the matrix is a Float64Array). */
const planJson = (p: SamplePlan): string => JSON.stringify({ ...p, augment: p.augment ? Array.from(p.augment) : null });

/** Chunk requests served so far (metadata excluded). */
const chunkRequests = (fx: MemoryFixture): number =>
  [...fx.requests].filter(([k]) => /\/s0\/\d+[./]\d+[./]\d+$/.test(k)).reduce((n, [, c]) => n + c, 0);

export const datasetApiCases = {
  /**
   * hasData is true when the crop annotates one of `classes`, and then length > 0. A crop
   * annotating none of them has no data and length 0 (get refuses every index), unless
   * `forceHasData`, which keeps the raw array's whole grid: 21 x 37 x 37 centers (the raw volume
   * is 80 x 144 x 144 nm, padded, stepped by 4 nm) with raw voxels and an all-NaN class.
   */
  async "hasData follows the annotated classes; forceHasData keeps the raw grid; length > 0 only with data"(): Promise<void> {
    const annotated = await open();
    const none = await open({ classes: ["nucleus"] });
    const forced = await open({ classes: ["nucleus"], forceHasData: true });
    try {
      check(annotated.hasData, "a crop annotating mito and er has no data");
      check(annotated.length === 13 * 25 * 25, `annotated length ${annotated.length}, expected 13 * 25 * 25`);
      same(annotated.annotatedClasses, ["mito", "er"], "annotated classes");

      check(!none.hasData, "a crop annotating none of [nucleus] has data");
      same(none.annotatedClasses, [], "annotated classes of [nucleus]");
      check(none.length === 0, `length ${none.length} without data, expected 0`);
      isTagged(await caught(() => none.get(0), "get(0) without data"), "argument", "index", "get(0) without data");

      check(!forced.hasData && forced.forceHasData, "forceHasData changes hasData");
      const dims = RAW_SHAPE.map((n) => (n * SCALE) / SCALE + 1);
      same(forced.grid.dims, dims, "forced grid dims");
      check(forced.length === dims[0]! * dims[1]! * dims[2]!, `forced length ${forced.length}, expected ${dims.join(" x ")}`);
      const i = forced.grid.ravel([10, 18, 18]);
      const item = await forced.get(i);
      same(Array.from(item.center), [38, 70, 70], "center of the middle sample");
      // Even shapes about a center half a voxel off the lattice land on voxel centers.
      const want: number[] = [];
      for (const z of [9, 10]) for (const y of [16, 17, 18, 19]) for (const x of [16, 17, 18, 19]) want.push(rawAt(z, y, x));
      sameValues(item.raw.data, want, "raw voxels of the forced dataset");
      check(item.gt.shape.join() === "1,2,2,2" && item.gt.data.every((v) => Number.isNaN(v)), `unannotated nucleus: shape ${item.gt.shape}, values ${Array.from(item.gt.data)}`);
    } finally {
      annotated.destroy();
      none.destroy();
      forced.destroy();
    }
  },

  /**
   * plan(i, rng) is a pure function of its key: the same (seed, epoch, i) gives the same center,
   * matrix and value ops, and planning reads no data; another index moves the center, another
   * epoch redraws the matrix and ops. get(i) reads exactly what plan(i) says.
   */
  async "plan(i, rng) gives the same center, matrix and ops for the same key without reading data; another key differs"(): Promise<void> {
    const fx = await getFixture();
    const ds = await open({
      isTrain: true,
      seed: 17,
      spatialTransforms: { mirror: { axes: { x: 0.5 } }, rotate: { axes: { z: [-180, 180] } } },
      valueTransforms: { raw: [{ normalize: {} }, { randomGamma: { range: [0.5, 1.5] } }, { gaussianNoise: { std: 0.1, p: 0.5 } }] },
      targetValueTransforms: { mito: [{ binarize: { threshold: 0.5 } }] },
    });
    try {
      const before = chunkRequests(fx);
      const i = 4321;
      const a = ds.plan(i, rngFor(ds.seed, 0, i));
      const b = ds.plan(i, rngFor(ds.seed, 0, i));
      check(chunkRequests(fx) === before, "planning fetched chunks");
      same(planJson(b), planJson(a), "two plans of the same key");
      same(Array.from(a.center), Array.from(ds.center(i)), "the plan's center is the grid center");
      check(a.augment !== undefined, "isTrain with a rotation gives no matrix");
      const det = a.augment[0]! * (a.augment[4]! * a.augment[8]! - a.augment[5]! * a.augment[7]!)
        - a.augment[1]! * (a.augment[3]! * a.augment[8]! - a.augment[5]! * a.augment[6]!)
        + a.augment[2]! * (a.augment[3]! * a.augment[7]! - a.augment[4]! * a.augment[6]!);
      close(Math.abs(det), 1, 1e-12, "|det A|");
      const rawKinds = a.inputOps["raw"]!.map((op) => op.kind);
      check(rawKinds[0] === "normalize" && rawKinds[1] === "gamma", `raw ops ${rawKinds}`);
      same(a.targetOps["mito"], [{ kind: "binarize", threshold: 0.5 }], "mito ops");
      same(a.targetOps["nucleus"], [], "nucleus ops");

      const other = ds.plan(i + 1, rngFor(ds.seed, 0, i + 1));
      check(!equal(Array.from(other.center), Array.from(a.center)), "another index has the same center");
      const epochs = [1, 2, 3].map((e) => ds.plan(i, rngFor(ds.seed, e, i)));
      check(epochs.every((p) => equal(Array.from(p.center), Array.from(a.center))), "another epoch moves the center");
      check(epochs.some((p) => !equal(Array.from(p.augment ?? []), Array.from(a.augment!))), "three other epochs draw the same matrix");
      check(epochs.some((p) => !equal(p.inputOps, a.inputOps)), "three other epochs draw the same value ops");

      const item = await ds.get(i);
      same(Array.from(item.center), Array.from(a.center), "get(i).center");
      const again = await ds.get(i);
      sameValues(again.raw.data, item.raw.data, "get(i) twice");
      const later = await ds.get(i, { epoch: 1 });
      check(later.raw.data.some((v, k) => v !== item.raw.data[k]), "epoch 1 reads the same values as epoch 0");
    } finally {
      ds.destroy();
    }
  },

  /**
   * A multi-dataset concatenates its datasets (a padded one and an unpadded one over the same
   * crop), locates an index in its dataset, reads it from there, and aggregates counts, weights,
   * dataset weights and validation tiles.
   */
  async "a multi-dataset concatenates, locates and aggregates counts"(): Promise<void> {
    const fx = await getFixture();
    const a = await open();
    const b = await open({ pad: false });
    try {
      check(b.length > 0 && b.length < a.length, `unpadded length ${b.length} vs padded ${a.length}`);
      const multi = new CellMapMultiDataset([a, b]);
      check(multi.length === a.length + b.length, `length ${multi.length}`);
      const la = multi.locate(a.length);
      check(la.dataset === b && la.index === 0, `locate(${a.length}) = dataset ${la.dataset === a ? "a" : "b"}, index ${la.index}`);
      const lb = multi.locate(a.length - 1);
      check(lb.dataset === a && lb.index === a.length - 1, `locate(${a.length - 1}) = index ${lb.index}`);
      const item = await multi.get(a.length + 5);
      check(item.idx === a.length + 5, `item.idx ${item.idx}`);
      same(Array.from(item.center), Array.from(b.center(5)), "center of item a.length + 5");
      sameValues(item.raw.data, (await b.get(5)).raw.data, "raw of item a.length + 5");
      isTagged(await caught(() => multi.get(multi.length), "get(length)"), "argument", "index", "get(length)");

      // Counts from the fixture: s0 voxels minus absent ones, times the 4^3 nm^3 voxel volume.
      const total = CROP_SHAPE[0] * CROP_SHAPE[1] * CROP_SHAPE[2];
      const v = SCALE ** 3;
      const counts = await multi.classCounts;
      check(counts["mito"]!.foreground === 2 * (total - fx.absent.mito) * v, `mito foreground ${counts["mito"]!.foreground}`);
      check(counts["er"]!.background === 2 * fx.absent.er * v, `er background ${counts["er"]!.background}`);
      check(counts["nucleus"]!.foreground === 0, "nucleus foreground");
      const w = await multi.classWeights;
      close(w["mito"]!, fx.absent.mito / (total - fx.absent.mito), 1e-12, "mito weight");
      close(w["er"]!, fx.absent.er / (total - fx.absent.er), 1e-12, "er weight");
      check(w["nucleus"] === 1, `nucleus weight ${w["nucleus"]}`);
      // Per-sample weight: sum_c foreground_c * weight_c = the background volume of mito and er.
      const dw = await multi.datasetWeights;
      close(dw[0]! * a.length, (fx.absent.mito + fx.absent.er) * v, 1e-6, "weight of a times its length");
      close(dw[1]! * b.length, (fx.absent.mito + fx.absent.er) * v, 1e-6, "weight of b times its length");

      const tiles = multi.validationIndices;
      const [ta, tb] = [a.validationIndices, b.validationIndices];
      check(tiles.length === ta.length + tb.length, `${tiles.length} tiles, expected ${ta.length} + ${tb.length}`);
      check(tiles.at(0) === ta.at(0), "first tile");
      check(tiles.at(ta.length) === a.length + tb.at(0), `tile ${ta.length} = ${tiles.at(ta.length)}, expected ${a.length + tb.at(0)}`);
      check(tiles.at(tiles.length - 1) === a.length + tb.at(tb.length - 1), "last tile");

      // Nested multi-datasets flatten; mismatched classes are refused.
      check(new CellMapMultiDataset([multi, a]).datasets.length === 3, "a nested multi-dataset is not flattened");
      const other = await open({ classes: ["mito"] });
      try {
        isTagged(await caught(() => new CellMapMultiDataset([a, other]), "mismatched classes"), "argument", "datasets", "mismatched classes");
      } finally {
        other.destroy();
      }
    } finally {
      a.destroy();
      b.destroy();
    }
  },
} satisfies Cases;
