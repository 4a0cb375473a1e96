import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GpuContext } from "../src/index.ts";
import { writeArrayFixture } from "./setup/array-fixture.ts";

let dir: string;
let gpu: GpuContext;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cellmap-array-"));
  await writeArrayFixture(dir);
  gpu = await GpuContext.create({ label: "cellmap-array test" });
});
afterAll(async () => {
  gpu?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

// The shared CellMapArray cases (test/setup/array-cases.ts) run from the case registry
// (test/setup/cases.ts); these two are Node's own.
describe("CellMapArray (Node: workers, Dawn on SwiftShader)", () => {
  test("a budget above the binding limit is capped at the array's chunk count and still reads correct values", async () => {
    const { CellMapArray } = await import("../src/index.ts");
    const huge = await CellMapArray.open(join(dir, "raw_v3"), { gpu, workers: 0, cacheBytes: 64 * 2 ** 30 });
    const cpu = await CellMapArray.open(join(dir, "raw_v3"), { device: "cpu", workers: 0 });
    // 30 x 41 x 52 voxels in 8³ chunks of uint16: 4 * 6 * 7 chunks of 1 KiB (the binding-limit cap: memory cases).
    expect(huge.stats.budgetBytes).toBe(4 * 6 * 7 * 8 * 8 * 8 * 2);
    const specs = [{ center: [90, 70, 110] as [number, number, number] }];
    const opts = { shape: [6, 7, 8] as [number, number, number], scale: [5, 3, 4] as [number, number, number] };
    const [a, b] = [await huge.sample(specs, opts), await cpu.sample(specs, opts)];
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(0.05);
    huge.destroy();
    cpu.destroy();
  });

  test("a corrupt shard index fails its crc32c check with a typed error", async () => {
    const { readFileSync, writeFileSync, readdirSync } = await import("node:fs");
    const shard = join(dir, "raw_v3_start/s0/c/0/0/0");
    const bytes = readFileSync(shard);
    const copy = join(dir, "bad_index");
    const { cpSync } = await import("node:fs");
    cpSync(join(dir, "raw_v3_start"), copy, { recursive: true });
    const corrupt = new Uint8Array(bytes);
    corrupt[3] = corrupt[3]! ^ 0xff;
    writeFileSync(join(copy, "s0/c/0/0/0"), corrupt);
    expect(readdirSync(join(copy, "s0/c/0/0")).length).toBeGreaterThan(0);
    const { CellMapArray, isCellMapError } = await import("../src/index.ts");
    const arr = await CellMapArray.open(copy, { device: "cpu", workers: 0 });
    const err = await arr.sample([{ center: [30, 0, 40] }], { shape: [2, 2, 2], scale: [6, 4, 4] }).catch((e) => e);
    expect(isCellMapError(err, "chunk-decode")).toBe(true);
    expect(err.message).toMatch(/checksum mismatch/);
    arr.destroy();
  });
});
