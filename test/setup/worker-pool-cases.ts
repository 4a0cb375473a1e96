// The worker pool's batched comlink protocol, shared by the Node, Deno and Chromium suites: reads
// asked in one turn travel to each worker in one comlink call (counted by the pool, by the worker's
// exposed API, and as messages on the endpoints); a batch returns the same bytes as single reads,
// as reading on the calling thread, and as the stored volumes (the oracle: the fixture's source
// arrays, cut into chunks here); an abort or an error inside a batch touches only its own read.
// `baseUrl` serves the fixture of test/setup/array-fixture.ts (raw_v3: uint16 in 8³ chunks,
// sharded; labels_v2: uint8 in 10x16x16 chunks, blosc).
import { AbortedError, ArgumentError, ChunkDecodeError, HttpError, isCellMapError, MetadataError, ValueRangeError } from "../../src/errors.ts";
import { fromWire, toWire } from "../../src/worker/errors-wire.ts";
import type { ChunkRequest, ChunkResult } from "../../src/worker/chunk-reader.ts";
import { WorkerPool, type WorkerPoolStats } from "../../src/worker/pool.ts";
import { FIXTURE_SHAPE, fixtureVolumes } from "./array-fixture-data.ts";
import { caught, check, sameValues } from "./assert.ts";
import type { Cases } from "./cases.ts";

type Vec3 = [number, number, number];

const LABEL_CHUNK: Vec3 = [10, 16, 16];
const RAW_CHUNK: Vec3 = [8, 8, 8];
/** Interior and edge chunks of both arrays (edge chunks are stored full size, padded). */
const LABEL_COORDS: Vec3[] = [[0, 0, 0], [1, 1, 1], [2, 2, 3], [0, 2, 1], [2, 0, 0], [1, 2, 3]];
const RAW_COORDS: Vec3[] = [[0, 0, 0], [1, 2, 3], [3, 5, 6], [2, 4, 5], [0, 1, 6], [3, 0, 0]];

function labels(base: string, coords: Vec3): ChunkRequest {
  return { url: `${base}/labels_v2`, path: "/s0", coords, spatialDims: [0, 1, 2], kind: "u8" };
}

function raw(base: string, coords: Vec3, kind: ChunkRequest["kind"] = "u16"): ChunkRequest {
  return { url: `${base}/raw_v3`, path: "/s0", coords, spatialDims: [0, 1, 2], kind };
}

/** A read that cannot finish by itself: nothing listens there, and the retry waits an hour. */
function unreachable(coords: Vec3): ChunkRequest {
  return {
    url: "http://127.0.0.1:9/unreachable.zarr",
    path: "/s0",
    coords,
    spatialDims: [0, 1, 2],
    kind: "u8",
    storeOptions: { maxTries: 2, backoffMs: 3_600_000 },
  };
}

function allRequests(base: string): ChunkRequest[] {
  return [...LABEL_COORDS.map((c) => labels(base, c)), ...RAW_COORDS.map((c) => raw(base, c))];
}

/** Check a chunk's slot words against the source volume, voxel by voxel inside the volume. */
function checkStored(req: ChunkRequest, result: ChunkResult, what: string): void {
  const { raw: rawVolume, labels: labelVolume } = fixtureVolumes();
  const isLabels = req.url.endsWith("/labels_v2");
  const volume: ArrayLike<number> = isLabels ? labelVolume : rawVolume;
  const chunk = isLabels ? LABEL_CHUNK : RAW_CHUNK;
  check(result.words !== null, `${what}: read as all fill, but the volume has data there`);
  const n = chunk[0] * chunk[1] * chunk[2];
  const got = isLabels ? new Uint8Array(result.words.buffer, 0, n) : new Uint16Array(result.words.buffer, 0, n);
  const [nz, ny, nx] = FIXTURE_SHAPE;
  const actual: number[] = [];
  const expected: number[] = [];
  for (let z = 0; z < chunk[0]; z++) for (let y = 0; y < chunk[1]; y++) for (let x = 0; x < chunk[2]; x++) {
    const [vz, vy, vx] = [req.coords[0]! * chunk[0] + z, req.coords[1]! * chunk[1] + y, req.coords[2]! * chunk[2] + x];
    if (vz >= nz || vy >= ny || vx >= nx) continue;
    actual.push(got[(z * chunk[1] + y) * chunk[2] + x]!);
    expected.push(volume[(vz * ny + vy) * nx + vx]!);
  }
  check(expected.length > 0, `${what}: the chunk lies outside the volume`);
  sameValues(actual, expected, `${what} (stored voxels)`);
}

