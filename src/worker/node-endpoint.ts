import type { Endpoint } from "comlink";

/** The part of a Node MessagePort / Worker that comlink needs. */
export interface NodePortLike {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(event: "message", listener: (data: unknown) => void): unknown;
  off(event: "message", listener: (data: unknown) => void): unknown;
  start?: () => void;
}

/** Adapt a Node worker_threads port (data in `message`, not `message.data`) to a comlink endpoint. */
export function nodeEndpoint(port: NodePortLike): Endpoint {
  const listeners = new WeakMap<object, (data: unknown) => void>();
  return {
    postMessage: (message: unknown, transfer?: Transferable[]) => port.postMessage(message, transfer as readonly unknown[]),
    addEventListener: (_type: string, handler: EventListenerOrEventListenerObject) => {
      const l = (data: unknown) => {
        if ("handleEvent" in handler) handler.handleEvent({ data } as MessageEvent);
        else handler({ data } as MessageEvent);
      };
      port.on("message", l);
      listeners.set(handler, l);
    },
    removeEventListener: (_type: string, handler: EventListenerOrEventListenerObject) => {
      const l = listeners.get(handler);
      if (!l) return;
      port.off("message", l);
      listeners.delete(handler);
    },
    start: port.start?.bind(port),
  } as Endpoint;
}
