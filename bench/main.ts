/**
 * `npm run bench` / `deno task bench`: run the suite, print the table, write the JSON to
 * bench/results/.
 *
 *   --quick               smaller workloads, under 2 minutes on a 2-core machine
 *   --data=<path-or-url>  figure 3 on an existing CellMap-layout dataset
 *   --figures=1,3         only these figures (figure 6 is always measured: the others use it)
 *   --no-gpu              skip the WGSL rows (CPU twin for figures 3 and 4)
 *   --json                print the JSON instead of the table
 *   --out=<dir>           where to write results (default bench/results)
 *   --cache=<dir>         where generated data is kept (default bench/dist/data)
 *   --seed=<n>            random seed (default 1)
 *   --peer                instead of the suite: ours and the Python cellmap-data side by side
 *                         (bench/peer.ts; --peer-dir=<dir>, --peer-data=<dir>, --peer-batches=<n>,
 *                         --peer-before=<bench.js of another build>)
 * @module
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Mode } from "./context.ts";
import { resultTable } from "./lib/report.ts";
import { peerMain, runOursConfig, type OursConfig } from "./peer.ts";
import { runSuite } from "./suite.ts";

/** Parsed command line. */
export interface Cli {
  mode: Mode;
  data?: string;
  figures: number[];
  useGpu: boolean;
  json: boolean;
  out: string;
  cache: string;
  seed: number;
  /** `--peer`: the side-by-side run with the Python library instead of the suite. */
  peer?: { dir?: string; data?: string; batches: number; before?: string };
  /** `--peer-child=<json>`: one configuration of ours for `--peer` (internal). */
  peerChild?: OursConfig;
}

/** Parse the arguments (throws on unknown ones). */
export function parseArgs(args: readonly string[]): Cli {
  const cli: Cli = { mode: "full", figures: [1, 2, 3, 4, 5, 6], useGpu: true, json: false, out: "bench/results", cache: "bench/dist/data", seed: 1 };
  for (const a of args) {
    const [k, v] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, ""];
    switch (k) {
      case "--quick": cli.mode = "quick"; break;
      case "--tiny": cli.mode = "tiny"; break;
      case "--data": cli.data = v; break;
      case "--figures": cli.figures = v.split(",").map(Number).filter((x) => x >= 1 && x <= 6); break;
      case "--no-gpu": cli.useGpu = false; break;
      case "--json": cli.json = true; break;
      case "--out": cli.out = v; break;
      case "--cache": cli.cache = v; break;
      case "--seed": cli.seed = Number(v) || 1; break;
      case "--peer": cli.peer = { ...cli.peer, batches: cli.peer?.batches ?? 10 }; break;
      case "--peer-dir": cli.peer = { batches: 10, ...cli.peer, dir: v }; break;
      case "--peer-data": cli.peer = { batches: 10, ...cli.peer, data: v }; break;
      case "--peer-batches": cli.peer = { ...cli.peer, batches: Number(v) || 10 }; break;
      case "--peer-before": cli.peer = { batches: 10, ...cli.peer, before: v }; break;
      case "--peer-child": cli.peerChild = JSON.parse(v) as OursConfig; break;
      case "--": break;
      default: throw new Error(`unknown argument ${a}; see bench/README.md`);
    }
  }
  return cli;
}

/** Run from a command line; returns the path of the JSON written. */
export async function main(args: readonly string[], command: string): Promise<string> {
  const cli = parseArgs(args);
  if (cli.peerChild) {
    console.log(`PEER_CHILD ${JSON.stringify(await runOursConfig(cli.peerChild))}`);
    return "";
  }
  if (cli.peer) {
    const p = cli.peer;
    const file = await peerMain({ ...(p.dir ? { peerDir: p.dir } : {}), ...(p.data ? { data: p.data } : {}), batches: p.batches, out: cli.out, ...(p.before ? { before: p.before } : {}) }, command, (line) => console.error(`[bench] ${line}`));
    console.error(`[bench] wrote ${file}`);
    return file;
  }
  const result = await runSuite({
    mode: cli.mode,
    ...(cli.data ? { data: cli.data } : {}),
    figures: cli.figures,
    cacheDir: resolve(cli.cache),
    useGpu: cli.useGpu,
    seed: cli.seed,
    log: (line) => console.error(`[bench] ${line}`),
  }, command);
  await mkdir(cli.out, { recursive: true });
  const file = join(cli.out, `${result.startedAt.replace(/[:.]/g, "-")}-${result.env.runtime}-${cli.mode}.json`);
  await writeFile(file, JSON.stringify(result, null, 2) + "\n");
  if (cli.json) console.log(JSON.stringify(result, null, 2));
  else console.log(resultTable(result));
  console.error(`[bench] wrote ${file}`);
  return file;
}

// Entry point when bundled for Node (bench/run.mjs) or run by Deno (bench/run-deno.ts imports main()).
const g = globalThis as { Deno?: unknown; process?: { argv: string[]; env: Record<string, string | undefined> } };
if (g.Deno === undefined && g.process?.env["CELLMAP_BENCH_MAIN"] === "1") {
  const argv = g.process.argv.slice(2);
  main(argv, `npm run bench -- ${argv.join(" ")}`.trim()).then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