function sameWords(a: ChunkResult, b: ChunkResult, what: string): void {
  check(a.words !== null && b.words !== null, `${what}: a chunk read as all fill`);
  sameValues(a.words, b.words, what);
}

const tick = () => new Promise<void>((r) => setTimeout(r, 0));

/** Wait until `done()` holds; the test's own timeout bounds the wait. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise<void>((r) => setTimeout(r, 20));
}

/** Wait up to `ms` for `done()`; false if it never held. */
async function within(ms: number, done: () => boolean): Promise<boolean> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) return false;
    await new Promise<void>((r) => setTimeout(r, 20));
  }
  return true;
}

/**
 * Every message that crossed is accounted for by a comlink call and its reply: out go the read
 * and cancel calls and the reply to each answer batch; in come the answer batches and the reply
 * to each call sent. Replies arrive a little after their call, so this waits for them.
 */
async function messagesMatchCalls(pool: WorkerPool): Promise<void> {
  const expected = () => {
    const s = pool.stats;
    return { sent: s.callsSent + s.callsReceived, received: s.callsReceived + s.callsSent };
  };
  await within(5_000, () => pool.stats.messagesSent === expected().sent && pool.stats.messagesReceived === expected().received);
  const s = pool.stats;
  const e = expected();
  check(s.messagesSent === e.sent, `${s.messagesSent} messages sent for ${s.callsSent} calls and ${s.callsReceived} replies, expected ${e.sent}`);
  check(s.messagesReceived === e.received, `${s.messagesReceived} messages received for ${s.callsReceived} answer batches and ${s.callsSent} replies, expected ${e.received}`);
}

/**
 * Twelve reads asked in one turn of a two-worker pool leave in two comlink calls (one per worker,
 * least busy first), and every chunk holds the stored voxels.
 */
export async function oneMessagePerWorkerPerTurn(baseUrl: string): Promise<void> {
  const pool = await WorkerPool.create({ size: 2 });
  try {
    const reqs = allRequests(baseUrl);
    const results = await Promise.all(reqs.map((r) => pool.read(r)));
    const s: WorkerPoolStats = pool.stats;
    check(s.reads === 12 && s.readsSent === 12, `${s.reads} reads asked and ${s.readsSent} sent, expected 12 and 12`);
    check(s.callsSent === 2, `12 reads in one turn took ${s.callsSent} calls, expected 2 (one per worker)`);
    check(s.callsReceived >= 2 && s.callsReceived <= 12, `${s.callsReceived} answer batches for 12 reads on 2 workers`);
    results.forEach((r, i) => checkStored(reqs[i]!, r, `chunk ${reqs[i]!.coords.join("/")} of ${reqs[i]!.url}`));
    check(pool.inFlight === 0, `${pool.inFlight} reads still in flight`);
    await messagesMatchCalls(pool);
  } finally {
    pool.terminate();
  }
}

/**
 * One message carrying N chunk requests returns the same bytes as N single requests (one message
 * each), and as reading on the calling thread.
 */
