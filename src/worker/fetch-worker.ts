/**
 * Entry point of a fetch worker: fetches and decodes chunks off the main
 * thread. Runs as a Web Worker (browser, Deno) or a worker_threads worker (Node,
 * from the bundled dist/fetch-worker.js).
 */
import * as Comlink from "comlink";
import { createFetchWorkerApi } from "./fetch-worker-api.ts";
import { nodeEndpoint } from "./node-endpoint.ts";

const api = createFetchWorkerApi((v, buffers) => Comlink.transfer(v, buffers));

const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === "string" &&
  typeof (globalThis as { Deno?: unknown }).Deno === "undefined" && typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === "undefined";

if (isNode) {
  const specifier = "node:worker_threads";
  const { parentPort } = (await import(/* @vite-ignore */ specifier)) as typeof import("node:worker_threads");
  if (!parentPort) throw new Error("fetch-worker must run inside a worker thread");
  Comlink.expose(api, nodeEndpoint(parentPort));
} else {
  Comlink.expose(api);
}
