/**
 * Entry point of a fetch worker: fetches and decodes chunks off the main thread. Runs as a Web
 * Worker (browser, Deno) or a worker_threads worker (Node, from the bundled dist/fetch-worker.js).
 * Exposes the {@link FetchWorkerApi} of ./protocol.ts with comlink and answers through the
 * pool's {@link AnswerSink}, wrapped from the same endpoint: one comlink call per batch of
 * finished reads.
 */
import * as Comlink from "comlink";
import { countedEndpoint, type MessageTally } from "./counted-endpoint.ts";
import { createFetchWorkerApi } from "./fetch-worker-api.ts";
import { nodeEndpoint } from "./node-endpoint.ts";
import type { AnswerSink } from "./protocol.ts";

const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === "string" &&
  typeof (globalThis as { Deno?: unknown }).Deno === "undefined" && typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === "undefined";

/**
 * Expose the worker's API on `own` and wrap the pool's answer sink from it: one endpoint both ways.
 */
function serve(own: Comlink.Endpoint): void {
  const tally: MessageTally = { sent: 0, received: 0 };
  const endpoint = countedEndpoint(own, tally);
  const answers = Comlink.wrap<AnswerSink>(endpoint).answers;
  const api = createFetchWorkerApi((batch, buffers) => {
    const before = tally.sent;
    // The pool's reply is not awaited; a batch that could not be posted rejects here, and the
    // caller learns it from the tally (the post runs synchronously inside the call).
    answers(Comlink.transfer(batch, buffers)).catch(() => {});
    return tally.sent > before;
  });
  Comlink.expose(api, endpoint);
}

// No top-level await: bundlers build workers in formats that cannot have it (Vite's default is
// iife). Node's parentPort keeps the pool's first messages queued until a listener is attached.
if (isNode) {
  const specifier = "node:worker_threads";
  void (import(/* @vite-ignore */ specifier) as Promise<typeof import("node:worker_threads")>).then(({ parentPort }) => {
    if (!parentPort) throw new Error("fetch-worker must run inside a worker thread");
    serve(nodeEndpoint(parentPort));
  });
} else {
  serve(globalThis as unknown as Comlink.Endpoint);
}
