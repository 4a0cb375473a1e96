// The loader's policy for a sample that cannot be read (a chunk that stays bad after its retries,
// served so by a loopback server): by default the batch fails with a BatchError naming it and the
// epoch goes on from the next batch; with onError "skip" the sample is replaced by another one,
// drawn deterministically, and counted. Batches that never touch the bad chunk stay identical to
// a clean run's.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BatchError, isCellMapError } from "../src/errors.ts";
import { CellMapDataLoader, type Batch } from "../src/dataset/dataloader.ts";
import { CellMapDataset } from "../src/dataset/dataset.ts";
import { WorkerPool } from "../src/worker/pool.ts";
import { buildFixture, CROP_PATH, RAW_PATH } from "./setup/dataset-fixture.ts";
import { startFaultServer, type FaultServer } from "./setup/fault-server.ts";

let dir = "";
let server: FaultServer;
let pool: WorkerPool;
let badChunk = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cellmap-loader-faults-"));
  const fx = await buildFixture(2);
  for (const [key, bytes] of fx.files) {
    mkdirSync(dirname(join(dir, key)), { recursive: true });
    writeFileSync(join(dir, key), bytes);
  }
  server = await startFaultServer(dir);
  pool = await WorkerPool.create({ size: 1 });
});

afterAll(async () => {
  pool?.terminate();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

function open() {
  return CellMapDataset.open({
    inputPath: `${server.url}/sample.zarr/${RAW_PATH}`,
    targetPath: `${server.url}/sample.zarr/${CROP_PATH}/[mito,er]`,
    classes: ["mito", "er"],
    inputArrays: { raw: { shape: [4, 8, 8], scale: [4, 4, 4] } },
    targetArrays: { gt: { shape: [3, 6, 6], scale: [4, 4, 4] } },
    pool,
    storeOptions: { maxTries: 2, backoffMs: 1 },
  });
}

type B = Batch<"raw" | "gt">;
const summary = (b: B) => ({ idx: b.idx, raw: Array.from(b.raw.data), gt: Array.from(b.gt.data) });

async function run(loader: CellMapDataLoader<"raw" | "gt">, from = 0): Promise<Array<ReturnType<typeof summary> | BatchError>> {
  const out: Array<ReturnType<typeof summary> | BatchError> = [];
  let k = from;
  while (k < loader.length) {
    try {
      for await (const b of loader.batches(k)) {
        out.push(summary(b as B));
        k++;
      }
    } catch (e) {
      if (!(e instanceof BatchError)) throw e;
      expect(isCellMapError(e, "batch")).toBe(true);
      expect(e.batch).toBe(k);
      out.push(e as BatchError);
      k = e.batch + 1;
    }
  }
  return out;
}

describe("loader policy for a chunk that stays bad", () => {
  test("default: the batch fails with a BatchError naming it and the chunk; the others equal a clean run's", async () => {
    const ds = await open();
    try {
      const opts = { batchSize: 3, iterationsPerEpoch: 8, seed: 5, sampler: "sequential" as const };
      server.configure({ rate: 0, seed: 1 });
      const clean = await run(new CellMapDataLoader(ds, opts));
      // A raw chunk the clean epoch read, the last of them in key order: some samples need it, others not.
      const read = [...server.seen.keys()].filter((k) => k.startsWith(`sample.zarr/${RAW_PATH}/s0/`)).sort();
      badChunk = read[read.length - 1]!;
      server.configure({ rate: 0, seed: 1, always: { [badChunk]: "cut-short" } });
      // A fresh dataset: nothing of the clean run is cached.
      const ds2 = await open();
      const loader = new CellMapDataLoader(ds2, opts);
      const faulty = await run(loader);
      ds2.destroy();
      expect(clean.every((b) => !(b instanceof BatchError))).toBe(true);
      const failed = faulty.flatMap((b, k) => (b instanceof BatchError ? [k] : []));
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.length).toBeLessThan(8);
      expect(loader.stats).toEqual({ skipped: 0, failedBatches: failed.length });
      for (const k of failed) {
        const e = faulty[k] as BatchError;
        expect(e.message).toMatch(new RegExp(`^batch ${k} of epoch 0 could not be read: chunk .* blosc header`));
        expect(isCellMapError(e.cause, "chunk-decode")).toBe(true);
      }
      faulty.forEach((b, k) => {
        if (!(b instanceof BatchError)) expect(b, `batch ${k}`).toEqual(clean[k]);
      });
    } finally {
      server.configure({ rate: 0, seed: 1 });
      ds.destroy();
    }
  });

  test('onError "skip": every batch arrives, bad samples replaced deterministically and counted', async () => {
    const opts = { batchSize: 3, iterationsPerEpoch: 8, seed: 5, sampler: "sequential" as const, onError: "skip" as const };
    server.configure({ rate: 0, seed: 1 });
    const ds = await open();
    const clean = await run(new CellMapDataLoader(ds, { ...opts, onError: "fail" }));
    ds.destroy();
    const runs = [];
    for (let i = 0; i < 2; i++) {
      server.configure({ rate: 0, seed: 1, always: { [badChunk]: "cut-short" } });
      const d = await open();
      const loader = new CellMapDataLoader(d, opts);
      runs.push({ batches: await run(loader), stats: loader.stats });
      d.destroy();
    }
    server.configure({ rate: 0, seed: 1 });
    const [a, b] = runs as [typeof runs[0], typeof runs[0]];
    expect(a.batches.every((x) => !(x instanceof BatchError))).toBe(true);
    expect(a.stats.skipped).toBeGreaterThan(0);
    expect(a.stats.failedBatches).toBe(0);
    expect(b).toEqual(a); // the replacements are deterministic
    let replaced = 0;
    a.batches.forEach((x, k) => {
      const c = clean[k] as ReturnType<typeof summary>;
      const got = x as ReturnType<typeof summary>;
      if (got.idx.join() === c.idx.join()) expect(got, `batch ${k}`).toEqual(c);
      else replaced += got.idx.filter((v, j) => v !== c.idx[j]).length;
    });
    expect(replaced).toBe(a.stats.skipped);
  });

  test("destroying the dataset during an epoch ends the iteration at once, with a typed error", async () => {
    const outcomes: string[] = [];
    for (const delay of [0, 10, 40, 120]) {
      // Half the chunk answers never come: reads would otherwise wait out their timeouts.
      server.configure({ rate: 0.5, seed: 3 + delay, kinds: ["hang"] });
      const ds = await CellMapDataset.open({
        inputPath: `${server.url}/sample.zarr/${RAW_PATH}`,
        targetPath: `${server.url}/sample.zarr/${CROP_PATH}/[mito,er]`,
        classes: ["mito", "er"],
        inputArrays: { raw: { shape: [4, 8, 8], scale: [4, 4, 4] } },
        targetArrays: { gt: { shape: [3, 6, 6], scale: [4, 4, 4] } },
        pool,
        storeOptions: { timeoutMs: 2000, maxTries: 5, backoffMs: 1 },
      });
      const loader = new CellMapDataLoader(ds, { batchSize: 3, iterationsPerEpoch: 4, seed: 1 });
      const epoch = (async () => {
        for await (const b of loader) b.release();
        return "finished";
      })().catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, delay));
      ds.destroy();
      const outcome = await Promise.race([epoch, new Promise((r) => setTimeout(() => r("hung"), 1000))]);
      expect(outcome, `destroyed after ${delay} ms`).not.toBe("hung");
      if (outcome !== "finished") {
        const e = outcome instanceof BatchError ? outcome.cause : outcome;
        expect(isCellMapError(e, "aborted") || isCellMapError(e, "argument"), String(e)).toBe(true);
      }
      outcomes.push(outcome === "finished" ? "finished" : "ended");
    }
    server.configure({ rate: 0, seed: 1 });
    expect(outcomes).toContain("ended");
  });
});
