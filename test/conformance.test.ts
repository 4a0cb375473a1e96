// Conformance of the `cellmap-data` command line tool against the scipy oracle.
//
// Every case of <fixtures>/cases.json is run as a user would run it:
//   node bin/cellmap-data.js sample <group> --center=z,y,x --shape=z,y,x --scale=z,y,x
//        --matrix=m00,...,m22 --interp=linear|nearest --pad=VALUE --device=cpu|gpu --out=FILE.npy
// and the .npy it writes is compared with the expected output made by
// test/fixtures/make_fixtures.py (rules: test/helpers/oracle.ts, test/fixtures/README.md).
// `info <group> --json` is checked against manifest.json.
//
// Environment:
//   CELLMAP_FIXTURES             fixture folder (default test/fixtures/out, made on demand)
//   CELLMAP_CONFORMANCE_DEVICES  comma-separated devices (default "cpu,gpu")
//   CELLMAP_CONFORMANCE_JOBS     CLI processes at once (default 2)
//   CELLMAP_CLI                  JSON array: the command prefix (default ["node", "bin/cellmap-data.js"])
//   CELLMAP_PYTHON               Python with scipy and zarr 2.x (default /usr/bin/python3)

import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  compareCase,
  formatTable,
  loadCaseArrays,
  loadCases,
  loadManifest,
  readNpy,
  compareInfo,
  sampleArgs,
  type CaseResult,
} from "./helpers/oracle.ts";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const DEFAULT_FIXTURES = join(ROOT, "test/fixtures/out");
const FIXTURES = resolve(process.env.CELLMAP_FIXTURES ?? DEFAULT_FIXTURES);
const PYTHON = process.env.CELLMAP_PYTHON ?? "/usr/bin/python3";
const SCRIPT = join(ROOT, "test/fixtures/make_fixtures.py");
const DEVICES = (process.env.CELLMAP_CONFORMANCE_DEVICES ?? "cpu,gpu").split(",").map((d) => d.trim()).filter(Boolean);
const JOBS = Math.max(1, Number(process.env.CELLMAP_CONFORMANCE_JOBS ?? 2) || 2);
const CLI: string[] =
  process.env.CELLMAP_CLI !== undefined
    ? (JSON.parse(process.env.CELLMAP_CLI) as string[])
    : [process.execPath, join(ROOT, "bin/cellmap-data.js")];
const CASE_TIMEOUT_MS = 180_000;

/** Make the default fixtures when they are missing or older than the script. */
function ensureFixtures(): void {
  const manifest = join(FIXTURES, "manifest.json");
  if (FIXTURES !== DEFAULT_FIXTURES) {
    if (!existsSync(join(FIXTURES, "cases.json"))) {
      throw new Error(`CELLMAP_FIXTURES=${FIXTURES} holds no cases.json (make it with ${SCRIPT} --out DIR --seed N)`);
    }
    return;
  }
  const stale = !existsSync(manifest) || !existsSync(join(FIXTURES, "cases.json")) ||
    statSync(SCRIPT).mtimeMs > statSync(manifest).mtimeMs;
  if (stale) execFileSync(PYTHON, [SCRIPT, "--out", FIXTURES], { stdio: "inherit" });
}

ensureFixtures();
const CASES = loadCases(FIXTURES);
const MANIFEST = loadManifest(FIXTURES);

function cliMissing(): string | undefined {
  if (process.env.CELLMAP_CLI !== undefined) return undefined;
  const bin = CLI[1]!;
  return existsSync(bin) ? undefined : `${bin} does not exist: the conformance suite needs the command line tool`;
}

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(
      CLI[0]!,
      [...CLI.slice(1), ...args],
      { cwd: ROOT, timeout: CASE_TIMEOUT_MS, maxBuffer: 64 << 20, encoding: "utf8" },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolvePromise({ code, stdout, stderr: stderr || (error?.message ?? "") });
      },
    );
  });
}

async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

interface Outcome {
  result?: CaseResult;
  error?: string;
  command: string;
}

describe.each(DEVICES)("cellmap-data sample --device=%s matches scipy", (device) => {
  const outcomes = new Map<string, Outcome>();
  let outDir = "";

  beforeAll(async () => {
    const missing = cliMissing();
    if (missing !== undefined) throw new Error(missing);
    outDir = mkdtempSync(join(tmpdir(), `cellmap-conformance-${device}-`));
    await pool(CASES, JOBS, async (c) => {
      const file = join(outDir, `${c.name}.npy`);
      const args = [...sampleArgs(c, FIXTURES), `--device=${device}`, `--out=${file}`];
      const command = [...CLI.map((a) => (a === process.execPath ? "node" : a)), ...args].join(" ");
      const r = await run(args);
      if (r.code !== 0) {
        outcomes.set(c.name, { error: `exit ${r.code}: ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`, command });
        return;
      }
      try {
        const got = readNpy(file);
        const ref = loadCaseArrays(FIXTURES, c);
        outcomes.set(c.name, { result: compareCase(c, ref, got.data, got.shape, got.dtype), command });
      } catch (e) {
        outcomes.set(c.name, { error: e instanceof Error ? e.message : String(e), command });
      }
    });
    const table = formatTable(
      CASES.map((c) => {
        const o = outcomes.get(c.name);
        return { label: `${c.name} (L${c.level})`, result: o?.result, ...(o?.error === undefined ? {} : { error: o.error }) };
      }),
    );
    console.log(`\nconformance, --device=${device}, fixtures ${FIXTURES} (seed ${MANIFEST.seed})\n${table}\n`);
  }, 30 * 60_000);

  afterAll(() => {
    if (outDir !== "") rmSync(outDir, { recursive: true, force: true });
  });

  it.each(CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const o = outcomes.get(c.name);
    expect(o, "the case did not run").toBeDefined();
    const problems = o!.error !== undefined ? [o!.error] : o!.result!.failures;
    expect(problems, `${c.name} (--device=${device}) failed:\n  ${problems.join("\n  ")}\n  command: ${o!.command}`).toEqual([]);
  });
});

describe("cellmap-data info --json matches manifest.json", () => {
  it.each(MANIFEST.groups.map((g) => [g.name, g] as const))("%s", async (_name, group) => {
    const missing = cliMissing();
    if (missing !== undefined) throw new Error(missing);
    const r = await run(["info", join(FIXTURES, group.path), "--json"]);
    expect(r.code, `info failed: ${r.stderr}`).toBe(0);
    let info: unknown;
    try {
      info = JSON.parse(r.stdout);
    } catch {
      throw new Error(`info --json did not print JSON: ${r.stdout.slice(0, 300)}`);
    }
    expect(compareInfo(info, group)).toEqual([]);
  }, CASE_TIMEOUT_MS);
});
