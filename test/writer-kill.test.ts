// Kill-and-resume of the dataset writer, in real processes: a child (test/setup/writer-kill-child.ts)
// creates the output of writer-cases' smallOptions and writes every tile; it is SIGKILLed before its
// k-th filesystem call (test/setup/kill-fs-shim.ts; a write is cut half-way), at seeded random
// calls of create() and write() and, run after run, at every call of create(), or after a random
// delay. A rerun (killed again
// in some trials) must open the output, remove the temporary files and resume, and the finished
// output must be byte for byte the output of a clean run.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CellMapDatasetWriter } from "../src/dataset/writer.ts";
import { isCellMapError } from "../src/errors.ts";
import { createFsTarget, TEMPORARY_FILE } from "../src/zarr-write/fs-target.ts";
import { mulberry32 as random } from "./setup/rng.ts";
import { smallOptions as options } from "./setup/writer-cases.ts";

const REPO = join(import.meta.dirname, "..");
const SHIM = join(REPO, "test/setup/kill-fs-shim.ts");
/** In the repository, so that the bundle resolves `webgpu` from node_modules (it never loads it). */
const CHILD = join(REPO, "test/artifacts/writer-kill/child.mjs");
let dir: string;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the child on `out`; killed before its `killAt`-th filesystem call, or after `killAfterMs`. */
function runChild(out: string, format: 2 | 3, kill: { killAt?: number; killAfterMs?: number } = {}): Promise<Run> {
  const env = { ...process.env, CELLMAP_KILL_AT: String(kill.killAt ?? 0) };
  const child = spawn(process.execPath, [CHILD, out, String(format)], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const timer = kill.killAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), kill.killAfterMs);
  return new Promise((ok, fail) => {
    child.on("error", fail);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      ok({ code, signal, stdout, stderr });
    });
  });
}

/** Every file under `root` and its bytes, by relative path. */
function tree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.set(relative(root, path), readFileSync(path));
  }
  return out;
}

function expectSameTree(got: Map<string, Buffer>, want: Map<string, Buffer>, what: string): void {
  expect([...got.keys()].sort(), what).toEqual([...want.keys()].sort());
  for (const [path, bytes] of want) expect(got.get(path)!.equals(bytes), `${what}: ${path} differs from the clean run`).toBe(true);
}


/** Run `jobs` two at a time (the children are separate processes). */
async function inPairs<T>(jobs: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all([0, 1].map(async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  }));
  return out;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cellmap-writer-kill-"));
  mkdirSync(join(REPO, "test/artifacts/writer-kill"), { recursive: true });
  await build({
    entryPoints: [join(REPO, "test/setup/writer-kill-child.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: CHILD,
    external: ["webgpu"],
    logLevel: "warning",
    banner: { js: "import { createRequire as __cmCreateRequire } from 'node:module'; const require = __cmCreateRequire(import.meta.url);" },
    plugins: [{
      name: "kill-fs",
      setup(b) {
        // Every import of node:fs/promises in the library goes through the shim, except the shim's own.
        b.onResolve({ filter: /^(node:)?fs\/promises$/ }, (args) => (args.importer === SHIM ? { path: "node:fs/promises", external: true } : { path: SHIM }));
        // The library loads Node modules through variables (`const fs = "node:fs/promises"; import(fs)`)
        // so that browser bundlers do not follow them; spell those out here so that this bundle does.
        b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
          const text = readFileSync(args.path, "utf8");
          const contents = text.replace(/import\(\/\* @vite-ignore \*\/ (\w+)\)/g, (m, name: string) => {
            const decl = new RegExp(`const ${name} = "(node:[^"]+)"`).exec(text);
            return decl ? `import("${decl[1]}")` : m;
          });
          return { contents, loader: "ts" };
        });
      },
    }],
  });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each([3, 2] as const)("writer killed and rerun (zarr v%i)", (format) => {
  let clean: Map<string, Buffer>;
  let createCalls: number;
  let totalCalls: number;
  let cleanMs: number;

  beforeAll(async () => {
    const t = performance.now();
    const r = await runChild(join(dir, `clean-v${format}`, "out.zarr"), format);
    cleanMs = performance.now() - t;
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    createCalls = Number(/create (\d+)/.exec(r.stdout)![1]);
    totalCalls = Number(/done (\d+)/.exec(r.stdout)![1]);
    clean = tree(join(dir, `clean-v${format}`, "out.zarr"));
    expect([...clean.keys()].some((p) => TEMPORARY_FILE.test(p))).toBe(false);
    expect(clean.has(".cellmap-progress.json")).toBe(true);
  });

  /** Kill at each point in turn (a list per trial: the first run, then reruns), then finish. */
  async function trial(name: string, kills: Array<{ killAt?: number; killAfterMs?: number }>): Promise<{ leftovers: number; killed: number }> {
    const out = join(dir, `v${format}-${name}`, "out.zarr");
    let leftovers = 0;
    let killed = 0;
    for (const kill of kills) {
      const r = await runChild(out, format, kill);
      if (r.signal === "SIGKILL") killed++;
      else expect(r, `${name}: a run that was not killed must finish`).toMatchObject({ code: 0, stderr: "" });
      try {
        leftovers += [...tree(out).keys()].filter((p) => TEMPORARY_FILE.test(p)).length;
      } catch {
        // Killed before the folder was made.
      }
    }
    const last = await runChild(out, format);
    expect(last.stderr, `${name}: the rerun`).toBe("");
    expect(last.code, `${name}: the rerun`).toBe(0);
    expectSameTree(tree(out), clean, name);
    rmSync(join(dir, `v${format}-${name}`), { recursive: true, force: true });
    return { leftovers, killed };
  }

  test("a kill at seeded random calls of create(), a write cut half-way included, then a rerun: the clean output", async () => {
    const rand = random(format * 31);
    const points = Array.from({ length: 4 }, () => 1 + Math.floor(rand() * (createCalls + 1)));
    const results = await inPairs(points.map((k, i) => () => trial(`create-${i}-at-${k}`, [{ killAt: k }])));
    expect(results.every((r) => r.killed === 1)).toBe(true);
  });

  test("run k killed at its call k, for every call of create(), then a rerun: the clean output, no temporary file left", async () => {
    // Each run redoes the calls of the one before (create is idempotent) and gets one call
    // further, so the kills reach every point of create(), each on the output the last kill left.
    const kills = Array.from({ length: createCalls + 1 }, (_, i) => ({ killAt: i + 1 }));
    const r = await trial("create-every-call", kills);
    expect(r.killed).toBe(kills.length);
    // Some kills cut a write: their temporary files were there before the next run, and are gone after.
    expect(r.leftovers).toBeGreaterThan(0);
  });

  test("kills at seeded random calls of write(), some again during the resume, then a rerun: the clean output", async () => {
    const rand = random(format * 7919);
    const at = () => createCalls + 2 + Math.floor(rand() * (totalCalls - createCalls - 1));
    const trials = Array.from({ length: 4 }, (_, i) => (i % 2 === 0 ? [{ killAt: at() }] : [{ killAt: at() }, { killAt: Math.max(1, Math.floor(rand() * totalCalls)) }]));
    const results = await inPairs(trials.map((kills, i) => () => trial(`write-${i}`, kills)));
    expect(results.reduce((n, r) => n + r.killed, 0)).toBeGreaterThanOrEqual(4);
  });

  test("kills after seeded random delays, then a rerun: the clean output", async () => {
    const rand = random(format * 104729);
    const trials = Array.from({ length: 2 }, () => [{ killAfterMs: Math.round(rand() * cleanMs) }]);
    await inPairs(trials.map((kills, i) => () => trial(`time-${i}`, kills)));
  });
});

