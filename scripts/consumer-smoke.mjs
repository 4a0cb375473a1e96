#!/usr/bin/env node
// Uses the package the way its users do: `npm pack`, then the tarball installed into fresh
// projects in a temporary directory (from the npm cache when it can: `--prefer-offline`), with no
// library-specific configuration:
//   node     strict tsc (lib ES2023+DOM, types node) under bundler and nodenext resolution, then a
//            Node program that samples on WebGPU (Dawn) with fetch workers
//   browser  strict tsc without @types/node (bundler, nodenext), `vite build`, and the built app
//            run in headless Chromium: it samples on WebGPU with fetch workers, 0 console errors;
//            the same app from the Vite dev server, reading the data cross-origin
//   deno     a Deno program importing the installed package samples with fetch workers
//   pnpm     the browser program type-checks in pnpm's strict layout (pnpm from the npm registry)
//   jsr      `deno publish --dry-run` passes and publishes only src/, README.md, LICENSE (and deno.json)
// against the sample dataset served on loopback. Exits non-zero when any check fails.
//
//   node scripts/consumer-smoke.mjs [--no-build] [--keep] [--skip=node,browser,chromium,deno,pnpm,jsr]
import { execFile } from "node:child_process";
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const skip = new Set((args.find((a) => a.startsWith("--skip="))?.slice(7) ?? "").split(",").filter(Boolean));
const keep = args.includes("--keep");
const started = Date.now();
const results = [];

/** The version of a package in this repository's node_modules, so the cache has it. */
function installed(name) {
  return JSON.parse(readFileSync(join(repo, "node_modules", name, "package.json"), "utf8")).version;
}

async function sh(cmd, argv, options = {}) {
  try {
    const { stdout, stderr } = await run(cmd, argv, { encoding: "utf8", maxBuffer: 64 << 20, timeout: 300_000, ...options });
    return (stdout + stderr).trim();
  } catch (e) {
    const err = /** @type {{ stdout?: string, stderr?: string, message: string }} */ (e);
    throw new Error(`${cmd} ${argv.join(" ")} failed:\n${`${err.stdout ?? ""}${err.stderr ?? ""}`.trim() || err.message}`);
  }
}

async function check(name, fn) {
  const t = Date.now();
  try {
    const note = await fn();
    results.push(`ok    ${((Date.now() - t) / 1000).toFixed(1).padStart(5)}s  ${name}${note ? `: ${note}` : ""}`);
  } catch (e) {
    results.push(`FAIL  ${((Date.now() - t) / 1000).toFixed(1).padStart(5)}s  ${name}`);
    console.error(`\n---- ${name} failed ----\n${e instanceof Error ? e.message : String(e)}\n`);
  }
}

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const env = { ...process.env, DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", npm_config_audit: "false", npm_config_fund: "false" };
const work = await mkdtemp(join(tmpdir(), "cellmap-consumer-"));
// Vulkan's window-system code complains on every instance when this is unset (headless machines).
if (env.XDG_RUNTIME_DIR === undefined) {
  env.XDG_RUNTIME_DIR = join(work, "xdg");
  await mkdir(env.XDG_RUNTIME_DIR, { mode: 0o700 });
}

// ---- the tarball and the sample data ----
if (!args.includes("--no-build")) console.log(await sh(npm, ["run", "--silent", "build"], { cwd: repo, env }));
await sh(npm, ["pack", "--ignore-scripts", "--pack-destination", work], { cwd: repo, env });
const tarball = join(work, (await readdir(work)).find((f) => f.endsWith(".tgz")));
const data = join(work, "data");
await sh(process.execPath, [join(repo, "scripts/make-sample-data.mjs"), "--out", data, "--quiet", "--formats", "3"], { cwd: repo, env });
const ARRAY = "sample_v3.zarr/recon-1/em/fibsem-uint8";

// One loopback server: the Vite-built app at /, the data under /data/, CORS open.
const app = join(work, "browser", "dist");
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
  const [base, rel] = path.startsWith("/data/") ? [data, path.slice(6)] : [app, path === "/" ? "index.html" : path.slice(1)];
  const file = normalize(join(base, rel));
  // CORS as the README asks of data servers: the Vite dev server's page reads the data cross-origin.
  res.setHeader("access-control-allow-origin", "*");
  res.setHeader("access-control-allow-headers", "Range");
  if (req.method === "OPTIONS") {
    res.writeHead(204).end();
    return;
  }
  if (!file.startsWith(resolve(base) + sep) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404).end();
    return;
  }
  const type = file.endsWith(".html") ? "text/html" : file.endsWith(".js") ? "text/javascript" : file.endsWith(".json") || /\.z(attrs|group|array)$/.test(file) ? "application/json" : "application/octet-stream";
  res.writeHead(200, { "content-type": type });
  createReadStream(file).pipe(res);
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const origin = `http://127.0.0.1:${/** @type {import("node:net").AddressInfo} */ (server.address()).port}`;
const arrayUrl = `${origin}/data/${ARRAY}`;

