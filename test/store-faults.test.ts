// HttpStore under faults a loopback server injects on purpose, over both transports: bodies cut
// short, error pages answered with 200, servers that never answer or stall mid-body, a deadline,
// a refused connection; and what it does with secrets: a URL's query kept on every request and
// never shown, header values never shown, credential headers kept to their origin on redirects.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { HttpError, isCellMapError } from "../src/errors.ts";
import { HttpStore } from "../src/store/http.ts";

const body = Uint8Array.from({ length: 5000 }, (_, i) => (i * 31) % 251);
const hits = new Map<string, number>();
const queries: string[] = [];
const seenHeaders: Array<Record<string, string | string[] | undefined>> = [];

function hit(path: string): number {
  const n = (hits.get(path) ?? 0) + 1;
  hits.set(path, n);
  return n;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; origin: string; sockets: Set<Socket> }> {
  const server = createServer(handler);
  const sockets = new Set<Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const addr = server.address();
  return { server, origin: `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`, sockets };
}

let main: Awaited<ReturnType<typeof listen>>;
let other: Awaited<ReturnType<typeof listen>>;
let base = "";
let refused = "";

beforeAll(async () => {
  other = await listen((req, res) => {
    seenHeaders.push({ ...req.headers });
    res.writeHead(200, { "Content-Type": "application/octet-stream" }).end(body);
  });
  main = await listen((req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    const path = u.pathname;
    queries.push(u.search);
    const n = hit(path);
    if (path === "/data/cut-once") {
      if (n > 1) return void res.writeHead(200, { "Content-Type": "application/octet-stream" }).end(body);
      // Announce the whole body, send a fifth of it, close: a transfer cut short.
      res.writeHead(200, { "Content-Length": String(body.length), "Content-Type": "application/octet-stream" });
      res.write(body.subarray(0, 1000), () => res.socket?.destroy());
      return;
    }
    if (path === "/data/html-twice") {
      if (n <= 2) return void res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end("<html>Service temporarily unavailable</html>");
      return void res.writeHead(200, { "Content-Type": "application/octet-stream" }).end(body);
    }
    if (path === "/data/html") return void res.writeHead(200, { "Content-Type": "text/html" }).end("<html>login</html>");
    if (path === "/data/text-chunk") return void res.writeHead(200, { "Content-Type": "text/plain" }).end("oops");
    // A host that labels every file as text (raw.githubusercontent.com does), serving real chunk bytes.
    if (path === "/data/text-labelled-data") return void res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" }).end(body);
    if (path === "/data/a/.zattrs") return void res.writeHead(200, { "Content-Type": "text/plain" }).end("{}");
    if (path === "/data/hang") return; // never answers
    if (path === "/data/stall") {
      // Headers and part of the body, then nothing.
      res.writeHead(200, { "Content-Length": String(body.length), "Content-Type": "application/octet-stream" });
      res.write(body.subarray(0, 100));
      return;
    }
    if (path === "/data/down") return void res.writeHead(503).end();
    if (path === "/data/secret") {
      seenHeaders.push({ ...req.headers });
      return void res.writeHead(302, { Location: `${other.origin}/elsewhere` }).end();
    }
    if (path === "/data/same-origin") {
      return void res.writeHead(302, { Location: "/data/blob" }).end();
    }
    if (req.url?.startsWith("/data/odd/")) {
      // The raw request line: how the key's segments were written on the wire.
      queries.push(req.url);
      return void res.writeHead(200, { "Content-Type": "application/octet-stream" }).end(body.subarray(0, 8));
    }
    if (path === "/data/blob") {
      seenHeaders.push({ ...req.headers });
      return void res.writeHead(200, { "Content-Type": "application/octet-stream" }).end(body);
    }
    res.writeHead(404).end();
  });
  base = `${main.origin}/data`;
  // A port with nothing listening: bind, note the port, close.
  const probe = await listen(() => {});
  refused = `${probe.origin}/data`;
  await new Promise((ok) => probe.server.close(ok));
});

afterAll(async () => {
  for (const s of [main, other]) {
    for (const sock of s.sockets) sock.destroy();
    await new Promise((ok) => s.server.close(ok));
  }
});

const transports = [
  ["node:http (default in Node)", {}],
  ["fetch", { fetch: globalThis.fetch }],
] as const;

