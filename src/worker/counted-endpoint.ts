import type { Endpoint } from "comlink";

/** Messages that crossed one or more endpoints, counted as they go. */
export interface MessageTally {
  /** Messages posted (a post that throws, e.g. an uncloneable message, is not counted). */
  sent: number;
  /** Messages received. */
  received: number;
}

/**
 * An endpoint that counts what crosses it into `tally`: every message posted through it and every
 * message that arrives, once each however many listeners hear it. Comlink's calls and replies are
 * messages like any other, so the tally is what really crossed the thread boundary.
 *
 * @example
 * ```ts
 * const tally = { sent: 0, received: 0 };
 * const api = Comlink.wrap<Api>(countedEndpoint(worker, tally));
 * const before = tally.sent;
 * const reply = api.read(batch);
 * const posted = tally.sent > before; // false when the batch could not be cloned
 * ```
 */
export function countedEndpoint(ep: Endpoint, tally: MessageTally): Endpoint {
  const handlers = new Set<EventListenerOrEventListenerObject>();
  const dispatch = (event: MessageEvent) => {
    tally.received++;
    for (const h of [...handlers]) {
      if (typeof h === "function") h(event);
      else h.handleEvent(event);
    }
  };
  return {
    postMessage: (message: unknown, transfer?: Transferable[]) => {
      ep.postMessage(message, transfer);
      tally.sent++;
    },
    addEventListener: (type: string, handler: EventListenerOrEventListenerObject) => {
      if (type !== "message") return ep.addEventListener(type, handler);
      if (handlers.size === 0) ep.addEventListener("message", dispatch as EventListener);
      handlers.add(handler);
    },
    removeEventListener: (type: string, handler: EventListenerOrEventListenerObject) => {
      if (type !== "message") return ep.removeEventListener(type, handler);
      if (!handlers.delete(handler) || handlers.size) return;
      ep.removeEventListener("message", dispatch as EventListener);
    },
    ...(ep.start ? { start: () => ep.start!() } : {}),
  };
}