// ---- what each project contains ----
const program = (argument) => `import { CellMapArray, GpuContext, isCellMapError, WorkerPool } from "cellmap-data";
import { prepareValueTransforms } from "cellmap-data/kernels";
import { decodeNpy, encodeNpy } from "cellmap-data/npy";
import { resampleReference } from "cellmap-data/reference";
import { createMemoryTarget } from "cellmap-data/zarr";

const url = ${argument};
try {
  const gpu = await GpuContext.create();
  const device: GPUDevice = gpu.device;
  await prepareValueTransforms(gpu);
  const npy = decodeNpy(encodeNpy(new Float32Array(4), [2, 2]));
  if (npy.shape.join() !== "2,2" || typeof resampleReference !== "function" || createMemoryTarget() === undefined) throw new Error("subpath exports");
  const pool = await WorkerPool.create({ size: 2 });
  const raw = await CellMapArray.open(url, { gpu, pool });
  const shape = [16, 16, 16] as const;
  const batch = await raw.sample([{ center: [384, 384, 384] }], { shape: [...shape], scale: [8, 8, 8] });
  let sum = 0;
  for (const v of batch) sum += v;
  // The chunks came through the fetch workers: their answers crossed the worker boundary.
  const viaWorkers = pool.size === 2 && pool.stats.messagesReceived > 0;
  report(\`\${viaWorkers ? "ok" : "not through workers"} \${batch.length} \${sum} misses=\${raw.stats.misses} limits=\${device.limits.maxBufferSize > 0}\`);
  raw.destroy();
  pool.terminate();
  gpu.destroy();
} catch (e) {
  report(\`error \${isCellMapError(e) ? e.tag + ": " : ""}\${String(e)}\`);
}
`;
const tsconfig = (resolution, types, files) => ({
  compilerOptions: {
    target: "ES2022",
    module: resolution === "bundler" ? "preserve" : "nodenext",
    moduleResolution: resolution,
    lib: ["ES2023", "DOM", "DOM.Iterable"],
    types,
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noEmit: true,
  },
  files,
});

async function project(name, deps, files) {
  const dir = join(work, name);
  await mkdir(join(dir, "src"), { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: `${name}-consumer`, private: true, type: "module" }, null, 2));
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), typeof text === "string" ? text : JSON.stringify(text, null, 2));
  await sh(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball, ...deps], { cwd: dir, env });
  return dir;
}

async function strictTsc(dir, config) {
  const tsc = join(dir, "node_modules", "typescript", "bin", "tsc");
  await sh(process.execPath, [tsc, "-p", config], { cwd: dir, env });
}

const typescript = `typescript@${installed("typescript")}`;
/** pnpm 11 does not run on Node 20. */
const PNPM = "10.34.9";

// ---- Node ----
if (!skip.has("node") || !skip.has("deno")) {
  let dir;
  await check("node: npm install of the tarball (with webgpu, @types/node)", async () => {
    dir = await project("node", [typescript, `@types/node@${installed("@types/node")}`, `webgpu@${installed("webgpu")}`], {
      "src/main.ts": `declare function report(line: string): void;\n${program("process.argv[2] ?? \"\"")}`,
      "tsconfig.bundler.json": tsconfig("bundler", ["node"], ["src/main.ts"]),
      "tsconfig.nodenext.json": tsconfig("nodenext", ["node"], ["src/main.ts"]),
    });
    // The programs that run: the same text with `report` as console.log and the types stripped.
    const body = program("URL_ARG").replace("const device: GPUDevice", "const device").replace(" as const", "");
    await writeFile(join(dir, "main.mjs"), `const report = console.log;\n${body.replace("URL_ARG", "process.argv[2]")}`);
    await writeFile(join(dir, "deno-main.ts"), `const report = console.log;\n${program("Deno.args[0] ?? \"\"")}`);
  });
  if (!skip.has("node") && dir) {
    for (const resolution of ["bundler", "nodenext"]) {
      await check(`node: strict tsc, ${resolution} resolution`, () => strictTsc(dir, `tsconfig.${resolution}.json`));
    }
    await check("node: a program samples with fetch workers (Dawn)", async () => {
      const out = await sh(process.execPath, ["main.mjs", arrayUrl], { cwd: dir, env });
      if (!out.startsWith("ok 4096 ")) throw new Error(out);
      return out;
    });
  }
  if (!skip.has("node") && dir) {
    await check("node: the cellmap-data command of the installed package", async () => {
      const out = await sh(join(dir, "node_modules", ".bin", "cellmap-data"), ["info", arrayUrl], { cwd: dir, env });
      if (!/s0/.test(out)) throw new Error(out);
    });
  }
  if (!skip.has("deno") && dir) {
    await check("deno: a program importing the installed package samples with fetch workers", async () => {
      const out = await sh(join(repo, "node_modules", ".bin", "deno"), ["run", "-A", "--no-lock", "deno-main.ts", arrayUrl], { cwd: dir, env });
      if (!out.startsWith("ok 4096 ")) throw new Error(out);
      return out;
    });
  }
}

