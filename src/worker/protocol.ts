/**
 * The messages between the worker pool and its fetch workers. Plain data only: requests go out in
 * batches (every read the pool receives in one turn of the event loop travels in one message per
 * worker), answers come back in batches too, with each decoded chunk's buffer in the transfer
 * list, so nothing is copied and a batch costs one wake-up of the thread that receives it.
 * @module
 */
import type { ChunkRequest, ChunkResult } from "./chunk-reader.ts";
import type { WireError } from "./errors-wire.ts";

/** What a fetch worker answers for one read: a result, or a typed error in wire form. */
export type WorkerAnswer = { ok: true; result: ChunkResult } | { ok: false; error: WireError };

/** One read in a batch: the id the answer will carry, and the chunk to read. */
export interface ReadOrder {
  id: number;
  req: ChunkRequest;
}

/** Pool -> worker: start these reads, or cancel these running reads (their answers still come, as aborted). */
export type ToWorker = { type: "read"; reads: ReadOrder[] } | { type: "cancel"; ids: number[] };

/** Worker -> pool: answers of reads that have finished, in the order they finished. */
export interface FromWorker {
  type: "answers";
  answers: Array<{ id: number; answer: WorkerAnswer }>;
}