export async function batchEqualsSingleReads(baseUrl: string): Promise<void> {
  const reqs = allRequests(baseUrl);
  const pool = await WorkerPool.create({ size: 1 });
  const here = await WorkerPool.create({ size: 0 });
  try {
    const batched = await Promise.all(reqs.map((r) => pool.read(r)));
    check(pool.stats.callsSent === 1, `the batch took ${pool.stats.callsSent} calls, expected 1`);
    const single: ChunkResult[] = [];
    for (const r of reqs) single.push(await pool.read(r));
    check(pool.stats.callsSent === 1 + reqs.length, `${reqs.length} single reads took ${pool.stats.callsSent - 1} calls, expected ${reqs.length}`);
    const local: ChunkResult[] = [];
    for (const r of reqs) local.push(await here.read(r));
    check(here.stats.messagesSent === 0 && here.stats.callsSent === 0, "reading on the calling thread posted messages");
    reqs.forEach((r, i) => {
      const what = `chunk ${r.coords.join("/")} of ${r.url}`;
      sameWords(batched[i]!, single[i]!, `${what}: batch vs single`);
      sameWords(batched[i]!, local[i]!, `${what}: worker vs calling thread`);
      check(batched[i]!.bytes > 0 && single[i]!.bytes > 0, `${what}: ${batched[i]!.bytes} and ${single[i]!.bytes} bytes fetched`);
      // Unsharded chunks cost the same bytes either way (a shard's index is read once and kept).
      if (r.url.endsWith("/labels_v2")) check(batched[i]!.bytes === single[i]!.bytes, `${what}: ${batched[i]!.bytes} vs ${single[i]!.bytes} bytes fetched`);
    });
  } finally {
    pool.terminate();
    here.terminate();
  }
}

/**
 * An abort in the middle of a batch rejects only that read, at once, and the worker cancels it
 * (its answer comes back although the read could not end by itself); a read aborted before its
 * batch leaves is never sent. The other reads of both batches hold the stored voxels.
 */
export async function abortInsideBatch(baseUrl: string): Promise<void> {
  const pool = await WorkerPool.create({ size: 1 });
  try {
    const stuck = unreachable([0, 1, 2]);
    const ac = new AbortController();
    const before = labels(baseUrl, [1, 1, 1]);
    const after = raw(baseUrl, [1, 2, 3]);
    const reads = [pool.read(before), pool.read(stuck, { signal: ac.signal }).catch((e: unknown) => e), pool.read(after)];
    await tick();
    const sent: WorkerPoolStats = pool.stats;
    check(sent.callsSent === 1 && sent.readsSent === 3, `the batch left in ${sent.callsSent} calls with ${sent.readsSent} reads, expected 1 with 3`);
    // The stuck read does not hold up the others of its batch.
    const [a, c] = await Promise.all([reads[0]!, reads[2]!]) as [ChunkResult, ChunkResult];
    checkStored(before, a, "read before the aborted one");
    checkStored(after, c, "read after the aborted one");
    const waiting: number = pool.inFlight;
    check(waiting === 1, `${waiting} reads in flight, expected the stuck one`);
    const answered = pool.stats.callsReceived;
    ac.abort();
    const err = await reads[1]!;
    check(isCellMapError(err, "aborted"), `the aborted read gave ${String(err)}, expected an AbortedError`);
    check((err as Error).message.includes("chunk 0/1/2 of http://127.0.0.1:9/unreachable.zarr/s0"), `the abort does not name its chunk: ${(err as Error).message}`);
    const left: number = pool.inFlight;
    check(left === 0, `${left} reads in flight after the abort`);
    const cancelled: WorkerPoolStats = pool.stats;
    check(cancelled.callsSent === 2, `${cancelled.callsSent} calls sent, expected the batch and one cancellation`);
    await until(() => pool.stats.callsReceived > answered);

    // Aborted before its batch leaves: it rejects and never reaches the worker.
    const ac2 = new AbortController();
    const kept = labels(baseUrl, [2, 2, 3]);
    const p1 = pool.read(kept);
    const p2 = pool.read(unreachable([1, 1, 1]), { signal: ac2.signal });
    ac2.abort();
    const err2 = await caught(() => p2, "read aborted before its batch left");
    check(isCellMapError(err2, "aborted"), `gave ${String(err2)}, expected an AbortedError`);
    checkStored(kept, await p1, "the read that stayed in the batch");
    const last: WorkerPoolStats = pool.stats;
    check(last.readsSent === 4, `${last.readsSent} reads sent, expected 4 (the aborted one stays home)`);
    check(pool.inFlight === 0, `${pool.inFlight} reads in flight at the end`);
  } finally {
    pool.terminate();
  }
}

