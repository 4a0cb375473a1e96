// Fault cases that need no test framework, for Deno and Chromium (Node runs the fuller
// test/faults.test.ts and test/store-faults.test.ts): the runtime's fetch and fetch workers against
// the seeded fault-injecting server of test/setup/fault-server.ts serving the array fixture. Faults
// are asked for in the URL (/_faults/<rate>/<seed>/<kinds>/...), so a page can ask too. Each body
// throws an Error saying what differed. Browser-safe.
import { CellMapArray, ChunkDecodeError, HttpError, HttpStore, WorkerPool } from "../../src/index.ts";
import { check } from "./assert.ts";
import type { Cases } from "./cases.ts";

/** Every fault kind of the server. */
const ALL = "503,reset,cut-short,cut-full,html,hang,flip";
const faulty = (url: string, rate: number, seed: number, kinds: string) => `${url}/_faults/${rate}/${seed}/${kinds}`;

type Vec3 = [number, number, number];
const SPECS = [{ center: [40, 30, 60] as Vec3 }, { center: [120, 120, 180] as Vec3 }, { center: [150, 20, 200] as Vec3 }];
const OPTS = { shape: [10, 14, 14] as Vec3, scale: [6, 4, 4] as Vec3 };
const STORE = { timeoutMs: 400, backoffMs: 1, maxTries: 12 };

async function sampleAll(root: string, pool: WorkerPool): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const [name, interp] of [["raw_v3", "linear"], ["labels_v2", "nearest"]] as const) {
    const arr = await CellMapArray.open(`${root}/${name}`, { device: "cpu", pool, storeOptions: STORE });
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

/** Every fault kind at 30%, mixed, through the runtime's fetch workers: samples identical to a clean run. */
export async function samplesIdenticalUnderFaults(url: string): Promise<void> {
  const pool = await WorkerPool.create({ size: 2 });
  try {
    const clean = await sampleAll(url, pool);
    const got = await sampleAll(faulty(url, 0.3, 21, ALL), pool);
    got.forEach((f, i) => check(sameBits(f, clean[i]!), `array ${i}: a sample differs from the clean run under faults`));
  } finally {
    pool.destroy();
  }
}

/** Chunks whose every answer is cut short are a ChunkDecodeError naming the chunk and blosc's check. */
export async function stuckChunkIsTyped(url: string): Promise<void> {
  const pool = await WorkerPool.create({ size: 1 });
  try {
    const arr = await CellMapArray.open(`${faulty(url, 1, 1, "cut-short")}/labels_v2`, { device: "cpu", pool, storeOptions: { ...STORE, maxTries: 3 } });
    const err = await arr.sample([{ center: [15, -4, 24] }], { ...OPTS, shape: [2, 2, 2], interp: "nearest" }).catch((e: unknown) => e);
    arr.destroy();
    check(err instanceof ChunkDecodeError, `expected a ChunkDecodeError, got ${String(err)}`);
    check(err.check === "codec-header" && /^\d+\/\d+\/\d+$/.test(err.key) && /\(3 tries\)$/.test(err.message), `error: ${err.message} (check ${err.check})`);
  } finally {
    pool.destroy();
  }
}

/** The runtime's fetch: HTML pages, hangs, cut bodies and 503s are retried, then named; a URL's query never shows. */
export async function storeFaultsThroughFetch(url: string): Promise<void> {
  const key = "/labels_v2/s0/0/0/0" as const;
  const cases: Array<[string, RegExp]> = [
    ["html", /HTTP 200 with an HTML page \(text\/html\) instead of data after 2 tries/],
    ["hang", /no answer within 300 ms after 2 tries/],
    ["cut-full", /after 2 tries/],
    ["503", /HTTP 503 after 2 tries/],
  ];
  for (const [fault, says] of cases) {
    const store = new HttpStore(`${faulty(url, 1, 1, fault)}?token=s3cr3t`, { fetch: globalThis.fetch, maxTries: 2, backoffMs: 1, timeoutMs: 300 });
    const err = await store.get(key).catch((e: unknown) => e);
    check(err instanceof HttpError, `${fault}: expected an HttpError, got ${String(err)}`);
    check(says.test(err.message), `${fault}: message ${err.message}`);
    check(!`${err.message} ${err.url} ${String(err.cause ?? "")}`.includes("s3cr3t"), `${fault}: the query shows in ${err.message}`);
    check(store.stats.inFlight === 0, `${fault}: ${store.stats.inFlight} requests still in flight`);
  }
  const ok = await new HttpStore(`${url}?token=s3cr3t`, { fetch: globalThis.fetch }).get(key);
  check(ok !== undefined && ok.length > 16, "the clean answer after the faults");
}

/** Every case, by title, for the case registry (test/setup/cases.ts); the fault server is the runner's. */
export const faultCases = {
  "every fault kind at 30 percent, mixed, through fetch workers: samples identical to a clean run": async (ctx) =>
    samplesIdenticalUnderFaults(await ctx.faultFixtureUrl()),
  "a chunk that stays bad is a ChunkDecodeError naming the chunk and the check": async (ctx) => stuckChunkIsTyped(await ctx.faultFixtureUrl()),
  "HTML pages, hangs, cut bodies and 503s through fetch are retried, then named, without the URL's query": async (ctx) =>
    storeFaultsThroughFetch(await ctx.faultFixtureUrl()),
} satisfies Cases;
