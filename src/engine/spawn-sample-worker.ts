/**
 * Start one sample worker of the CPU executor, the way the fetch workers start
 * (`src/worker/spawn.ts`): a module worker in browsers and Deno, a worker_threads worker running
 * the bundled dist/sample-worker.js in Node. Plain messages both ways: one order per task, one
 * answer per task.
 */
import { runtime } from "../worker/spawn.ts";
import type { SampleWorkerAnswer, SampleWorkerOrder } from "./sample-protocol.ts";

/** A started sample worker. */
export interface SampleWorkerHandle {
  post(order: SampleWorkerOrder): void;
  /** Hear every answer. */
  onAnswer(listener: (a: SampleWorkerAnswer) => void): void;
  /** Hear that the worker failed (an uncaught error, a message that could not be read, an exit). */
  onFailure(listener: (reason: string) => void): void;
  /** Let the process exit while this worker is idle (Node); no-op elsewhere. */
  setIdle(idle: boolean): void;
  terminate(): void;
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
    onFailure: (listener) => {
      worker.addEventListener("error", (e: ErrorEvent) => {
        e.preventDefault();
        listener(e.message || "uncaught error");
      });
      worker.addEventListener("messageerror", () => listener("a message could not be deserialized"));
    },
    setIdle: () => {},
    terminate: () => worker.terminate(),
  };
}

async function spawnNode(name: string): Promise<SampleWorkerHandle> {
  const specifier = "node:worker_threads";
  const { Worker: NodeWorker } = (await import(/* @vite-ignore */ specifier)) as typeof import("node:worker_threads");
  // From sources (tests, tsx) use the bundled worker in dist/; from the bundle, its sibling.
  const here = import.meta.url;
  const url = here.endsWith(".ts") ? new URL("../../dist/sample-worker.js", here) : new URL("./sample-worker.js", here);
  const worker = new NodeWorker(url, { name });
  let terminated = false;
  return {
    post: (order) => worker.postMessage(order),
    onAnswer: (listener) => worker.on("message", listener),
    onFailure: (listener) => {
      worker.on("error", (e: Error) => listener(e.message));
      worker.on("messageerror", () => listener("a message could not be deserialized"));
      worker.on("exit", (code: number) => {
        if (!terminated) listener(`exited with code ${code}`);
      });
    },
    setIdle: (idle) => (idle ? worker.unref() : worker.ref()),
    terminate: () => {
      terminated = true;
      void worker.terminate();
    },
  };
}