/**
 * An error in one chunk of a batch rejects only that chunk, with its typed error naming the chunk
 * and the array; the other reads of the batch hold the stored voxels.
 */
export async function errorInsideBatch(baseUrl: string): Promise<void> {
  const pool = await WorkerPool.create({ size: 1 });
  try {
    // uint16 values (9000 and up) do not fit the u8 slots asked for: a ValueRangeError.
    const bad = raw(baseUrl, [1, 2, 3], "u8");
    const good = [labels(baseUrl, [0, 0, 0]), raw(baseUrl, [1, 2, 3]), labels(baseUrl, [1, 2, 3])];
    const settled = await Promise.allSettled([pool.read(good[0]!), pool.read(bad), pool.read(good[1]!), pool.read(good[2]!)]);
    check(pool.stats.callsSent === 1, `the batch took ${pool.stats.callsSent} calls, expected 1`);
    const [r0, rb, r1, r2] = settled;
    check(rb!.status === "rejected", "the chunk that does not fit u8 was read");
    const err: unknown = (rb as PromiseRejectedResult).reason;
    check(isCellMapError(err, "value-range"), `gave ${String(err)}, expected a ValueRangeError`);
    const named = err as unknown as { key: string; url: string };
    check(named.key === "1/2/3" && named.url === `${baseUrl}/raw_v3/s0`, `the error names chunk ${named.key} of ${named.url}, expected 1/2/3 of ${baseUrl}/raw_v3/s0`);
    [r0, r1, r2].forEach((r, i) => {
      check(r!.status === "fulfilled", `good read ${i} of the batch failed: ${String((r as PromiseRejectedResult).reason)}`);
      checkStored(good[i]!, (r as PromiseFulfilledResult<ChunkResult>).value, `good read ${i} of the batch`);
    });
    // A read that cannot cross to a worker fails alone, naming the option at fault.
    const custom = { ...labels(baseUrl, [0, 0, 0]), storeOptions: { fetch: globalThis.fetch } };
    const [c0, c1] = await Promise.allSettled([pool.read(custom), pool.read(good[0]!)]);
    check(c0.status === "rejected" && isCellMapError(c0.reason, "argument") && (c0.reason as unknown as { field: string }).field === "storeOptions", `a custom fetch gave ${c0.status === "rejected" ? String(c0.reason) : "a result"}, expected an ArgumentError naming storeOptions`);
    check(c1.status === "fulfilled", "the read beside it failed too");
    const after: WorkerPoolStats = pool.stats;
    check(after.callsSent === 2 && after.readsSent === 5, `after the uncloneable read: ${after.callsSent} calls with ${after.readsSent} reads sent, expected 2 with 5 (it never left)`);
    checkStored(good[0]!, c1.value, "the read beside the uncloneable one");
    check(pool.inFlight === 0, `${pool.inFlight} reads in flight at the end`);
  } finally {
    pool.terminate();
  }
}

/**
 * Every typed error a worker can send keeps its class, tag, fields and message across the
 * boundary (flattened, structured-cloned as postMessage does, rebuilt).
 */
