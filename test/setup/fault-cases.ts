// Fault cases that need no test framework, for the runtimes whose own suites cannot share
// test/faults.test.ts (Deno here; Node runs the fuller file): the fetch transport and the fetch
// workers of the runtime, against the seeded fault-injecting server of test/setup/fault-server.ts
// serving the array fixture. Each body throws an Error saying what differed.
import { CellMapArray, ChunkDecodeError, HttpError, HttpStore, WorkerPool } from "../../src/index.ts";
import { check } from "./assert.ts";
import type { FaultKind, FaultServer } from "./fault-server.ts";

type Vec3 = [number, number, number];
const SPECS = [{ center: [40, 30, 60] as Vec3 }, { center: [120, 120, 180] as Vec3 }, { center: [150, 20, 200] as Vec3 }];
const OPTS = { shape: [10, 14, 14] as Vec3, scale: [6, 4, 4] as Vec3 };
const STORE = { timeoutMs: 400, backoffMs: 1, maxTries: 12 };

async function sampleAll(server: FaultServer, pool: WorkerPool): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const [name, interp] of [["raw_v3", "linear"], ["labels_v2", "nearest"]] as const) {
    const arr = await CellMapArray.open(`${server.url}/${name}`, { device: "cpu", pool, storeOptions: STORE });
    try {
      out.push(await arr.sample(SPECS, { ...OPTS, interp }));
    } finally {
      arr.destroy();
    }
  }
  return out;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const [x, y] = [new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(b.buffer, b.byteOffset, b.length)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Blosc's sizes, a zstd frame's magic number and the crc32c index: where a flipped bit shows. */
function flipRange(path: string, body: Uint8Array): [number, number] {
  if (path.startsWith("labels_v2/")) return [4, 16];
  return body.length === 8 * 16 + 4 ? [0, body.length] : [0, 4];
}

/** Every fault kind at 30%, mixed, through the runtime's fetch workers: samples identical to a clean run. */
export async function samplesIdenticalUnderFaults(server: FaultServer): Promise<void> {
  const pool = await WorkerPool.create({ size: 2 });
  try {
    server.configure({ rate: 0, seed: 1 });
    const clean = await sampleAll(server, pool);
    server.configure({ rate: 0.3, seed: 21, flipRange });
    const faulty = await sampleAll(server, pool);
    const injected = server.injected;
    server.configure({ rate: 0, seed: 1 });
    check(Object.keys(injected).length >= 5, `faults injected: ${JSON.stringify(injected)}`);
    faulty.forEach((f, i) => check(sameBits(f, clean[i]!), `array ${i}: a sample differs from the clean run under ${JSON.stringify(injected)}`));
  } finally {
    pool.destroy();
  }
}

/** A chunk whose every answer is cut short is a ChunkDecodeError naming it and the blosc check. */
export async function stuckChunkIsTyped(server: FaultServer): Promise<void> {
  const pool = await WorkerPool.create({ size: 1 });
  try {
    server.configure({ rate: 0, seed: 1, always: { "labels_v2/s0/0/0/0": "cut-short" as FaultKind } });
    const arr = await CellMapArray.open(`${server.url}/labels_v2`, { device: "cpu", pool, storeOptions: { ...STORE, maxTries: 3 } });
    const err = await arr.sample([{ center: [15, -4, 24] }], { ...OPTS, shape: [2, 2, 2], interp: "nearest" }).catch((e: unknown) => e);
    arr.destroy();
    check(err instanceof ChunkDecodeError, `expected a ChunkDecodeError, got ${String(err)}`);
    check(err.check === "codec-header" && err.key === "0/0/0" && /\(3 tries\)$/.test(err.message), `error: ${err.message} (check ${err.check})`);
  } finally {
    server.configure({ rate: 0, seed: 1 });
    pool.destroy();
  }
}

/** The runtime's fetch: HTML pages and hangs are retried, then named; a URL's query never shows. */
export async function storeFaultsThroughFetch(server: FaultServer): Promise<void> {
  const key = "/labels_v2/s0/0/0/0" as const;
  const cases: Array<[FaultKind, RegExp]> = [
    ["html", /HTTP 200 with an HTML page \(text\/html\) instead of data after 2 tries/],
    ["hang", /no answer within 300 ms after 2 tries/],
    ["cut-full", /after 2 tries/],
    ["503", /HTTP 503 after 2 tries/],
  ];
  try {
    for (const [fault, says] of cases) {
      server.configure({ rate: 0, seed: 1, always: { [key.slice(1)]: fault } });
      const store = new HttpStore(`${server.url}?token=s3cr3t`, { fetch: globalThis.fetch, maxTries: 2, backoffMs: 1, timeoutMs: 300 });
      const err = await store.get(key).catch((e: unknown) => e);
      check(err instanceof HttpError, `${fault}: expected an HttpError, got ${String(err)}`);
      check(says.test(err.message), `${fault}: message ${err.message}`);
      check(!`${err.message} ${err.url} ${String(err.cause ?? "")}`.includes("s3cr3t"), `${fault}: the query shows in ${err.message}`);
      check(store.stats.inFlight === 0, `${fault}: ${store.stats.inFlight} requests still in flight`);
    }
    server.configure({ rate: 0, seed: 1 });
    const ok = await new HttpStore(`${server.url}?token=s3cr3t`, { fetch: globalThis.fetch }).get(key);
    check(ok !== undefined && ok.length > 16, "the clean answer after the faults");
  } finally {
    server.configure({ rate: 0, seed: 1 });
  }
}
