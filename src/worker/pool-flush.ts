import { ArgumentError } from "../errors.ts";
import type { MessageTally } from "./counted-endpoint.ts";
import type { Slot } from "./pool-slot.ts";
import type { ReadOrder } from "./protocol.ts";

/** What sending a worker's batch needs of its pool. */
export interface FlushContext {
  readonly stats: { readsSent: number; callsSent: number };
  readonly tally: MessageTally;
  /** The worker stopped answering. */
  fail(slot: Slot, reason: string): void;
  /** A read that could not be sent: settle it and reject it with `error`. */
  unsendable(id: number, error: ArgumentError): void;
}

/** Send what was queued for one worker in this turn: its cancellations, forgets and reads, one call each. */
export function flushSlot(s: Slot, ctx: FlushContext): void {
  if (s.cancels.length) {
    const ids = s.cancels;
    s.cancels = [];
    ctx.stats.callsSent++;
    s.cancel(ids).catch((e: unknown) => ctx.fail(s, `a cancel call failed (${(e as Error).message})`));
  }
  if (s.forgets.length) {
    const openings = s.forgets;
    s.forgets = [];
    ctx.stats.callsSent++;
    s.worker.api.forget(openings).catch((e: unknown) => ctx.fail(s, `a forget call failed (${(e as Error).message})`));
  }
  if (s.queued.length) {
    const reads = s.queued;
    s.queued = [];
    postReads(s, reads, ctx);
  }
}

/**
 * Send a batch in one comlink call; if it cannot be cloned, send its reads one by one so only
 * the culprits fail. The call posts its message synchronously (or throws inside, which comlink
 * turns into a rejection), so the message tally tells at once whether it left.
 */
function postReads(slot: Slot, reads: ReadOrder[], ctx: FlushContext): void {
  const before = ctx.tally.sent;
  const reply = slot.read(reads);
  if (ctx.tally.sent > before) {
    ctx.stats.callsSent++;
    ctx.stats.readsSent += reads.length;
    reply.catch((e: unknown) => ctx.fail(slot, `a read call failed (${(e as Error).message})`));
    return;
  }
  if (reads.length > 1) {
    reply.catch(() => {});
    for (const r of reads) postReads(slot, [r], ctx);
    return;
  }
  const id = reads[0]!.id;
  reply.catch((e: unknown) => {
    ctx.unsendable(id, new ArgumentError("storeOptions", `cannot be sent to a fetch worker (${(e as Error).message}); read with workers: 0 to use functions such as a custom fetch`));
  });
}