export function errorsCrossTheBoundary(): void {
  const errors = [
    new ChunkDecodeError("http://h/a.zarr/s0", "1/2/3", "could not be decoded (bad blosc header)"),
    new ValueRangeError("http://h/a.zarr/s0", "0/0/1", "element 5 is 300, outside the u8 range"),
    new HttpError("http://h/a.zarr/s0/0/0/0", 503, 4),
    new MetadataError("http://h/a.zarr/s0", "array metadata", "could not be opened"),
    new ArgumentError("storeOptions", "cannot be sent to a fetch worker"),
    new AbortedError("chunk 0/0/0 of http://h/a.zarr/s0"),
  ];
  const fields = ["url", "key", "field", "problem", "status", "attempts"] as const;
  for (const original of errors) {
    const back = fromWire(structuredClone(toWire(original)));
    const what = `${original.name} across the boundary`;
    check(back.constructor === original.constructor, `${what}: came back as ${back.constructor.name}`);
    check(isCellMapError(back, original.tag), `${what}: tag ${(back as { tag?: string }).tag}, expected ${original.tag}`);
    check(back.message === original.message, `${what}: message "${back.message}", expected "${original.message}"`);
    for (const k of fields) {
      const [a, b] = [(original as unknown as Record<string, unknown>)[k], (back as unknown as Record<string, unknown>)[k]];
      check(a === b, `${what}: ${k} is ${String(b)}, expected ${String(a)}`);
    }
  }
}

/**
 * The worker's exposed API counts the calls it receives: reads asked in one turn arrive as ONE
 * `read` call carrying all of them, each later single read as one call more, and the worker's
 * answer batches are the pool's received calls, one for one.
 */
export async function batchIsOneComlinkCall(baseUrl: string): Promise<void> {
  const pool = await WorkerPool.create({ size: 1 });
  try {
    const reqs = allRequests(baseUrl);
    const batched = await Promise.all(reqs.map((r) => pool.read(r)));
    let [w] = await pool.workerCounts();
    check(w !== undefined, "no counts from the worker");
    check(w.readCalls === 1 && w.reads === reqs.length, `the worker received ${w.reads} reads in ${w.readCalls} read calls, expected ${reqs.length} in 1`);
    for (const r of reqs.slice(0, 3)) await pool.read(r);
    [w] = await pool.workerCounts();
    check(w !== undefined && w.readCalls === 4 && w.reads === reqs.length + 3, `after 3 single reads the worker received ${w?.reads} reads in ${w?.readCalls} calls, expected ${reqs.length + 3} in 4`);
    check(w.cancelCalls === 0, `${w.cancelCalls} cancel calls without an abort`);
    const s = pool.stats;
    check(w.answerCalls === s.callsReceived, `the worker made ${w.answerCalls} answer calls, the pool received ${s.callsReceived}`);
    check(s.callsSent === w.readCalls + w.cancelCalls, `the pool made ${s.callsSent} calls, the worker received ${w.readCalls + w.cancelCalls}`);
    batched.forEach((r, i) => checkStored(reqs[i]!, r, `chunk ${reqs[i]!.coords.join("/")} of ${reqs[i]!.url}`));
  } finally {
    pool.terminate();
  }
}

/** Every case, by title, for the case registry (test/setup/cases.ts); the array fixture is served by the runner. */
export const workerPoolCases = {
  "reads asked in one turn travel in one comlink call per worker, with the stored voxels": async (ctx) => oneMessagePerWorkerPerTurn(await ctx.arrayFixtureUrl()),
  "one call carrying N chunk requests returns the same bytes as N single requests and as the calling thread": async (ctx) =>
    batchEqualsSingleReads(await ctx.arrayFixtureUrl()),
  "an abort in the middle of a batch rejects only that read and the worker cancels it": async (ctx) => abortInsideBatch(await ctx.arrayFixtureUrl()),
  "an error in one chunk of a batch rejects only that chunk, with a typed error naming it": async (ctx) => errorInsideBatch(await ctx.arrayFixtureUrl()),
  "a batch of reads is one comlink call on the worker's exposed API": async (ctx) => batchIsOneComlinkCall(await ctx.arrayFixtureUrl()),
  "typed errors keep their class, tag, fields and message across the worker boundary": errorsCrossTheBoundary,
} satisfies Cases;
