// The batch plan (src/batch/plan.ts, made by src/dataset/batch-plan.ts), shared by Node, Deno and Chromium: planning is pure
// (no request, no cache traffic, no device) and says which array each output reads for which
// samples, where a class is filled instead, the shapes, the value passes and the true negatives;
// the plan's centers and specs are the dataset's own draws. The executors that run a plan are
// held to oracles by the dataset, batch-layout and batch-arrays cases.

import { rngFor } from "../../src/augment/rng.ts";
import { CellMapDataset, type CellMapDatasetOptions } from "../../src/dataset/dataset.ts";
import { planBatch } from "../../src/dataset/batch-plan.ts";
import type { BatchItem } from "../../src/dataset/batch.ts";
import { isCellMapError } from "../../src/errors.ts";
import type { Vec3 } from "../../src/geometry/types.ts";
import { check, same } from "./assert.ts";
import { buildFixture, fixtureDatasetOptions, type MemoryFixture } from "./dataset-fixture.ts";

let fixture: Promise<MemoryFixture> | undefined;
const getFixture = () => (fixture ??= buildFixture(2));

const RAW: Vec3 = [4, 6, 5];
const GT: Vec3 = [3, 5, 4];

async function open(extra: Partial<CellMapDatasetOptions<"raw", "gt">> = {}): Promise<CellMapDataset<"raw" | "gt">> {
  const fx = await getFixture();
  return CellMapDataset.open<"raw", "gt">({
    ...fixtureDatasetOptions(fx, RAW, GT),
    spatialTransforms: { mirror: { axes: { x: 0.5 } }, rotate: { axes: { z: [-30, 30] } } },
    isTrain: true,
    cpuWorkers: 0,
    ...extra,
  });
}

const items = (ds: CellMapDataset<"raw" | "gt">[], picks: Array<[number, number]>): BatchItem[] =>
  picks.map(([d, index]) => ({ dataset: ds[d]!, index, rng: rngFor(11, 0, index) }));

const requestCount = (fx: MemoryFixture) => [...fx.requests.values()].reduce((a, b) => a + b, 0);

export const batchPlanCases = {
  /** A plan of two datasets: a read per run of each, fills for the class no crop annotates, shapes and passes. */
  async "a batch plan reads each run from its dataset's arrays and fills classes a crop lacks, touching nothing"(): Promise<void> {
    const fx = await getFixture();
    const a = await open({ classRelationships: { nucleus: ["mito", "er"] } });
    const b = await open({ classRelationships: { nucleus: ["mito", "er"] }, targetValueTransforms: { er: [{ nanToNum: { nan: 3 } }] } });
    try {
      const before = requestCount(fx);
      const misses = a.input.stats.misses + b.input.stats.misses;
      const plan = planBatch(items([a, b], [[0, 5], [0, 9], [1, 2]]), { seed: 4 });
      check(requestCount(fx) === before && a.input.stats.misses + b.input.stats.misses === misses, "planning requests nothing and touches no cache");
      same([plan.batch, plan.device, [...plan.classes], plan.seed], [3, "cpu", ["mito", "er", "nucleus"], 4], "batch, device, classes, seed");
      same(plan.inputs.map((i) => [i.name, i.voxels, i.shape]), [["raw", 120, [3, 1, 4, 6, 5]]], "inputs");
      const raw = plan.inputs[0]!.reads;
      check(raw.length === 2 && raw[0]!.kind === "array" && raw[1]!.kind === "array", "one read per run of a dataset");
      check(raw[0]!.kind === "array" && raw[0]!.array === a.input && raw[0]!.first === 0 && raw[0]!.count === 2 && raw[0]!.grid.interp === "linear", "run 1: samples 0-1 from the first dataset's raw, linear");
      check(raw[1]!.kind === "array" && raw[1]!.array === b.input && raw[1]!.first === 2 && raw[1]!.count === 1, "run 2: sample 2 from the second dataset's raw");
      const gt = plan.targets[0]!;
      same([gt.name, gt.voxels, gt.shape], ["gt", 60, [3, 3, 3, 5, 4]], "the target");
      same(gt.reads.map((rs) => rs.map((r) => r.kind)), [["array", "array"], ["array", "array"], ["fill", "fill"]], "nucleus, which the crop lacks, is filled");
      const nucleus = gt.reads[2]![0]!;
      check(nucleus.kind === "fill" && Number.isNaN(nucleus.fill), "filled with emptyValue (NaN by default)");
      check(gt.reads[0]![0]!.kind === "array" && gt.reads[0]![0]!.grid.interp === "nearest" && Number.isNaN(gt.reads[0]![0]!.grid.pad), "labels: nearest, padded with emptyValue");
      // The second dataset's er has a value pass for its sample (index 2 of the batch).
      check(gt.hasOps && gt.ops[1]!.ops[2]!.length === 1 && gt.ops[1]!.ops[0]!.length === 0, `er's pass on the second dataset's sample only: ${JSON.stringify(gt.ops[1]!.ops)}`);
      same(plan.relationships?.exclusive, [[false, false, false], [false, false, false], [true, true, false]].map((r, i) => r.map((v, j) => v || (j === 2 && i < 2))), "nucleus and mito/er exclude each other");
      // The plan's draws are the dataset's: same centers and augmentations as planning by hand.
      same(plan.centers, [a.plan(5, rngFor(11, 0, 5)).center, a.plan(9, rngFor(11, 0, 9)).center, b.plan(2, rngFor(11, 0, 2)).center], "centers");
      const again = planBatch(items([a, b], [[0, 5], [0, 9], [1, 2]]), { seed: 4 });
      same(again.inputs[0]!.reads.map((r) => (r.kind === "array" ? r.specs.map((s) => [s.center, s.augment ? Array.from(s.augment) : null]) : null)), plan.inputs[0]!.reads.map((r) => (r.kind === "array" ? r.specs.map((s) => [s.center, s.augment ? Array.from(s.augment) : null]) : null)), "planning again with the same generators gives the same specs");
    } finally {
      a.destroy();
      b.destroy();
    }
  },

  /** Datasets whose class relationships differ cannot share a batch; an empty batch is refused. */
  async "a batch plan refuses datasets with different class relationships and an empty batch"(): Promise<void> {
    const a = await open({ classRelationships: { nucleus: ["mito"] } });
    const b = await open();
    try {
      for (const [what, work, field] of [
        ["mixed relationships", () => planBatch(items([a, b], [[0, 1], [1, 1]]), { seed: 0 }), "classRelationships"],
        ["no samples", () => planBatch([], { seed: 0 }), "batch"],
      ] as const) {
        let e: unknown;
        try {
          work();
        } catch (err) {
          e = err;
        }
        check(isCellMapError(e, "argument") && (e as Error).message.startsWith(field), `${what}: expected an ArgumentError on ${field}, got ${String(e)}`);
      }
    } finally {
      a.destroy();
      b.destroy();
    }
  },
};
