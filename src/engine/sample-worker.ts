/**
 * Entry point of a sample worker of the CPU executor: runs resample slabs over the shared chunk
 * cache into the shared output, and passes over shared batch arrays ({@link SampleTask}), one message per task and one answer per
 * task. Runs as a Web Worker (browser, Deno) or a worker_threads worker (Node, from the bundled
 * dist/sample-worker.js). A task that throws answers with its error in wire form; the worker
 * goes on with the next one.
 */
import { toWire } from "../worker/errors-wire.ts";
import { runSampleTask } from "./sample-task.ts";
import type { SampleWorkerAnswer, SampleWorkerOrder } from "./sample-protocol.ts";

const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === "string" &&
  typeof (globalThis as { Deno?: unknown }).Deno === "undefined" && typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === "undefined";

function answer(order: SampleWorkerOrder): SampleWorkerAnswer {
  try {
    runSampleTask(order.task);
    return { id: order.id, ok: true };
  } catch (e) {
    return { id: order.id, ok: false, error: toWire(e) };
  }
}

// No top-level await: bundlers build workers in formats that cannot have it.
if (isNode) {
  const specifier = "node:worker_threads";
  void (import(/* @vite-ignore */ specifier) as Promise<typeof import("node:worker_threads")>).then(({ parentPort }) => {
    if (!parentPort) throw new Error("sample-worker must run inside a worker thread");
    parentPort.on("message", (order: SampleWorkerOrder) => parentPort.postMessage(answer(order)));
  });
} else {
  const scope = globalThis as unknown as { onmessage: ((e: MessageEvent<SampleWorkerOrder>) => void) | null; postMessage(m: unknown): void };
  scope.onmessage = (e) => scope.postMessage(answer(e.data));
}
