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

async function ownEndpoint(): Promise<Comlink.Endpoint> {
  if (!isNode) return globalThis as unknown as Comlink.Endpoint;
  const specifier = "node:worker_threads";
  const { parentPort } = (await import(/* @vite-ignore */ specifier)) as typeof import("node:worker_threads");
  if (!parentPort) throw new Error("fetch-worker must run inside a worker thread");
  return nodeEndpoint(parentPort);
}

// One endpoint both ways: the API is exposed on it, and the pool's answer sink wrapped from it.
const tally: MessageTally = { sent: 0, received: 0 };
const endpoint = countedEndpoint(await ownEndpoint(), tally);
const answers = Comlink.wrap<AnswerSink>(endpoint).answers;
const api = createFetchWorkerApi((batch, buffers) => {
  const before = tally.sent;
  // The pool's reply is not awaited; a batch that could not be posted rejects here, and the
  // caller learns it from the tally (the post runs synchronously inside the call).
  answers(Comlink.transfer(batch, buffers)).catch(() => {});
  return tally.sent > before;
});
Comlink.expose(api, endpoint);