describe.each(transports)("HttpStore faults over %s", (_name, extra) => {
  test("a body cut short is fetched again, and the second answer is returned", async () => {
    hits.delete("/data/cut-once");
    const store = new HttpStore(base, { ...extra, backoffMs: 1 });
    const got = await store.get("/cut-once");
    expect(Array.from(got!)).toEqual(Array.from(body));
    expect(hits.get("/data/cut-once")).toBe(2);
    expect(store.stats.retries).toBe(1);
  });

  test("an HTML page answered with 200 is a fault in transit: fetched again until data comes", async () => {
    hits.delete("/data/html-twice");
    const store = new HttpStore(base, { ...extra, backoffMs: 1 });
    expect(Array.from((await store.get("/html-twice"))!)).toEqual(Array.from(body));
    expect(hits.get("/data/html-twice")).toBe(3);
    expect(store.stats.retries).toBe(2);
  });

  test("an HTML page instead of data stays an error after the tries, naming what came back", async () => {
    const store = new HttpStore(base, { ...extra, backoffMs: 1, maxTries: 3 });
    const err = await store.get("/html").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).attempts).toBe(3);
    expect((err as HttpError).message).toMatch(/HTTP 200 with an HTML page \(text\/html\) instead of data after 3 tries/);
    // Text is data's fault for a chunk, but a fine label for a metadata document.
    const text = await store.get("/text-chunk").catch((e: unknown) => e);
    expect((text as HttpError).message).toMatch(/a text page \(text\/plain\)/);
    expect(new TextDecoder().decode(await store.get("/a/.zattrs"))).toBe("{}");
    // Chunk bytes under a text label (a host that labels every file so) are data, not a page.
    expect(Array.from((await store.get("/text-labelled-data"))!)).toEqual(Array.from(body));
  });

  test("a server that never answers, or stalls mid-body, times out per try and ends in an HttpError", async () => {
    const store = new HttpStore(base, { ...extra, backoffMs: 1, maxTries: 2, timeoutMs: 150 });
    for (const key of ["/hang", "/stall"] as const) {
      const started = hits.get(`/data${key}`) ?? 0;
      const err = await store.get(key).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpError);
      expect((err as HttpError).detail).toBe("no answer within 150 ms");
      expect((err as HttpError).attempts).toBe(2);
      expect(hits.get(`/data${key}`)! - started).toBe(2);
    }
    expect(store.stats.inFlight).toBe(0);
  });

  test("a deadline ends a read that keeps failing, whatever tries are left", async () => {
    const store = new HttpStore(base, { ...extra, backoffMs: 40, maxTries: 100, deadlineMs: 300 });
    const err = await store.get("/down").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).message).toMatch(/no answer within the deadline of 300 ms \(last try: HTTP 503\)/);
    expect(store.stats.inFlight).toBe(0);
  });

  test("a refused connection says so", async () => {
    const store = new HttpStore(refused, { ...extra, backoffMs: 1, maxTries: 2 });
    const err = await store.get("/x").catch((e: unknown) => e);
    expect(isCellMapError(err, "http")).toBe(true);
    expect((err as HttpError).message).toMatch(/network error: connection refused \(is the server running\?\) after 2 tries/);
  });

  test("a URL's query goes with every request made under it and never into errors", async () => {
    queries.length = 0;
    const secret = "X-Amz-Signature=s3cr3tsig&token=t0ken";
    const store = new HttpStore(`${base}?${secret}`, { ...extra, backoffMs: 1, maxTries: 2, headers: { Authorization: "Bearer hdrs3cr3t" } });
    expect(Array.from((await store.getRange("/blob", { offset: 3, length: 4 }))!)).toEqual(Array.from(body.subarray(3, 7)));
    expect(await store.get("/missing")).toBeUndefined();
    const err = await store.get("/down").catch((e: unknown) => e);
    expect(queries.every((q) => q === `?${secret}`)).toBe(true);
    expect(queries.length).toBeGreaterThanOrEqual(4);
    expect((err as HttpError).url).toBe(`${base}/down?…`);
    const refusedErr = await new HttpStore(`${refused}?${secret}`, { ...extra, backoffMs: 1, maxTries: 1, headers: { Authorization: "Bearer hdrs3cr3t" } })
      .get("/x").catch((e: unknown) => e);
    for (const e of [err, refusedErr]) {
      const shown = `${String(e)} ${inspect(e, { depth: 10 })} ${JSON.stringify(e)}`;
      expect(shown).not.toMatch(/s3cr3t|t0ken|hdrs3cr3t/);
    }
  });

  test("credential headers stay with their origin on redirects; others follow", async () => {
    seenHeaders.length = 0;
    const headers = { Authorization: "Bearer a", "X-Api-Key": "k", "X-Team-Token": "t", "X-Trace": "z" };
    const store = new HttpStore(base, { ...extra, headers, credentialHeaders: ["X-Team-Token"] });
    expect(Array.from((await store.get("/secret"))!)).toEqual(Array.from(body));
    expect(seenHeaders).toHaveLength(2);
    expect(seenHeaders[0]).toMatchObject({ authorization: "Bearer a", "x-api-key": "k", "x-team-token": "t" });
    expect(seenHeaders[1]!["authorization"]).toBeUndefined();
    expect(seenHeaders[1]!["x-api-key"]).toBeUndefined();
    expect(seenHeaders[1]!["x-team-token"]).toBeUndefined();
    expect(seenHeaders[1]!["x-trace"]).toBe("z");
    seenHeaders.length = 0;
    await store.get("/same-origin");
    expect(seenHeaders[0]).toMatchObject({ authorization: "Bearer a", "x-api-key": "k", "x-team-token": "t" });
  });

  test("a key's segments are encoded on the wire: levels named with #, % or ? (zarr-python 3) are read", async () => {
    queries.length = 0;
    const store = new HttpStore(`${base}?sig=1`, { ...extra });
    const got = await store.get("/odd/s0#1%?x/zarr.json");
    expect(Array.from(got!)).toEqual(Array.from(body.subarray(0, 8)));
    expect(queries).toContain("/data/odd/s0%231%25%3Fx/zarr.json?sig=1");
  });
});
