// Zarr and NGFF metadata are checked at open: broken variants (a table) and random JSON mutations
// give typed errors naming the file and field, never a crash or an unhandled rejection later.
// Bodies in test/setup/metadata-cases.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CellMapArray } from "../src/array/cellmap-array.ts";
import { openMultiscale } from "../src/array/open-multiscale.ts";
import { isCellMapError } from "../src/errors.ts";
import { encodeKeyPath } from "../src/store/key-path.ts";
import { WorkerPool } from "../src/worker/pool.ts";
import {
  isTyped, memoryStore, mutate, openMutations, rng, VALID_GROUPS, validV3,
} from "./setup/metadata-cases.ts";
import { writeGroupFiles } from "./setup/metadata-fixture.ts";

let dir: string;
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => void unhandled.push(e);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cellmap-metadata-"));
  process.on("unhandledRejection", onUnhandled);
});
afterAll(() => {
  process.off("unhandledRejection", onUnhandled);
  rmSync(dir, { recursive: true, force: true });
});

describe("zarr metadata checked at open", () => {
  test("the valid v2 and v3 groups open, with their codecs, fill value and chunk key encoding", async () => {
    for (const [name, make] of VALID_GROUPS) {
      const ms = await openMultiscale("mem://group", { store: memoryStore(make()) });
      expect(ms.levels[0]!.shape, name).toEqual([8, 8, 8]);
      expect(ms.levels[0]!.dtype, name).toBe("uint8");
    }
    const sharded = await openMultiscale("mem://group", { store: memoryStore(VALID_GROUPS[2]![1]()) });
    expect(sharded.levels[0]!.chunks).toEqual([4, 4, 4]);
    expect(sharded.levels[0]!.shards).toEqual([8, 8, 8]);
    expect(sharded.levels[0]!.codecs).toEqual(["sharding_indexed(bytes(little), zstd)"]);
  });

  test("a uint64 label array filled with 2^64 - 1 (JSON rounds it) opens", async () => {
    const f = validV3();
    const meta = f["s0/zarr.json"] as Record<string, unknown>;
    meta["data_type"] = "uint64";
    meta["fill_value"] = JSON.parse("18446744073709551615");
    const ms = await openMultiscale("mem://group", { store: memoryStore(f) });
    expect(ms.levels[0]!.dtype).toBe("uint64");
  });

  test("3000 random JSON mutations of valid groups give only typed errors and no unhandled rejection", async () => {
    const { opened, failed } = await openMutations(3000, 12345);
    await new Promise((r) => setTimeout(r, 10));
    expect(unhandled).toEqual([]);
    expect(failed).toBeGreaterThan(1000);
    expect(opened).toBeGreaterThan(100);
  });

  test("300 mutated groups on disk: open and sample give values or typed errors, never an untyped one", async () => {
    const rand = rng(777);
    let sampled = 0;
    for (let i = 0; i < 300; i++) {
      const [, make] = VALID_GROUPS[i % 2]!;
      const files = make();
      const what = mutate(files, rand);
      const at = join(dir, `m${i}`);
      await writeGroupFiles(at, files);
      let arr: CellMapArray | undefined;
      try {
        arr = await CellMapArray.open(at, { device: "cpu", workers: 0 });
        const out = await arr.sample([{ center: [14, 14, 14] }], { shape: [2, 2, 2], scale: [4, 4, 4] });
        expect(out.length).toBe(8);
        sampled++;
      } catch (e) {
        if (!isTyped(e)) throw new Error(`mutation ${i} (${what}) gave an untyped error: ${String((e as Error)?.stack ?? e)}`);
      } finally {
        arr?.destroy();
      }
    }
    await new Promise((r) => setTimeout(r, 10));
    expect(unhandled).toEqual([]);
    expect(sampled).toBeGreaterThan(20);
  });

  test("80 mutated groups read through one shared fetch worker: typed errors only, and the worker still reads a good array", async () => {
    const rand = rng(4242);
    await writeGroupFiles(join(dir, "good-shared"), validV3());
    const pool = await WorkerPool.create({ size: 1 });
    try {
      for (let i = 0; i < 80; i++) {
        const files = VALID_GROUPS[i % VALID_GROUPS.length]![1]();
        const what = mutate(files, rand);
        const at = join(dir, `w${i}`);
        await writeGroupFiles(at, files);
        let arr: CellMapArray | undefined;
        try {
          arr = await CellMapArray.open(at, { device: "cpu", pool });
          await arr.sample([{ center: [14, 14, 14] }], { shape: [2, 2, 2], scale: [4, 4, 4] });
        } catch (e) {
          if (!isTyped(e)) throw new Error(`mutation ${i} (${what}) gave an untyped error: ${String(e)}`);
        } finally {
          arr?.destroy();
        }
      }
      const good = await CellMapArray.open(join(dir, "good-shared"), { device: "cpu", pool });
      expect([...(await good.sample([{ center: [14, 14, 14] }], { shape: [2, 2, 2], scale: [4, 4, 4] }))]).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
      good.destroy();
      expect(unhandled).toEqual([]);
    } finally {
      pool.destroy();
    }
  });

  test("an unknown codec fails at open with its name, and the shared worker pool still reads a good array", async () => {
    const bad = validV3();
    ((bad["s0/zarr.json"] as Record<string, unknown>)["codecs"] as unknown[]).push({ name: "numcodecs.bar" });
    await writeGroupFiles(join(dir, "bad-codec"), bad);
    await writeGroupFiles(join(dir, "good"), validV3());
    const pool = await WorkerPool.create({ size: 1 });
    try {
      const e = await CellMapArray.open(join(dir, "bad-codec"), { device: "cpu", pool }).catch((x: unknown) => x);
      expect(isCellMapError(e, "metadata")).toBe(true);
      expect((e as Error).message).toMatch(/codecs\[1\]\.name .*numcodecs\.bar/);
      const good = await CellMapArray.open(join(dir, "good"), { device: "cpu", pool });
      const out = await good.sample([{ center: [14, 14, 14] }], { shape: [2, 2, 2], scale: [4, 4, 4] });
      expect([...out]).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
      good.destroy();
    } finally {
      pool.destroy();
    }
  });
});

