/**
 * Entry point of a fetch worker: fetches and decodes chunks off the main
 * thread. Runs as a Web Worker (browser, Deno) or a worker_threads worker (Node,
 * from the bundled dist/fetch-worker.js). Speaks the batched protocol of
 * ./protocol.ts through {@link serveFetchWorker}.
 */
import { serveFetchWorker } from "./fetch-worker-api.ts";
import type { ToWorker } from "./protocol.ts";

const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === "string" &&
  typeof (globalThis as { Deno?: unknown }).Deno === "undefined" && typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === "undefined";

if (isNode) {
  const specifier = "node:worker_threads";
  const { parentPort } = (await import(/* @vite-ignore */ specifier)) as typeof import("node:worker_threads");
  if (!parentPort) throw new Error("fetch-worker must run inside a worker thread");
  const port = parentPort;
  const handle = serveFetchWorker((message, transfer) => port.postMessage(message, transfer));
  port.on("message", (message: ToWorker) => handle(message));
} else {
  const scope = globalThis as unknown as {
    postMessage(message: unknown, transfer: Transferable[]): void;
    onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  };
  const handle = serveFetchWorker((message, transfer) => scope.postMessage(message, transfer));
  scope.onmessage = (e) => handle(e.data);
}
