import * as Comlink from "comlink";
import { countedEndpoint, type MessageTally } from "./counted-endpoint.ts";
import { nodeEndpoint, portEndpoint } from "./node-endpoint.ts";
import type { AnswerSink, FetchWorkerApi } from "./protocol.ts";

/** A started fetch worker: its comlink proxy, connected to the pool's answer sink, and its lifetime. */
export interface SpawnedWorker {
  /** The worker's exposed API (`Comlink.wrap` of its endpoint). */
  api: Comlink.Remote<FetchWorkerApi>;
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

/**
 * Start one fetch worker in the current runtime, wrap its endpoint with comlink, and connect it to
 * `sink`: the sink is exposed on a new message channel whose other port is transferred to the
 * worker, so answers travel on a channel of their own. Every message on both channels is counted
 * into `tally`. The connect call is not awaited: messages are delivered in order, so the worker
 * has its sink before it sees the first read, and a worker that fails to start reports it through
 * `onFailure` like any other failure.
 */
export async function spawnFetchWorker(name: string, sink: AnswerSink, tally: MessageTally): Promise<SpawnedWorker> {
  const spawned = runtime() === "node" ? await spawnNode(name) : spawnWeb(name);
  const { port1, port2 } = new MessageChannel();
  const failures: Array<(reason: string) => void> = [];
  const fail = (reason: string) => failures.forEach((f) => f(reason));
  spawned.onFailure(fail);
  port1.addEventListener("messageerror", () => fail("an answer could not be deserialized"));
  Comlink.expose(sink, countedEndpoint(portEndpoint(port1), tally));
  const api = Comlink.wrap<FetchWorkerApi>(countedEndpoint(spawned.endpoint, tally));
  api.connect(Comlink.transfer(port2, [port2])).catch((e: unknown) => fail(`could not connect (${(e as Error).message})`));
  // Node: a port with a listener keeps the process alive, like the worker itself.
  const ref = port1 as unknown as { ref?: () => void; unref?: () => void };
  return {
    api,
    onFailure: (listener) => void failures.push(listener),
    setIdle: (idle) => {
      spawned.setIdle(idle);
      if (idle) ref.unref?.();
      else ref.ref?.();
    },
    terminate: () => {
      spawned.terminate();
      port1.close();
    },
  };
}

interface Started {
  endpoint: Comlink.Endpoint;
  onFailure(listener: (reason: string) => void): void;
  setIdle(idle: boolean): void;
  terminate(): void;
}

function spawnWeb(name: string): Started {
  // Browser (Vite bundles this pattern) and Deno (runs the TypeScript directly).
  const worker = new Worker(new URL("./fetch-worker.ts", import.meta.url), { type: "module", name });
  return {
    endpoint: worker,
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

async function spawnNode(name: string): Promise<Started> {
  const specifier = "node:worker_threads";
  const { Worker: NodeWorker } = (await import(/* @vite-ignore */ specifier)) as typeof import("node:worker_threads");
  // From sources (tests, tsx) use the bundled worker in dist/; from the bundle, its sibling.
  const here = import.meta.url;
  const url = here.endsWith(".ts") ? new URL("../../dist/fetch-worker.js", here) : new URL("./fetch-worker.js", here);
  const worker = new NodeWorker(url, { name });
  let terminated = false;
  return {
    endpoint: nodeEndpoint(worker),
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
