// Ownership and ordering of the worker pool when a fetch worker stops (a crash, an exit): the
// workers here are stand-ins (the spawn module is mocked), so that a test decides when one dies.
// The real crash path (a worker thread that exits) reaches the same `onFailure` listener.
import { beforeEach, describe, expect, test, vi } from "vitest";
import type { Answered, AnswerSink, ReadOrder } from "../src/worker/protocol.ts";

interface Fake {
  name: string;
  reads: ReadOrder[];
  fail(reason: string): void;
  answer(id: number): void;
  terminated: boolean;
}
const fakes: Fake[] = [];

vi.mock("../src/worker/spawn.ts", () => ({
  runtime: () => "node",
  spawnFetchWorker: async (name: string, sink: AnswerSink, tally: { sent: number; received: number }) => {
    const listeners: Array<(reason: string) => void> = [];
    const fake: Fake = {
      name,
      reads: [],
      terminated: false,
      fail: (reason) => listeners.forEach((l) => l(reason)),
      answer: (id) => {
        const batch: Answered[] = [{ id, answer: { ok: true, result: { words: Uint32Array.of(id), bytes: 4, requests: 1 } } }];
        sink.answers(batch);
      },
    };
    fakes.push(fake);
    return {
      api: {
        read: (reads: ReadOrder[]) => {
          tally.sent++; // the call's message left, as comlink's would
          fake.reads.push(...reads);
          return Promise.resolve();
        },
        cancel: () => Promise.resolve(),
        forget: () => Promise.resolve(),
        counts: () => Promise.resolve({ readCalls: 0, reads: 0, cancelCalls: 0, answerCalls: 0 }),
      },
      onFailure: (l: (reason: string) => void) => listeners.push(l),
      setIdle: () => {},
      terminate: () => {
        fake.terminated = true;
      },
    };
  },
}));

const { WorkerPool } = await import("../src/worker/pool.ts");
const req = (x: number) => ({ url: "http://h/a.zarr", path: "/s0", coords: [0, 0, x], spatialDims: [0, 1, 2] as [number, number, number], kind: "u8" as const });
const tick = () => new Promise((r) => setTimeout(r, 0));

beforeEach(() => {
  fakes.length = 0;
});

describe("WorkerPool when a worker stops", () => {
  test("a stopped worker is replaced and its reads are sent again; none is lost", async () => {
    const pool = await WorkerPool.create({ size: 2 });
    const reads = [0, 1, 2, 3].map((x) => pool.read(req(x)));
    await tick();
    const [w0, w1] = fakes as [Fake, Fake];
    expect(w0.reads.length + w1.reads.length).toBe(4);
    const lost = w0.reads.map((r) => r.id);
    w0.fail("exited with code 1");
    expect(w0.terminated).toBe(true);
    await tick();
    expect(fakes).toHaveLength(3); // the replacement
    // Its reads went to the other worker (the replacement was not running yet).
    for (const id of lost) expect(w1.reads.map((r) => r.id)).toContain(id);
    for (const r of w1.reads) w1.answer(r.id);
    const results = await Promise.all(reads);
    expect(results.map((r) => r.words![0])).toEqual(expect.arrayContaining([...w1.reads.map((r) => r.id)]));
    // Later reads use the replacement too.
    const later = [4, 5, 6, 7].map((x) => pool.read(req(x)));
    await tick();
    const w2 = fakes[2]!;
    expect(w2.reads.length).toBeGreaterThan(0);
    for (const w of [w1, w2]) for (const r of w.reads) w.answer(r.id);
    await Promise.all(later);
    expect(pool.inFlight).toBe(0);
    pool.terminate();
  });

  test("a read on workers that stop twice rejects, naming its chunk; the pool keeps serving others", async () => {
    const pool = await WorkerPool.create({ size: 1 });
    const read = pool.read(req(9));
    await tick();
    fakes[0]!.fail("killed");
    await tick();
    await tick();
    expect(fakes).toHaveLength(2);
    expect(fakes[1]!.reads.map((r) => r.req.coords)).toEqual([[0, 0, 9]]);
    fakes[1]!.fail("killed again");
    const err = await read.catch((e: unknown) => e);
    expect(err).toMatchObject({ tag: "chunk-decode", key: "0/0/9" });
    expect((err as Error).message).toMatch(/fetch worker cellmap-fetch-0 stopped while reading it \(killed again\)/);
    await tick();
    const next = pool.read(req(10));
    await tick();
    const w = fakes[fakes.length - 1]!;
    w.answer(w.reads[0]!.id);
    expect((await next).words![0]).toBe(w.reads[0]!.id);
    pool.terminate();
  });

  test("reads with the same affinity go to the same worker", async () => {
    const pool = await WorkerPool.create({ size: 2 });
    const reads = [0, 1, 2, 3, 4, 5].map((x) => pool.read(req(x), { affinity: "s0:0,0,0" }));
    await tick();
    const counts = fakes.map((f) => f.reads.length).sort();
    expect(counts).toEqual([0, 6]);
    for (const f of fakes) for (const r of f.reads) f.answer(r.id);
    await Promise.all(reads);
    pool.terminate();
  });

  test("terminate rejects every pending read with an AbortedError", async () => {
    const pool = await WorkerPool.create({ size: 1 });
    const reads = [0, 1].map((x) => pool.read(req(x)).catch((e: unknown) => e));
    await tick();
    pool.terminate();
    for (const e of await Promise.all(reads)) expect(e).toMatchObject({ tag: "aborted" });
  });
});
