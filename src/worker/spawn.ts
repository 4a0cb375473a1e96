import * as Comlink from "comlink";
import { countedEndpoint, type MessageTally } from "./counted-endpoint.ts";
import { nodeEndpoint } from "./node-endpoint.ts";
import type { AnswerSink, FetchWorkerApi } from "./protocol.ts";
import { nodeLifetime, webLifetime, type WorkerLifetime } from "./lifetime.ts";

/** A started fetch worker: its comlink proxy (the pool's answer sink exposed to it), and its lifetime. */
export interface SpawnedWorker extends WorkerLifetime {
  /** The worker's exposed API (`Comlink.wrap` of its endpoint). */
  api: Comlink.Remote<FetchWorkerApi>;
}

/** Which JavaScript runtime we are in. */
export function runtime(): "deno" | "node" | "browser" {
  const g = globalThis as { Deno?: unknown; process?: { versions?: { node?: string } } };
  if (g.Deno !== undefined) return "deno";
  if (typeof g.process?.versions?.node === "string" && typeof (globalThis as { window?: unknown }).window === "undefined") return "node";
  return "browser";
}

/**
 * Start one fetch worker in the current runtime and speak comlink with it both ways on its own
 * endpoint: the pool wraps the worker's exposed {@link FetchWorkerApi}, and exposes `sink`, which
 * the worker wraps to send its answers. The two share the endpoint without mixing: comlink's
 * `expose` ignores replies (they carry no call type) and its `wrap` ignores calls (their ids are
 * not among the replies it awaits). Every message is counted into `tally`, once each.
 */
export async function spawnFetchWorker(name: string, sink: AnswerSink, tally: MessageTally): Promise<SpawnedWorker> {
  const spawned = runtime() === "node" ? await spawnNode(name) : spawnWeb(name);
  const endpoint = countedEndpoint(spawned.endpoint, tally);
  Comlink.expose(sink, endpoint);
  return { ...spawned, api: Comlink.wrap<FetchWorkerApi>(endpoint) };
}

interface Started extends WorkerLifetime {
  endpoint: Comlink.Endpoint;
}

function spawnWeb(name: string): Started {
  // Browser and Deno. From the sources (Deno, JSR, Vite's dev server) the worker is the .ts file;
  // scripts/build.mjs rewrites this URL to "./fetch-worker.js" in the built package, so that
  // bundlers (Vite, webpack, esbuild) see the `new Worker(new URL("./fetch-worker.js",
  // import.meta.url), { type: "module" })` form they bundle as a worker.
  const worker = new Worker(new URL("./fetch-worker.ts", import.meta.url), { type: "module", name });
  return { endpoint: worker, ...webLifetime(worker) };
}

async function spawnNode(name: string): Promise<Started> {
  const specifier = "node:worker_threads";
  const { Worker: NodeWorker } = (await import(/* @vite-ignore */ specifier)) as typeof import("node:worker_threads");
  // From sources (tests, tsx) use the bundled worker in dist/; from the bundle, its sibling.
  const here = import.meta.url;
  const url = here.endsWith(".ts") ? new URL("../../dist/fetch-worker.js", here) : new URL("./fetch-worker.js", here);
  const worker = new NodeWorker(url, { name });
  return { endpoint: nodeEndpoint(worker), ...nodeLifetime(worker) };
}
