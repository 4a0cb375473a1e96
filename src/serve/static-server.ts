/**
 * A small static file server for zarr data on loopback (Node): range requests,
 * CORS, and confinement to one folder. Used by `npm start`, the benchmarks and
 * the streaming tests (which hook `onRequest` to count or fail requests).
 * @module
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { resolve, sep } from "node:path";

/** What `onRequest` may decide for a request: serve it (after `delayMs`), or answer with a status. */
export type RequestDecision = { status: number } | { delayMs: number } | undefined;

/** Options of {@link serveStatic}. */
export interface StaticServerOptions {
  /** Folder to serve; nothing outside it is reachable. */
  root: string;
  /** Port (default 0 = any free port). */
  port?: number;
  /** Host (default 127.0.0.1: loopback only). */
  host?: string;
  /** Called for every request before it is served; return `{ status }` to answer with that instead. */
  onRequest?: (path: string, req: IncomingMessage) => RequestDecision;
}

/** A running server. */
export interface StaticServer {
  url: string;
  port: number;
  server: Server;
  /** Requests received, by path. */
  requests: Map<string, number>;
  close(): Promise<void>;
}

/** Start serving a folder over HTTP on loopback. */
export async function serveStatic(options: StaticServerOptions): Promise<StaticServer> {
  const root = resolve(options.root);
  const requests = new Map<string, number>();
  const server = createServer((req, res) => {
    handle(root, options, requests, req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => ok());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const host = options.host ?? "127.0.0.1";
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    server,
    requests,
    close: () => new Promise((ok) => {
      server.closeAllConnections?.();
      server.close(() => ok());
    }),
  };
}

async function handle(root: string, options: StaticServerOptions, requests: Map<string, number>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.setHeader("Access-Control-Allow-Origin", "*");
  res.setHeader("Access-Control-Allow-Headers", "Range");
  res.setHeader("Access-Control-Expose-Headers", "Content-Range, Content-Length");
  if (req.method === "OPTIONS") {
    res.writeHead(204).end();
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405).end();
    return;
  }
  const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
  requests.set(path, (requests.get(path) ?? 0) + 1);
  const decision = options.onRequest?.(path, req);
  if (decision && "status" in decision) {
    res.writeHead(decision.status).end();
    return;
  }
  if (decision && decision.delayMs > 0) {
    await new Promise((r) => setTimeout(r, decision.delayMs));
    if (req.destroyed || res.destroyed) return;
  }
  const file = resolve(root, "." + path);
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403).end();
    return;
  }
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new Error("not a file");
    size = s.size;
  } catch {
    res.writeHead(404).end();
    return;
  }
  res.setHeader("Accept-Ranges", "bytes");
  const type = file.endsWith(".json") || /\.z(array|group|attrs)$/.test(file) ? "application/json" : "application/octet-stream";
  res.setHeader("Content-Type", type);
  const range = req.headers.range;
  let start = 0;
  let end = size - 1;
  if (range) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range);
    if (!m || (m[1] === "" && m[2] === "")) {
      res.writeHead(416, { "Content-Range": `bytes */${size}` }).end();
      return;
    }
    if (m[1] === "") {
      start = Math.max(0, size - Number(m[2]));
    } else {
      start = Number(m[1]);
      if (m[2] !== "") end = Math.min(size - 1, Number(m[2]));
    }
    if (start > end || start >= size) {
      res.writeHead(416, { "Content-Range": `bytes */${size}` }).end();
      return;
    }
    res.writeHead(206, { "Content-Range": `bytes ${start}-${end}/${size}`, "Content-Length": String(end - start + 1) });
  } else {
    res.writeHead(200, { "Content-Length": String(size) });
  }
  if (req.method === "HEAD" || size === 0) {
    res.end();
    return;
  }
  createReadStream(file, { start, end }).pipe(res);
}
