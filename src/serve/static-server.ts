/**
 * A small static file server for zarr data on loopback (Node, Deno): range requests, CORS, and
 * confinement to one folder. Used by `npm start`, the benchmarks and the streaming tests (which
 * hook `onRequest` to count or fail requests).
 *
 * What it refuses (see docs/reliability.md, "Data server"):
 * - a `Host` header that is not a loopback name (or the bound host, or `allowedHosts`): 403, so a
 *   web page cannot reach it through DNS rebinding;
 * - a path that leaves the root however it is spelled (`..`, `%2e%2e`, `%2f`, `%5c`), and a
 *   symlink whose target lies outside the root (checked on the resolved real path): 403;
 * - a malformed escape (`/%zz`): 400; a file it may not read: 403; anything but a regular file
 *   (a folder, a FIFO, a socket): 404. Error answers carry only the status text.
 *
 * CORS goes only to the origins in `cors` (none by default); `cors: "*"` answers every origin.
 * @module
 */
import { close, constants, createReadStream, fstat, open, type Stats } from "node:fs";
import { realpath } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from "node:http";
import { join, resolve, sep } from "node:path";
import { allowedOrigin, type CorsPolicy, hostChecker, requestSegments } from "./request-guard.ts";

export { type CorsPolicy, LOOPBACK_HOSTS } from "./request-guard.ts";

/** What `onRequest` may decide for a request: serve it (after `delayMs`), or answer with a status. */
export type RequestDecision = { status: number } | { delayMs: number } | undefined;

