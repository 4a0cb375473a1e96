// The benchmark suite's smallest pieces, in-process with tiny sizes: every figure runs, the JSON
// it would write matches the schema, and every ratio and limit fraction is finite and positive.
// Nothing here asserts on speed.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { kernelFigure } from "../bench/figures/kernel.ts";
import { resultTable } from "../bench/lib/report.ts";
import { summarize } from "../bench/lib/stats.ts";
import { parseArgs } from "../bench/main.ts";
import { checkResult, SCHEMA } from "../bench/schema.ts";
import { runSuite } from "../bench/suite.ts";
import { generateSampleDataset } from "../src/sample-data/index.ts";
import { createFsTarget } from "../src/zarr-write/fs-target.ts";

const cache = mkdtempSync(join(tmpdir(), "cellmap-bench-test-"));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

test("the tiny suite runs every figure and writes schema-valid JSON with finite positive ratios", async () => {
  const result = await runSuite({
    mode: "tiny",
    figures: [1, 2, 3, 4, 5, 6],
    cacheDir: cache,
    useGpu: true,
    seed: 3,
    log: () => {},
    extra: async (ctx) => (ctx.gpu ? [await kernelFigure(ctx)] : []),
  }, "test");
  const doc = checkResult(JSON.parse(JSON.stringify(result)));
  expect(doc.schema).toBe(SCHEMA);
  expect(doc.mode).toBe("tiny");
  const ids = doc.figures.map((f) => f.id);
  expect(ids.slice(0, 6)).toEqual([1, 2, 3, 4, 5, 6]);
  if (doc.adapter) expect(ids).toContain(7);
  for (const f of doc.figures) {
    for (const r of f.rows) {
      expect(r.value.median, `${f.id} ${r.case} ${r.path}`).toBeGreaterThan(0);
      for (const x of r.ratios) {
        expect(Number.isFinite(x.ratio) && x.ratio > 0, `${f.id} ${r.case} ${r.path} vs ${x.vs}`).toBe(true);
      }
    }
  }
  // every comparison figure has a baseline measured in the same run
  for (const id of [1, 2, 3, 4, 5]) {
    const f = doc.figures.find((x) => x.id === id)!;
    expect(f.rows.some((r) => r.ratios.length > 0), `figure ${id}`).toBe(true);
  }
  // figures 2 and 3 are read against the limits of figure 6
  for (const id of [2, 3]) {
    const f = doc.figures.find((x) => x.id === id)!;
    expect(f.rows.some((r) => r.limit !== undefined), `figure ${id}`).toBe(true);
  }
  // the library and the zarrita baseline compute the same samples
  const loader = doc.figures.find((x) => x.id === 3)!;
  const base = loader.rows.find((r) => r.path === "zarrita baseline")!;
  expect(base.extra?.["maxAbsDiffRaw"]).toBeLessThan(0.01);
  expect(base.extra?.["labelMismatchFraction"]).toBeLessThan(0.01);
  // the cache never holds more than its budget
  const memory = doc.figures.find((x) => x.id === 4)!;
  expect(memory.targets[0]?.met).toBe(true);
  const table = resultTable(doc);
  for (const id of ids) expect(table).toContain(`Figure ${id}:`);
}, 300_000);

test("--data runs figure 3 on a CellMap-layout dataset (the sample dataset, zarr v2 and v3)", async () => {
  const dir = join(cache, "cellmap-layout");
  const manifest = await generateSampleDataset(createFsTarget(dir), { seed: 5, formats: [3, 2], size: [48, 96, 96], levels: 2 });
  for (const copy of manifest.copies) {
    const data = join(dir, copy.path);
    const result = await runSuite({ mode: "tiny", figures: [3], cacheDir: cache, useGpu: true, seed: 5, log: () => {}, data }, "test --data");
    const doc = checkResult(JSON.parse(JSON.stringify(result)));
    // no dataset was generated: figure 3 read the given one, over loopback HTTP
    expect(doc.dataset.generated, copy.path).toBe(false);
    expect(doc.dataset.source, copy.path).toContain(`--data ${data}`);
    const loader = doc.figures.find((f) => f.id === 3)!;
    expect(loader.workload, copy.path).toContain("mito, er, nucleus, ves");
    const base = loader.rows.find((r) => r.path === "zarrita baseline")!;
    expect(base.extra?.["maxAbsDiffRaw"], copy.path).toBeLessThan(0.01);
    expect(base.extra?.["labelMismatchFraction"], copy.path).toBeLessThan(0.01);
    for (const path of ["CellMapArray", "CellMapDataLoader"]) {
      const warm = loader.rows.find((r) => r.case === "standard, warm cache" && r.path === path && r.unit === "samples/s");
      expect(warm?.value.median, `${copy.path} ${path}`).toBeGreaterThan(0);
    }
  }
}, 300_000);

test("a schema violation names the field", () => {
  const stat = summarize([1, 2, 3]);
  const doc = {
    schema: SCHEMA,
    env: { runtime: "node" },
    figures: [{ id: 1, title: "t", workload: "w", rows: [{ case: "c", path: "p", unit: "u", better: "higher", value: stat, ratios: [{ vs: "b", ratio: Number.NaN }] }], targets: [] }],
  };
  expect(() => checkResult(doc)).toThrow(/figures\[0\]\.rows\[0\]\.ratios\[0\]\.ratio/);
  expect(() => checkResult({ ...doc, schema: "other" })).toThrow(/schema/);
});

test("summaries are ordered and the command line parses", () => {
  const s = summarize([5, 1, 4, 2, 3]);
  expect([s.min, s.q1, s.median, s.q3, s.max, s.n]).toEqual([1, 2, 3, 4, 5, 5]);
  expect(parseArgs(["--quick", "--data=http://host/ds.zarr", "--figures=3,6", "--no-gpu"])).toMatchObject({ mode: "quick", data: "http://host/ds.zarr", figures: [3, 6], useGpu: false });
  expect(() => parseArgs(["--fast"])).toThrow(/unknown argument/);
});