describe("writer: an output whose create() was killed by an earlier version", () => {
  test("its layout with no progress file is completed and resumed; with other classes it is refused", async () => {
    const path = join(dir, "old-version", "out.zarr");
    expect((await runChild(path, 3)).code).toBe(0);
    const layout = tree(path);
    // What an earlier version left when killed in create(): the layout (written first), no
    // progress file (written last), no chunk.
    rmSync(join(path, ".cellmap-progress.json"));
    for (const p of layout.keys()) if (!p.endsWith("zarr.json") && p !== ".cellmap-progress.json") rmSync(join(path, p));
    const err = await CellMapDatasetWriter.create(options(path, { zarrFormat: 3, classes: ["mito"] })).catch((e: unknown) => e);
    expect(isCellMapError(err, "argument") && (err as unknown as { field: string }).field).toBe("path");
    const resumed = await CellMapDatasetWriter.create(options(path, { zarrFormat: 3 }));
    expect([...resumed.pendingTiles()].length).toBe(resumed.length);
    await resumed.close();
    expect(tree(path).has(".cellmap-progress.json")).toBe(true);
    // A group the writer did not make is still refused.
    rmSync(join(path, ".cellmap-progress.json"));
    const foreign = JSON.parse(layout.get("zarr.json")!.toString()) as { attributes: Record<string, unknown> };
    foreign.attributes = {};
    writeFileSync(join(path, "zarr.json"), JSON.stringify(foreign));
    const refused = await CellMapDatasetWriter.create(options(path, { zarrFormat: 3 })).catch((e: unknown) => e);
    expect(isCellMapError(refused, "argument") && refused.message).toMatch(/did not start/);
  });
});

describe("writer: temporary files", () => {
  const touch = (root: string, rel: string) => {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), "x");
  };

  test("removeTemporaryFiles deletes <file>.tmp-<random> files (of one key, or all of them) and nothing else", async () => {
    const root = join(dir, "tmp-files");
    const temporary = ["a/b/0.tmp-abc12345", "zarr.json.tmp-0", "a/zarr.json.tmp-zz9"];
    const kept = ["a/b/0", "a/notes.tmp-ABC", "a/b/1.tmp-123456789", "a/b/x.tmp-", "tmp-abc"];
    for (const f of [...temporary, ...kept]) touch(root, f);
    const target = createFsTarget(root);
    expect(await target.removeTemporaryFiles("zarr.json")).toBe(1);
    expect(await target.removeTemporaryFiles()).toBe(2);
    expect([...tree(root).keys()].sort()).toEqual([...kept].sort());
  });

  test("create() in a folder that holds no output removes only its progress file's temporary files", async () => {
    const path = join(dir, "not-empty");
    touch(path, "mine/data.tmp-abc");
    touch(path, ".cellmap-progress.json.tmp-k1");
    const w = await CellMapDatasetWriter.create(options(path, { zarrFormat: 3 }));
    await w.close();
    const files = [...tree(path).keys()];
    expect(files).toContain("mine/data.tmp-abc");
    expect(files.filter((f) => f.startsWith(".cellmap-progress.json."))).toEqual([]);
    // Once the output is its own, a rerun removes every temporary file under it (mine/data.tmp-abc too).
    touch(path, "mito/s0/c/0/0/0.tmp-k2");
    await (await CellMapDatasetWriter.create(options(path, { zarrFormat: 3 }))).close();
    expect([...tree(path).keys()].filter((f) => TEMPORARY_FILE.test(f))).toEqual([]);
  });
});
