#!/usr/bin/env node
// `npm start`: the QA app on the embedded sample dataset.
//
//   1. writes the sample dataset into data/ on first run (scripts/make-sample-data.mjs);
//   2. starts the Vite dev server for demo/ (its pages cross-origin isolated: COOP + COEP);
//   3. serves data/ over HTTP on loopback (range requests, nothing outside data/, symlinks
//      included), with CORS for the app's origin and neuroglancer's, and prints both URLs.
//
// Options: --host H (default 127.0.0.1; both servers bind to it), --port N (app, default 5173 or
// the next free one), --data-port N (default 8000, the port the README examples use, or any free
// port when 8000 is taken), --data DIR (default data), --regenerate (rewrite the sample dataset),
// --cors ORIGIN (one more origin that may read the data; `--cors '*'` lets any page read it),
// --allow-host NAME (a Host name the data server answers besides the loopback names and --host;
// `.example.org` for a domain, `all` for any). Both may repeat.
// `npm start -- --port 8080` passes options through npm.
//
// Also a module: `start(options)` returns { url, dataUrl, datasetUrl, close } (used by the e2e tests).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const USAGE = "usage: npm start -- [--host H] [--port N] [--data-port N] [--data DIR] [--regenerate] [--cors ORIGIN|*]... [--allow-host NAME|all]...";

/** The neuroglancer deployment the app links to: it reads the data server too. */
export const NEUROGLANCER_ORIGIN = "https://neuroglancer-demo.appspot.com";

/** The origins of an app on `port` under every loopback name (and `host`, when it is not one). */
export function appOrigins(host, port) {
  const names = new Set(["127.0.0.1", "localhost", "[::1]", host.includes(":") ? `[${host}]` : host]);
  names.delete("0.0.0.0");
  names.delete("[::]");
  return [...names].map((n) => `http://${n}:${port}`);
}

/** True when `dir` holds a complete sample dataset (the generator writes manifest.json last). */
export function hasSampleData(dir) {
  return ["manifest.json", "sample_v3.zarr", "sample_v2.zarr"].every((f) => existsSync(join(dir, f)));
}

/** Write the sample dataset into `dir` unless it is there, printing the generator's progress. */
export async function ensureSampleData(dir, { regenerate = false, log = console.log } = {}) {
  if (!regenerate && hasSampleData(dir)) return false;
  if (regenerate) await rm(dir, { recursive: true, force: true });
  log(`writing the sample dataset to ${dir} (first run only) ...`);
  await new Promise((ok, fail) => {
    const child = spawn(process.execPath, [join(repo, "scripts/make-sample-data.mjs"), "--out", dir], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
    const forward = (stream) => {
      let rest = "";
      stream.on("data", (b) => {
        const lines = (rest + b.toString()).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) if (line.trim()) log(`  ${line}`);
      });
      stream.on("end", () => rest.trim() && log(`  ${rest}`));
    };
    forward(child.stdout);
    forward(child.stderr);
    child.on("error", fail);
    child.on("exit", (code) => (code === 0 ? ok() : fail(new Error(`the sample dataset generator exited with code ${code}`))));
  });
  return true;
}

/**
 * Start the app, then the data server with CORS for the app's origin.
 * @param {{ host?: string, port?: number, dataPort?: number, dataDir?: string, regenerate?: boolean, cors?: string[], allowHosts?: string[], log?: (s: string) => void, quiet?: boolean }} options
 */
export async function start(options = {}) {
  const log = options.log ?? console.log;
  const host = options.host ?? "127.0.0.1";
  const dataDir = resolve(options.dataDir ?? join(repo, "data"));
  await ensureSampleData(dataDir, { regenerate: options.regenerate ?? false, log });

  const vite = await import("vite");
  // The page reads the data URL when it is served (vite.config.ts), so the app may start first.
  const server = await vite.createServer({
    configFile: join(repo, "vite.config.ts"),
    server: { host, port: options.port ?? 5173, strictPort: options.port !== undefined && options.port !== 0 },
    logLevel: options.quiet ? "error" : "info",
  });
  let data;
  try {
    await server.listen();
    const addr = server.httpServer?.address();
    const appPort = typeof addr === "object" && addr ? addr.port : server.config.server.port;
    const cors = options.cors ?? [];
    // Node 20 cannot run TypeScript: load the library's static server through Vite's module runner.
    const { module: staticServer } = await vite.runnerImport(join(repo, "src/serve/static-server.ts"));
    const anyOrigin = cors.includes("*");
    const serve = (port) => staticServer.serveStatic({
      root: dataDir,
      host,
      port,
      cors: anyOrigin ? "*" : [...appOrigins(host, appPort), NEUROGLANCER_ORIGIN, ...cors],
      // The app's pages are cross-origin isolated (COEP require-corp): the data says who may embed it.
      headers: { "Cross-Origin-Resource-Policy": anyOrigin ? "cross-origin" : "same-site" },
      ...(options.allowHosts?.length ? { allowedHosts: options.allowHosts.includes("all") ? true : options.allowHosts } : {}),
    });
    data = options.dataPort !== undefined
      ? await serve(options.dataPort)
      : await serve(8000).catch((e) => (e?.code === "EADDRINUSE" ? serve(0) : Promise.reject(e)));
  } catch (e) {
    await server.close();
    throw e;
  }
  const datasetUrl = `${data.url}/sample_v3.zarr`;
  process.env["CELLMAP_DATA_URL"] = datasetUrl;
  const url = server.resolvedUrls?.local[0] ?? `http://${host}:${server.config.server.port}/`;
  return {
    url,
    dataUrl: data.url,
    datasetUrl,
    dataDir,
    async close() {
      await server.close();
      await data.close();
    },
  };
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    const port = (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${a} must be a port number (got ${v})`);
      return n;
    };
    if (a === "--host") out.host = value();
    else if (a === "--port") out.port = port(value());
    else if (a === "--data-port") out.dataPort = port(value());
    else if (a === "--data") out.dataDir = value();
    else if (a === "--regenerate") out.regenerate = true;
    else if (a === "--cors") (out.cors ??= []).push(value());
    else if (a === "--allow-host") (out.allowHosts ??= []).push(value());
    else if (a === "-h" || a === "--help") out.help = true;
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const args = parseArgs(process.argv.slice(2));
    if (args.help) {
      console.log(USAGE);
      process.exit(0);
    }
    const app = await start(args);
    console.log("");
    console.log(`  data:  ${app.dataUrl}/  (serving ${app.dataDir})`);
    console.log(`  app:   ${app.url}`);
    console.log("");
    console.log("  Open the app URL in a browser with WebGPU (Chrome/Edge 113+, Safari 26+, Firefox 141+). Ctrl+C stops.");
    const stop = async () => {
      await app.close();
      process.exit(0);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
