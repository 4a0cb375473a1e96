// Lifecycle cycles over loopback HTTP, in a Node process of their own (test/setup/lifecycle-cycles.mjs,
// over the built library, with --expose-gc): 100 open-sample-destroy cycles on a shared pool, 100
// more with an abort at a varying moment, and 10 with a fetch worker of their own each. Afterwards
// the process holds the handles it held before (no timer, socket or worker left behind), its
// JavaScript heap has not grown, and its resident memory has grown by less than 20 MB, after 300
// warm-up cycles in which V8 and the allocator reach their working size.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";
import { writeArrayFixture } from "./setup/array-fixture.ts";
import { startFaultServer, type FaultServer } from "./setup/fault-server.ts";

let dir = "";
let server: FaultServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cellmap-lifecycle-"));
  await writeArrayFixture(dir);
  server = await startFaultServer(dir);
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

test("open-sample-destroy and abort cycles leave handles where they were and memory flat", async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ["--expose-gc", "test/setup/lifecycle-cycles.mjs", `${server.url}/labels_v2`, "100"]);
  const r = JSON.parse(stdout.trim().split("\n").pop()!) as {
    before: { handles: Record<string, number>; rss: number; heap: number };
    after: { handles: Record<string, number>; rss: number; heap: number };
    outcomes: { ok: number; aborted: number };
  };
  expect(r.outcomes.ok + r.outcomes.aborted).toBe(210);
  expect(r.outcomes.aborted).toBeGreaterThan(0);
  expect(r.after.handles).toEqual(r.before.handles);
  const heap = (r.after.heap - r.before.heap) / 2 ** 20;
  const rss = (r.after.rss - r.before.rss) / 2 ** 20;
  console.log(`lifecycle: JS heap ${heap.toFixed(1)} MB, RSS ${rss.toFixed(1)} MB over 210 cycles after the warm-up`);
  expect(heap, `JS heap grew by ${heap.toFixed(1)} MB`).toBeLessThan(5);
  expect(rss, `RSS grew by ${rss.toFixed(1)} MB`).toBeLessThan(20);
}, 240_000);
