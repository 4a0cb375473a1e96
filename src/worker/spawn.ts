import * as Comlink from "comlink";
import { nodeEndpoint } from "./node-endpoint.ts";
import type { FetchWorkerApi } from "./protocol.ts";

/** A started fetch worker: its comlink proxy and how to control its lifetime. */
export interface SpawnedWorker {
  api: Comlink.Remote<FetchWorkerApi>;
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
    api: Comlink.wrap<FetchWorkerApi>(worker),
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
  const api = Comlink.wrap<FetchWorkerApi>(nodeEndpoint(worker));
  return {
    api,
    setIdle: (idle) => (idle ? worker.unref() : worker.ref()),
    terminate: () => void worker.terminate(),
  };
}
