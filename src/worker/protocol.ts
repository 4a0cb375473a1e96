/**
 * The comlink API between the worker pool and its fetch workers. Each worker exposes a
 * {@link FetchWorkerApi}, and the pool exposes an {@link AnswerSink} to it on the same endpoint.
 * Both directions batch: every read the pool
 * receives in one turn of the event loop travels to a worker in ONE `read` call, and the reads
 * that finish together travel back in ONE `answers` call, each decoded chunk's buffer transferred
 * (`Comlink.transfer`), so nothing is copied and a batch costs one wake-up of the receiving thread
 * (plus the reply comlink sends for every call).
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

/** The answer of one read, with the id its order carried. */
export interface Answered {
  id: number;
  answer: WorkerAnswer;
}

/** What the pool exposes to a worker: it takes the answers of reads that have finished, in the order they finished. */
export interface AnswerSink {
  answers(batch: Answered[]): void;
}

/** What a worker counted of the calls it received (for diagnostics and tests). */
export interface FetchWorkerCounts {
  /** `read` calls received (batches of reads). */
  readCalls: number;
  /** Reads received in them. */
  reads: number;
  /** `cancel` calls received. */
  cancelCalls: number;
  /** `answers` calls made to the pool (batches of answers posted). */
  answerCalls: number;
}

/** The API a fetch worker exposes over comlink. */
export interface FetchWorkerApi {
  /** Start these reads; their answers come back through the sink. */
  read(reads: ReadOrder[]): void;
  /** Cancel these running reads (their answers still come, as aborted). */
  cancel(ids: number[]): void;
  /** What this worker has received and sent so far. */
  counts(): FetchWorkerCounts;
  /** Forget what was opened for these openings of arrays (their arrays were destroyed). */
  forget(openings: number[]): void;
}
