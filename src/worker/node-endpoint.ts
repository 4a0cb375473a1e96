import type { Endpoint } from "comlink";

/** The part of a Node `Worker`, `parentPort` or `MessagePort` that a comlink endpoint needs. */
export interface NodePortLike {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(event: "message", listener: (data: unknown) => void): unknown;
  off(event: "message", listener: (data: unknown) => void): unknown;
  start?: () => void;
}

/**
 * Adapt a Node worker_threads port or `Worker` (an event emitter that hands listeners the data
 * itself) to the endpoint comlink expects (listeners that get `{ data }`).
 *
 * @example
 * ```ts
 * import { parentPort } from "node:worker_threads";
 * Comlink.expose(api, nodeEndpoint(parentPort!));
 * ```
 */
export function nodeEndpoint(port: NodePortLike): Endpoint {
  const adapted = new WeakMap<EventListenerOrEventListenerObject, (data: unknown) => void>();
  return {
    postMessage: (message: unknown, transfer?: Transferable[]) => port.postMessage(message, transfer as readonly unknown[] | undefined),
    addEventListener: (_type: string, handler: EventListenerOrEventListenerObject) => {
      const listener = (data: unknown) => {
        const event = { data } as MessageEvent;
        if (typeof handler === "function") handler(event);
        else handler.handleEvent(event);
      };
      adapted.set(handler, listener);
      port.on("message", listener);
    },
    removeEventListener: (_type: string, handler: EventListenerOrEventListenerObject) => {
      const listener = adapted.get(handler);
      if (!listener) return;
      port.off("message", listener);
      adapted.delete(handler);
    },
    ...(port.start ? { start: () => port.start!() } : {}),
  };
}