// ---- browser: tsc, vite build, Chromium ----
if (!skip.has("browser")) {
  let dir;
  await check("browser: npm install of the tarball (no @types/node)", async () => {
    dir = await project("browser", [typescript, `vite@${installed("vite")}`], {
      "index.html": `<!doctype html>\n<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>cellmap-data consumer</title></head>\n<body><pre id="out">running</pre><script type="module" src="/src/main.ts"></script></body></html>\n`,
      "src/main.ts": `function report(line: string): void {\n  document.getElementById("out")!.textContent = line;\n}\n${program('new URLSearchParams(location.search).get("url") ?? ""')}`,
      "tsconfig.bundler.json": tsconfig("bundler", [], ["src/main.ts"]),
      "tsconfig.nodenext.json": tsconfig("nodenext", [], ["src/main.ts"]),
    });
    if (existsSync(join(dir, "node_modules", "@types", "node"))) throw new Error("@types/node was installed: the browser project must not have it");
    if (existsSync(join(dir, "node_modules", "webgpu"))) throw new Error("webgpu (Dawn) was installed into a browser project");
  });
  if (dir) {
    await check("node without webgpu: GpuContext.create() says what to install", async () => {
      const probe = `import { GpuContext, isCellMapError } from "cellmap-data";
try { await GpuContext.create(); console.log("created"); } catch (e) { console.log(isCellMapError(e, "gpu") ? e.message : "other " + String(e)); }`;
      await writeFile(join(dir, "no-dawn.mjs"), probe);
      const out = await sh(process.execPath, ["no-dawn.mjs"], { cwd: dir, env });
      if (!/not installed.*npm install webgpu/.test(out)) throw new Error(out);
    });
    for (const resolution of ["bundler", "nodenext"]) {
      await check(`browser: strict tsc, ${resolution} resolution`, () => strictTsc(dir, `tsconfig.${resolution}.json`));
    }
    let built = false;
    await check("browser: vite build (no config)", async () => {
      const out = await sh(process.execPath, [join(dir, "node_modules", "vite", "bin", "vite.js"), "build"], { cwd: dir, env });
      const warnings = out.split("\n").filter((l) => /externalized for browser compatibility|INVALID_|error/i.test(l));
      if (warnings.length > 0) throw new Error(`vite build warned:\n${warnings.join("\n")}\n\n${out}`);
      built = true;
    });
    if (built && !skip.has("chromium")) {
      await check("chromium: the Vite-built app samples on WebGPU, 0 console errors", () => chromiumRun(`${origin}/`));
      await check("chromium: the same app from the Vite dev server, data cross-origin", async () => {
        const { createServer: createViteServer } = await import(join(dir, "node_modules", "vite", "dist", "node", "index.js"));
        const vite = await createViteServer({ root: dir, logLevel: "error", server: { host: "127.0.0.1", port: 0 } });
        await vite.listen();
        try {
          return await chromiumRun(vite.resolvedUrls.local[0]);
        } finally {
          await vite.close();
        }
      });
    }
  }
}

