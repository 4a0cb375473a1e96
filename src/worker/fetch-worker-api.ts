import { ChunkReader } from "./chunk-reader.ts";
import { toWire } from "./errors-wire.ts";
import { nextTurn } from "./next-turn.ts";
import type { FromWorker, ToWorker, WorkerAnswer } from "./protocol.ts";

/** Posts a message to the pool, moving the listed buffers. */
export type PostToPool = (message: FromWorker, transfer: ArrayBuffer[]) => void;

/**
 * The worker side of the pool protocol: runs every read of a batch at once (the store's
 * request limit bounds the fetches, so one chunk's fetch never waits for another's decoding),
 * and sends answers back in batches: an answer is held until the current turn of the event loop
 * ends, so chunks finishing together travel in one message, and is sent at once when it was the
 * last read running. Decoded buffers are transferred, never copied.
 *
 * @param post sends a message to the pool (`postMessage` of the worker's port)
 * @returns the handler of the pool's messages
 * @example
 * ```ts
 * const handle = serveFetchWorker((m, transfer) => self.postMessage(m, transfer));
 * self.onmessage = (e) => handle(e.data);
 * ```
 */
export function serveFetchWorker(post: PostToPool): (message: ToWorker) => void {
  const reader = new ChunkReader();
  const running = new Map<number, AbortController>();
  let outbox: FromWorker["answers"] = [];
  let transfer: ArrayBuffer[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    if (!outbox.length) return;
    const answers = outbox;
    const buffers = transfer;
    outbox = [];
    transfer = [];
    try {
      post({ type: "answers", answers }, buffers);
    } catch {
      // Something in the batch could not be moved: send each answer alone, copied, and an
      // answer that cannot be sent at all as its read's error.
      for (const a of answers) {
        try {
          post({ type: "answers", answers: [a] }, []);
        } catch (e) {
          post({ type: "answers", answers: [{ id: a.id, answer: { ok: false, error: toWire(e) } }] }, []);
        }
      }
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

  return (message: ToWorker) => {
    if (message.type === "cancel") {
      for (const id of message.ids) running.get(id)?.abort();
      return;
    }
    for (const { id, req } of message.reads) {
      const ac = new AbortController();
      running.set(id, ac);
      reader.read(req, ac.signal).then(
        (result) => answer(id, { ok: true, result }),
        (e: unknown) => answer(id, { ok: false, error: toWire(e) }),
      );
    }
  };
}
