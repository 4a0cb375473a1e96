import type * as Comlink from "comlink";
import type { MessageTally } from "./counted-endpoint.ts";
import type { Answered, FetchWorkerApi, ReadOrder } from "./protocol.ts";
import { spawnFetchWorker, type SpawnedWorker } from "./spawn.ts";

/** One worker of a pool and what waits to be sent to it. */
export interface Slot {
  worker: SpawnedWorker;
  name: string;
  /** The worker's `read` and `cancel`, kept so that a call creates no new comlink proxy. */
  read: Comlink.Remote<FetchWorkerApi>["read"];
  cancel: Comlink.Remote<FetchWorkerApi>["cancel"];
  /** Reads sent or queued and not yet answered. */
  inFlight: number;
  /** Other calls awaiting their reply (`workerCounts`); like reads, they keep a Node process alive. */
  queries: number;
  /** Reads waiting for the next batch call. */
  queued: ReadOrder[];
  /** Ids to cancel in the next call. */
  cancels: number[];
  /** Openings to forget in the next call. */
  forgets: number[];
  /** Why the worker stopped, once it has. */
  failed: string | undefined;
}

/**
 * Start a worker as an idle slot: its batches of answers go to `receive`, and `fail` hears why
 * it stopped.
 */
export async function spawnSlot(
  name: string,
  receive: (batch: Answered[]) => void,
  tally: MessageTally,
  fail: (slot: Slot, reason: string) => void,
): Promise<Slot> {
  // The answer sink of this worker: one call per batch of finished reads.
  const sink = { answers: (batch: Answered[]) => receive(batch) };
  const worker = await spawnFetchWorker(name, sink, tally);
  const slot: Slot = { worker, name, read: worker.api.read, cancel: worker.api.cancel, inFlight: 0, queries: 0, queued: [], cancels: [], forgets: [], failed: undefined };
  worker.onFailure((reason) => fail(slot, reason));
  worker.setIdle(true);
  return slot;
}

/** The worker for a read: by affinity when it has one, else the least busy; undefined while none is running. */
export function pickSlot(slots: readonly Slot[], affinity: string | number | undefined): Slot | undefined {
  const live = slots.filter((s) => s.failed === undefined);
  if (!live.length) return undefined;
  if (affinity !== undefined) return live[(typeof affinity === "number" ? mix(affinity) : hash(affinity)) % live.length];
  let best = live[0]!;
  for (const s of live) if (s.inFlight < best.inFlight) best = s;
  return best;
}

/** An integer's bits mixed (a 32-bit finalizer over both halves), for affinity: neighbours spread over workers. */
function mix(n: number): number {
  let h = (n >>> 0) ^ Math.imul(Math.floor(n / 2 ** 32) >>> 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A small string hash (FNV-1a), for affinity. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
