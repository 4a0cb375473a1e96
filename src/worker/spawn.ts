import type { FromWorker, ToWorker } from "./protocol.ts";

/** A started fetch worker: its message channel and how to control its lifetime. */
export interface SpawnedWorker {
  /** Send a message (requests carry no buffers, so nothing is transferred this way). */
  post(message: ToWorker): void;
  /** Receive the worker's answers. */
  onMessage(listener: (message: FromWorker) => void): void;
  /** Hear that the worker failed (an uncaught error, a message that could not be read, an exit). */
  onFailure(listener: (reason: string) => void): void;
  /** Let the process exit while this worker is idle (Node); no-op elsewhere. */
  setIdle(idle: boolean): void;
  terminate(): void;
}

/** Which JavaScript runtime we are in. */
export function runtime(): "deno" | "node" | "browser" {
  const g = globalThis as { Deno?: unknown; process?: { versions?: { node?: string } } };
  if (g.Deno !== undefined) return "deno";
  if (typeof g.process?.versions?.node === "string" && typeof (globalThis as { window?: unknown }).window === "undefined") return "node";
  return "browser";
}

/** Start one fetch worker in the current runtime. */
export async function spawnFetchWorker(name: string): Promise<SpawnedWorker> {
  if (runtime() === "node") return spawnNode(name);
  // Browser (Vite bundles this pattern) and Deno (runs the TypeScript directly).
  const worker = new Worker(new URL("./fetch-worker.ts", import.meta.url), { type: "module", name });
  return {
    post: (message) => worker.postMessage(message),
    onMessage: (listener) => worker.addEventListener("message", (e: MessageEvent<FromWorker>) => listener(e.data)),
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

async function spawnNode(name: string): Promise<SpawnedWorker> {
  const specifier = "node:worker_threads";
  const { Worker: NodeWorker } = (await import(/* @vite-ignore */ specifier)) as typeof import("node:worker_threads");
  // From sources (tests, tsx) use the bundled worker in dist/; from the bundle, its sibling.
  const here = import.meta.url;
  const url = here.endsWith(".ts") ? new URL("../../dist/fetch-worker.js", here) : new URL("./fetch-worker.js", here);
  const worker = new NodeWorker(url, { name });
  let terminated = false;
  return {
    post: (message) => worker.postMessage(message),
    onMessage: (listener) => void worker.on("message", listener),
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
