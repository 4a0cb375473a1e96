import { ChunkReader } from "./chunk-reader.ts";
import { toWire } from "./errors-wire.ts";
import { nextTurn } from "./next-turn.ts";
import type { Answered, FetchWorkerApi, FetchWorkerCounts, WorkerAnswer } from "./protocol.ts";

/**
 * Sends one batch of answers to the pool, moving the listed buffers; returns whether it was
 * posted (false when something in it could not be cloned or moved).
 */
export type SendAnswers = (batch: Answered[], transfer: ArrayBuffer[]) => boolean;

/**
 * The worker side of the pool's comlink API: runs every read of a batch at once (the store's
 * request limit bounds the fetches, so one chunk's fetch never waits for another's decoding),
 * and sends answers back in batches: an answer is held until the current turn of the event loop
 * ends, so chunks finishing together travel in one `answers` call, and is sent at once when it
 * was the last read running. Decoded buffers are transferred, never copied.
 *
 * @param send posts a batch of answers to the pool (in the worker: the `answers` method of the
 *   pool's sink, wrapped with comlink, with `Comlink.transfer` of the buffers)
 * @returns the object the worker exposes with `Comlink.expose`
 * @example
 * ```ts
 * const sink = Comlink.wrap<AnswerSink>(self);
 * const api = createFetchWorkerApi((batch, buffers) => (void sink.answers(Comlink.transfer(batch, buffers)), true));
 * Comlink.expose(api, self);
 * ```
 */
export function createFetchWorkerApi(send: SendAnswers): FetchWorkerApi {
  const reader = new ChunkReader();
  const running = new Map<number, AbortController>();
  const counts: FetchWorkerCounts = { readCalls: 0, reads: 0, cancelCalls: 0, answerCalls: 0 };
  let outbox: Answered[] = [];
  let transfer: ArrayBuffer[] = [];
  let scheduled = false;

  const post = (batch: Answered[], buffers: ArrayBuffer[]): boolean => {
    const posted = send(batch, buffers);
    if (posted) counts.answerCalls++;
    return posted;
  };

  const flush = () => {
    scheduled = false;
    if (!outbox.length) return;
    const answers = outbox;
    const buffers = transfer;
    outbox = [];
    transfer = [];
    if (post(answers, buffers)) return;
    // Something in the batch could not be moved: send each answer alone, copied, and an answer
    // that cannot be sent at all as its read's error.
    for (const a of answers) {
      if (post([a], [])) continue;
      let why: unknown;
      try {
        structuredClone(a);
      } catch (e) {
        why = e;
      }
      post([{ id: a.id, answer: { ok: false, error: toWire(why ?? new Error("the answer could not be sent")) } }], []);
    }
  };

  const answer = (id: number, a: WorkerAnswer) => {
    running.delete(id);
    outbox.push({ id, answer: a });
    if (a.ok && a.result.words) transfer.push(a.result.words.buffer as ArrayBuffer);
    if (running.size === 0) flush();
    else if (!scheduled) {
      scheduled = true;
      void nextTurn().then(flush);
    }
  };

  return {
    read(reads) {
      counts.readCalls++;
      counts.reads += reads.length;
      for (const { id, req } of reads) {
        const ac = new AbortController();
        running.set(id, ac);
        reader.read(req, ac.signal).then(
          (result) => answer(id, { ok: true, result }),
          (e: unknown) => answer(id, { ok: false, error: toWire(e) }),
        );
      }
    },
    cancel(ids) {
      counts.cancelCalls++;
      for (const id of ids) running.get(id)?.abort();
    },
    counts() {
      return { ...counts };
    },
    forget(openings) {
      for (const o of openings) reader.forget(o);
    },
  };
}
