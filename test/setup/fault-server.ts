// A loopback HTTP server over a folder that injects transfer faults into chunk answers, seeded, so
// a run can be repeated fault for fault. Metadata documents are always answered cleanly (faults on
// them are the store's own tests); every other key is a chunk or shard, answered with Range support.
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";
import { join, normalize } from "node:path";
import { mulberry32 } from "./rng.ts";

/** The faults the server can inject into an answer. */
export const FAULT_KINDS = [
  "503", // a 503 answer
  "reset", // the connection dropped before any answer
  "cut-short", // the body cut short, with a Content-Length that matches the short body
  "cut-full", // the body cut short, after a Content-Length announcing all of it
  "html", // a 200 answer carrying an HTML error page
  "hang", // accepted, never answered
  "flip", // one bit flipped where the data can tell (a blosc header, or data under a crc32c)
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultServerOptions {
  /** Chance that an answer to a chunk request carries a fault (0 turns faults off). */
  rate: number;
  /** Which faults to draw from (default: all). */
  kinds?: readonly FaultKind[];
  seed: number;
  /** Keys (paths below the root) whose answers are always faulty, with this fault. */
  always?: Record<string, FaultKind>;
  /** Keys answered 404 for now (an outage that makes chunks look missing). */
  missing?: ReadonlySet<string>;
  /** Where a flipped bit may land, per key: a byte range of the body (default: the whole body). */
  flipRange?: (path: string, body: Uint8Array) => [number, number];
}

export interface FaultServer {
  url: string;
  /** Faults injected so far, by kind. */
  injected: Record<string, number>;
  /** Chunk requests answered so far (faulty or not). */
  requests: number;
  /** Chunk requests so far, by key (the path below the root) and range ("" for whole objects). */
  seen: Map<string, number>;
  configure(options: FaultServerOptions): void;
  close(): Promise<void>;
}

const METADATA = /(^|\/)(\.zarray|\.zattrs|\.zgroup|zarr\.json)$/;

/** Serve `root` on 127.0.0.1 with faults as configured (none until `configure`). */
export async function startFaultServer(root: string): Promise<FaultServer> {
  let opts: FaultServerOptions = { rate: 0, seed: 1 };
  let rand = mulberry32(1);
  const prefixes = new Map<string, { opts: FaultServerOptions; rand: () => number }>();
  const sockets = new Set<Socket>();
  const state = { injected: {} as Record<string, number>, requests: 0, seen: new Map<string, number>() };
  const server: Server = createServer(async (req, res) => {
    // Pages in a browser cannot call configure(): a path prefix /_faults/<rate>/<seed>/<kinds>/
    // sets the faults of one request instead, drawn from a generator of that prefix's own.
    res.setHeader("Access-Control-Allow-Origin", "*");
    if (req.method === "OPTIONS") {
      return void res.writeHead(204, { "Access-Control-Allow-Headers": "Range, Authorization", "Access-Control-Max-Age": "600" }).end();
    }
    let path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    let local: { opts: FaultServerOptions; rand: () => number } | undefined;
    const prefixed = /^(\/_faults\/([\d.]+)\/(\d+)\/([a-z0-9,-]+))(\/.*)$/.exec(path);
    if (prefixed) {
      const [, prefix, rate, seed, kinds, rest] = prefixed as unknown as [string, string, string, string, string, string];
      let entry = prefixes.get(prefix);
      if (!entry) {
        entry = { opts: { rate: Number(rate), seed: Number(seed), kinds: kinds.split(",") as FaultKind[], flipRange: defaultFlipRange }, rand: mulberry32(Number(seed)) };
        prefixes.set(prefix, entry);
      }
      local = entry;
      path = rest;
    }
    const file = normalize(join(root, path));
    if (!file.startsWith(root)) return void res.writeHead(403).end();
    let whole: Uint8Array;
    try {
      whole = new Uint8Array(await readFile(file));
    } catch {
      return void res.writeHead(404).end();
    }
    let status = 200;
    let body = whole;
    const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? "");
    if (m) {
      const [start, end] = m[1] === "" ? [whole.length - Number(m[2]), whole.length - 1] : [Number(m[1]), Math.min(Number(m[2]), whole.length - 1)];
      body = whole.subarray(start, end + 1);
      status = 206;
    }
    const clean = () => res.writeHead(status, { "Content-Type": "application/octet-stream", "Content-Length": String(body.length) }).end(body);
    if (METADATA.test(path)) return clean();
    state.requests++;
    const key = path.replace(/^\/+/, "");
    const seenKey = `${key} ${req.headers.range ?? ""}`.trim();
    state.seen.set(seenKey, (state.seen.get(seenKey) ?? 0) + 1);
    if (opts.missing?.has(key)) return void res.writeHead(404).end();
    const o = local?.opts ?? opts;
    const r = local?.rand ?? rand;
    const always = o.always?.[key];
    const fault: FaultKind | undefined = always ?? (r() < o.rate ? pickKind(o.kinds ?? FAULT_KINDS, r) : undefined);
    if (!fault) return clean();
    state.injected[fault] = (state.injected[fault] ?? 0) + 1;
    const cut = Math.max(1, Math.floor(body.length * (0.2 + 0.6 * r())));
    switch (fault) {
      case "503":
        return void res.writeHead(503).end();
      case "reset":
        return void req.socket.destroy();
      case "cut-short":
        return void res.writeHead(status, { "Content-Type": "application/octet-stream", "Content-Length": String(cut) }).end(body.subarray(0, cut));
      case "cut-full":
        res.writeHead(status, { "Content-Type": "application/octet-stream", "Content-Length": String(body.length) });
        return void res.write(body.subarray(0, cut), () => req.socket.destroy());
      case "html":
        return void res.writeHead(200, { "Content-Type": "text/html" }).end("<html><body>502 Bad Gateway</body></html>");
      case "hang":
        return;
      case "flip": {
        const [lo, hi] = o.flipRange?.(key, body) ?? [0, body.length];
        const flipped = new Uint8Array(body);
        const at = lo + Math.floor(r() * Math.max(1, hi - lo));
        flipped[at] = flipped[at]! ^ (1 << Math.floor(r() * 8));
        return void res.writeHead(status, { "Content-Type": "application/octet-stream", "Content-Length": String(flipped.length) }).end(flipped);
      }
    }
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    get injected() {
      return state.injected;
    },
    get requests() {
      return state.requests;
    },
    get seen() {
      return state.seen;
    },
    configure(o) {
      opts = o;
      rand = mulberry32(o.seed);
      state.injected = {};
      state.requests = 0;
      state.seen = new Map();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((ok) => server.close(ok));
    },
  };
}

/**
 * Where a flipped bit is something the data can tell, for answers of the array fixture: blosc's
 * sizes (nbytes, blocksize, cbytes), a zstd frame's magic number, and anything else (a shard
 * index, which ends in its crc32c).
 */
export function defaultFlipRange(_path: string, body: Uint8Array): [number, number] {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (body.length >= 16 && (body[0] === 1 || body[0] === 2) && view.getUint32(12, true) === body.length) return [4, 16];
  if (body.length >= 4 && view.getUint32(0, true) === 0xfd2fb528) return [0, 4];
  return [0, body.length];
}

function pickKind(kinds: readonly FaultKind[], rand: () => number): FaultKind {
  return kinds[Math.floor(rand() * kinds.length)]!;
}