describe("level paths with #, % and ? (as zarr-python 3 may write them)", () => {
  const odd = "s0#a%b?c";
  const withOddLevel = () => {
    const f = validV3();
    f[`${odd}/zarr.json`] = f["s0/zarr.json"];
    delete f["s0/zarr.json"];
    const ms = (f["zarr.json"] as { attributes: { ome: { multiscales: Array<{ datasets: Array<{ path: string }> }> } } }).attributes.ome.multiscales[0]!;
    ms.datasets[0]!.path = odd;
    return f;
  };

  test("open asks the store for the level's raw key (no segment lost to URL parsing)", async () => {
    const store = memoryStore(withOddLevel());
    const ms = await openMultiscale("mem://group", { store });
    expect(ms.levels[0]!.path).toBe(odd);
    expect(store.requests).toEqual(["/zarr.json", `/${odd}/zarr.json`]);
  });

  test("opens from local files", async () => {
    await writeGroupFiles(join(dir, "odd"), withOddLevel());
    const ms = await openMultiscale(join(dir, "odd"));
    expect(ms.levels[0]!.shape).toEqual([8, 8, 8]);
  });

  test("encodeKeyPath gives URL text, and zarrita's resolve turns it back into the raw key", async () => {
    const zarr = await import("zarrita");
    expect(encodeKeyPath(`/g/${odd}/zarr.json`)).toBe("/g/s0%23a%25b%3Fc/zarr.json");
    expect(zarr.root(new Map()).resolve(encodeKeyPath(odd)).path).toBe(`/${odd}`);
    // Without encoding, resolve drops everything from the "#" on.
    expect(zarr.root(new Map()).resolve(odd).path).toBe("/s0");
  });
});