/** Open the app at `page` on the sample array in headless Chromium; fail on console errors. */
async function chromiumRun(pageUrl) {
  const { findChromium } = await importTs("test/setup/chromium.ts");
  const executablePath = findChromium();
  if (executablePath === undefined) throw new Error("no Chromium found (see test/setup/chromium.ts)");
  const { chromium } = await import("playwright");
  const browser = await chromium.launch({ executablePath, headless: true, args: ["--enable-unsafe-webgpu"], env });
  try {
    const page = await browser.newPage();
    const problems = [];
    const probes = [];
    let workers = 0;
    page.on("worker", () => workers++);
    page.on("console", (m) => {
      const where = m.location().url;
      // Opening a zarr v3 array makes no zarr v2 request: a 404 for v2 metadata is a probe, and fails.
      if (m.text().startsWith("Failed to load resource") && /\/\.z(attrs|group|array)$/.test(where)) probes.push(where);
      if (m.type() === "error" || /While calling \[|\[Invalid |validation error/i.test(m.text())) problems.push(`console.${m.type()}: ${m.text()} (${where})`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    await page.goto(`${pageUrl}?url=${encodeURIComponent(arrayUrl)}`);
    await page.waitForFunction(() => document.getElementById("out")?.textContent !== "running", null, { timeout: 120_000 });
    const out = (await page.textContent("#out")) ?? "";
    if (!out.startsWith("ok 4096 ") || problems.length > 0 || workers === 0) {
      throw new Error(`page says ${JSON.stringify(out)}; ${workers} workers started\n${problems.join("\n")}`);
    }
    if (probes.length > 0) throw new Error(`opening the v3 array asked for zarr v2 metadata: ${probes.join(", ")}`);
    return `${out}, ${workers} fetch workers, no zarr v2 request`;
  } finally {
    await browser.close();
  }
}

/** Import a TypeScript helper of this repository (plain enough to run once its types are stripped). */
async function importTs(path) {
  const { transform } = await import("esbuild");
  const { code } = await transform(readFileSync(join(repo, path), "utf8"), { loader: "ts", format: "esm" });
  const file = join(work, path.replaceAll("/", "_").replace(/\.ts$/, ".mjs"));
  await writeFile(file, code);
  return import(file);
}

// ---- pnpm: its strict node_modules layout (only declared dependencies are visible) ----
if (!skip.has("pnpm")) {
  await check(`pnpm: install (pnpm ${PNPM}), strict tsc of the browser program, bundler and nodenext`, async () => {
    const dir = join(work, "pnpm");
    await mkdir(join(dir, "src"), { recursive: true });
    await writeFile(join(dir, "package.json"), JSON.stringify({ name: "pnpm-consumer", private: true, type: "module" }));
    await writeFile(join(dir, "src/main.ts"), `function report(line: string): void {\n  console.log(line);\n}\n${program('"http://127.0.0.1:1/"')}`);
    for (const resolution of ["bundler", "nodenext"]) {
      await writeFile(join(dir, `tsconfig.${resolution}.json`), JSON.stringify(tsconfig(resolution, [], ["src/main.ts"])));
    }
    // pnpm itself comes from the npm registry (cached after the first run).
    await sh(npm, ["exec", "--yes", `pnpm@${PNPM}`, "--", "add", "--prefer-offline", tarball, typescript], { cwd: dir, env });
    if (existsSync(join(dir, "node_modules", ".pnpm", "node_modules", "webgpu"))) throw new Error("pnpm installed webgpu (Dawn), an optional peer");
    for (const resolution of ["bundler", "nodenext"]) await strictTsc(dir, `tsconfig.${resolution}.json`);
  });
}

// ---- JSR ----
if (!skip.has("jsr")) {
  await check("jsr: deno publish --dry-run", async () => {
    const out = await sh(join(repo, "node_modules", ".bin", "deno"), ["publish", "--dry-run", "--allow-dirty"], { cwd: repo, env: { ...env, NO_COLOR: "1" } });
    const files = out.split("\n").filter((l) => l.trim().startsWith("file://")).map((l) => l.trim().split(" ")[0].slice(`file://${repo}/`.length));
    const stray = files.filter((f) => !f.startsWith("src/") && !["README.md", "LICENSE", "deno.json"].includes(f));
    if (!/Dry run complete/.test(out) || stray.length > 0) throw new Error(`${stray.length > 0 ? `publishes ${stray.join(", ")}\n` : ""}${out}`);
    return `${files.length} files`;
  });
}

server.close();
if (!keep) await rm(work, { recursive: true, force: true });
else console.log(`kept ${work}`);
console.log(`\n==== consumer smoke (${((Date.now() - started) / 1000).toFixed(0)} s) ====\n${results.join("\n")}`);
process.exit(results.some((r) => r.startsWith("FAIL")) ? 1 : 0);
