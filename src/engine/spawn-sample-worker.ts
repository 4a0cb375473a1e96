/**
 * Start one sample worker of the CPU executor, the way the fetch workers start
 * (`src/worker/spawn.ts`): a module worker in browsers and Deno, a worker_threads worker running
 * the bundled dist/sample-worker.js in Node. Plain messages both ways: one order per task, one
 * answer per task.
 */
import { nodeLifetime, webLifetime, type WorkerLifetime } from "../worker/lifetime.ts";
import { runtime } from "../worker/spawn.ts";
import type { SampleWorkerAnswer, SampleWorkerOrder } from "./sample-protocol.ts";

/** A started sample worker. */
export interface SampleWorkerHandle extends WorkerLifetime {
  post(order: SampleWorkerOrder): void;
  /** Hear every answer. */
  onAnswer(listener: (a: SampleWorkerAnswer) => void): void;
}

/** Start a sample worker named `name` in the current runtime. */
export async function spawnSampleWorker(name: string): Promise<SampleWorkerHandle> {
  return runtime() === "node" ? await spawnNode(name) : spawnWeb(name);
}

function spawnWeb(name: string): SampleWorkerHandle {
  // scripts/build.mjs rewrites this URL to "./sample-worker.js" in the built package, the form
  // bundlers recognise as a worker.
  const worker = new Worker(new URL("./sample-worker.ts", import.meta.url), { type: "module", name });
  return {
    post: (order) => worker.postMessage(order),
    onAnswer: (listener) => worker.addEventListener("message", (e: MessageEvent<SampleWorkerAnswer>) => listener(e.data)),
    ...webLifetime(worker),
  };
}

async function spawnNode(name: string): Promise<SampleWorkerHandle> {
  const specifier = "node:worker_threads";
  const { Worker: NodeWorker } = (await import(/* @vite-ignore */ specifier)) as typeof import("node:worker_threads");
  // From sources (tests, tsx) use the bundled worker in dist/; from the bundle, its sibling.
  const here = import.meta.url;
  const url = here.endsWith(".ts") ? new URL("../../dist/sample-worker.js", here) : new URL("./sample-worker.js", here);
  const worker = new NodeWorker(url, { name });
  return {
    post: (order) => worker.postMessage(order),
    onAnswer: (listener) => worker.on("message", listener),
    ...nodeLifetime(worker),
  };
}