/** Options of {@link serveStatic}. */
export interface StaticServerOptions {
  /** Folder to serve; nothing outside it is reachable, not even through a symlink. */
  root: string;
  /** Port (default 0 = any free port). */
  port?: number;
  /** Host (default 127.0.0.1: loopback only). */
  host?: string;
  /**
   * `Host` names answered besides the loopback names and the bound host: exact names, or
   * `.example.org` for a domain and its subdomains; `true` answers any (default: none).
   */
  allowedHosts?: readonly string[] | true;
  /**
   * Origins that get `Access-Control-Allow-Origin` (exact, like `"http://127.0.0.1:5173"`), or
   * `"*"` for every origin (default: none; same-origin pages and non-browser clients need none).
   */
  cors?: CorsPolicy;
  /** Headers added to every answer (e.g. `Cross-Origin-Resource-Policy`). */
  headers?: Readonly<Record<string, string>>;
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
  // The root's real path: symlink targets are checked against it.
  const root = await realpath(resolve(options.root));
  const host = options.host ?? "127.0.0.1";
  const requests = new Map<string, number>();
  const context: Context = {
    root,
    options,
    requests,
    hostOk: hostChecker({ boundHost: host, ...(options.allowedHosts === undefined ? {} : { allowed: options.allowedHosts }) }),
  };
  const server = createServer((req, res) => {
    handle(context, req, res).catch(() => {
      // Never the error's text: it may name files outside the root.
      if (!res.headersSent) answer(res, 500);
      else res.destroy();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? 0, host, () => ok());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
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

interface Context {
  root: string;
  options: StaticServerOptions;
  requests: Map<string, number>;
  hostOk: (header: string | undefined) => boolean;
}

/** End `res` with `status` and its status text as the only body. */
function answer(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  const body = `${STATUS_CODES[status] ?? "Error"}\n`;
  res.writeHead(status, { ...headers, "Content-Type": "text/plain; charset=utf-8", "Content-Length": String(body.length) }); // ASCII
  res.end(body);
}

const isFsError = (e: unknown, ...codes: string[]): boolean => codes.includes((e as { code?: unknown } | null)?.code as string);

async function handle(ctx: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { options, root } = ctx;
  if (!ctx.hostOk(req.headers.host)) {
    answer(res, 403);
    return;
  }
  for (const [k, v] of Object.entries(options.headers ?? {})) res.setHeader(k, v);
  const origin = allowedOrigin(options.cors, req.headers.origin);
  if (options.cors !== undefined && options.cors !== "*") res.setHeader("Vary", "Origin");
  if (origin !== undefined) {
    res.setHeader("Access-Control-Allow-Origin", origin);
    res.setHeader("Access-Control-Allow-Headers", "Range");
    res.setHeader("Access-Control-Expose-Headers", "Content-Range, Content-Length");
  }
  if (req.method === "OPTIONS") {
    res.writeHead(204).end();
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    answer(res, 405);
    return;
  }
  const segments = requestSegments(req.url ?? "/");
  if (!Array.isArray(segments)) {
    answer(res, segments.status);
    return;
  }
  const path = "/" + segments.join("/");
  ctx.requests.set(path, (ctx.requests.get(path) ?? 0) + 1);
  const decision = options.onRequest?.(path, req);
  if (decision && "status" in decision) {
    res.writeHead(decision.status).end();
    return;
  }
  if (decision && decision.delayMs > 0) {
    await new Promise((r) => setTimeout(r, decision.delayMs));
    if (req.destroyed || res.destroyed) return;
  }

  // The real path, after every symlink, must lie inside the (real) root.
  let file: string;
  try {
    file = await realpath(join(root, ...segments));
  } catch (e) {
    answer(res, isFsError(e, "EACCES", "EPERM") ? 403 : 404);
    return;
  }
  if (file !== root && !file.startsWith(root + sep)) {
    answer(res, 403);
    return;
  }
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is then refused as not a file).
  // A plain descriptor, not a FileHandle: the read stream closes it exactly once.
  let fd: number;
  try {
    fd = await new Promise<number>((ok, fail) => open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0), (e, n) => (e ? fail(e) : ok(n))));
  } catch (e) {
    answer(res, isFsError(e, "EACCES", "EPERM") ? 403 : 404);
    return;
  }
  const release = () => close(fd, () => {});
  let stats: Stats;
  try {
    stats = await new Promise<Stats>((ok, fail) => fstat(fd, (e, s) => (e ? fail(e) : ok(s))));
  } catch {
    release();
    answer(res, 404);
    return;
  }
  if (!stats.isFile()) {
    release();
    answer(res, 404);
    return;
  }
  const size = stats.size;
  const body = contentRange(req.headers.range, size);
  if (body === undefined) {
    release();
    answer(res, 416, { "Content-Range": `bytes */${size}` });
    return;
  }
  res.setHeader("Accept-Ranges", "bytes");
  const type = file.endsWith(".json") || /\.z(array|group|attrs)$/.test(file) ? "application/json" : "application/octet-stream";
  res.setHeader("Content-Type", type);
  const { start, end } = body;
  const length = end - start + 1;
  if (body.partial) res.writeHead(206, { "Content-Range": `bytes ${start}-${end}/${size}`, "Content-Length": String(length) });
  else res.writeHead(200, { "Content-Length": String(length) });
  if (req.method === "HEAD" || length === 0) {
    release();
    res.end();
    return;
  }
  // A read error, or a file cut short while it is sent, ends the connection instead of leaving
  // the client waiting for bytes that will not come.
  let sent = 0;
  const stream = createReadStream("", { fd, start, end, autoClose: true });
  stream.on("data", (chunk) => (sent += chunk.length));
  stream.on("error", () => res.destroy());
  stream.on("end", () => {
    if (sent < length) res.destroy();
  });
  res.on("close", () => stream.destroy());
  stream.pipe(res);
}

/** The byte range a `Range` header asks for within `size` bytes, or undefined when unsatisfiable. */
function contentRange(range: string | undefined, size: number): { start: number; end: number; partial: boolean } | undefined {
  if (!range) return { start: 0, end: size - 1, partial: false };
  const m = /^bytes=(\d*)-(\d*)$/.exec(range);
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  let start: number;
  let end = size - 1;
  if (m[1] === "") {
    start = Math.max(0, size - Number(m[2]));
  } else {
    start = Number(m[1]);
    if (m[2] !== "") end = Math.min(size - 1, Number(m[2]));
  }
  if (start > end || start >= size) return undefined;
  return { start, end, partial: true };
}
