// Generate the deterministic sample dataset (raw EM + ground-truth crops) as zarr v3 sharded
// (OME-NGFF 0.5) and zarr v2 blosc (OME-NGFF 0.4), plus manifest.json, under --out.
//
//   Deno:  node_modules/.bin/deno run -A scripts/make-sample-data.ts [--out data] [--seed 1]
//   Node:  node scripts/make-sample-data.mjs [--out data] [--seed 1]
//          (Node 20 cannot run TypeScript: the .mjs bundles this file with esbuild, then runs it)
//
// Options: --out DIR (default data), --seed N (1), --name NAME (sample), --size Z,Y,X (96,192,192),
// --levels N (3), --formats 3,2 (both), --quiet. Writes DIR/<name>_v3.zarr, DIR/<name>_v2.zarr and
// DIR/manifest.json; the same seed always writes the same bytes.
import process from "node:process";
import { generateSampleDataset, type SampleDatasetOptions } from "../src/sample-data/index.ts";
import { createFsTarget } from "../src/zarr-write/fs-target.ts";

const USAGE = "usage: make-sample-data [--out DIR] [--seed N] [--name NAME] [--size Z,Y,X] [--levels N] [--formats 3,2] [--quiet]";

function parse(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-h" || a === "--help") out["help"] = "1";
    else if (a === "--quiet") out["quiet"] = "1";
    else if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
      else out[a.slice(2)] = argv[++i] ?? "";
    } else throw new Error(`unexpected argument ${JSON.stringify(a)}\n${USAGE}`);
  }
  return out;
}

function ints(s: string, field: string): number[] {
  const v = s.split(",").map((x) => Number(x));
  if (v.some((x) => !Number.isInteger(x))) throw new Error(`--${field} must be integers separated by commas (got ${s})`);
  return v;
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  if (args["help"] !== undefined) {
    console.log(USAGE);
    return 0;
  }
  const known = new Set(["out", "seed", "name", "size", "levels", "formats", "quiet", "help"]);
  for (const k of Object.keys(args)) if (!known.has(k)) throw new Error(`unknown option --${k}\n${USAGE}`);
  const out = args["out"] ?? "data";
  const quiet = args["quiet"] !== undefined;
  const options: SampleDatasetOptions = {
    seed: args["seed"] === undefined ? 1 : ints(args["seed"], "seed")[0]!,
    ...(args["name"] === undefined ? {} : { name: args["name"] }),
    ...(args["size"] === undefined ? {} : { size: ints(args["size"], "size") }),
    ...(args["levels"] === undefined ? {} : { levels: ints(args["levels"], "levels")[0]! }),
    ...(args["formats"] === undefined ? {} : { formats: ints(args["formats"], "formats") as (2 | 3)[] }),
    onProgress: (p) => {
      if (!quiet && (p.stage !== "write" || p.message.endsWith("/s0"))) {
        console.log(`[${String(Math.round(p.fraction * 100)).padStart(3)}%] ${p.message}`);
      }
    },
  };
  const started = performance.now();
  const manifest = await generateSampleDataset(createFsTarget(out), options);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`sample dataset (seed ${manifest.seed}) written to ${out}/ in ${seconds} s`);
  for (const copy of manifest.copies) console.log(`  ${out}/${copy.path}  zarr v${copy.zarrFormat}, OME-NGFF ${copy.ngffVersion}`);
  console.log(`  raw      ${manifest.raw.path}  s0 ${manifest.raw.levels[0]!.shape.join("x")} @ ${manifest.raw.levels[0]!.scale.join("x")} nm`);
  for (const crop of manifest.crops) {
    const s0 = crop.levels[0]!;
    console.log(`  ${crop.name.padEnd(8)} ${crop.path}  ${s0.shape.join("x")} @ ${s0.scale.join("x")} nm: ${crop.classes.join(", ")}`);
  }
  console.log(`  ${out}/manifest.json`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
