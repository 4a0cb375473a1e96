// HttpStore's Node transport (node:http with keep-alive, used when no fetch is passed) against
// the fetch transport, on a loopback server whose answers are known: whole objects, ranges,
// suffixes, a server that ignores Range, 404, retried 503, redirects, and aborts.
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { isCellMapError } from "../src/errors.ts";
import { HttpStore } from "../src/store/http.ts";

const body = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251);
let server: Server;
let base = "";
const hits = new Map<string, number>();
const authSeen: Array<string | undefined> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path === "/data/blob" || path === "/data/norange") {
      authSeen.push(req.headers.authorization);
      const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? "");
      if (m && path === "/data/blob") {
        const [start, end] = m[1] === "" ? [body.length - Number(m[2]), body.length - 1] : [Number(m[1]), Number(m[2])];
        res.writeHead(206, { "Content-Range": `bytes ${start}-${end}/${body.length}` }).end(body.subarray(start, end + 1));
      } else {
        res.writeHead(200).end(body);
      }
    } else if (path === "/data/moved") {
      res.writeHead(302, { Location: "/data/blob" }).end();
    } else if (path === "/data/loop") {
      res.writeHead(307, { Location: "/data/loop" }).end();
    } else if (path === "/data/busy") {
      res.writeHead((hits.get(path) ?? 0) < 3 ? 503 : 200).end((hits.get(path) ?? 0) < 3 ? "" : "ok");
    } else if (path === "/data/down") {
      res.writeHead(503).end();
    } else if (path === "/data/hang") {
      // never answers
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/data`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
});

const transports = [
  ["node:http (default in Node)", {}],
  ["fetch", { fetch: globalThis.fetch }],
] as const;

describe.each(transports)("HttpStore over %s", (_name, extra) => {
  test("whole objects, ranges, suffixes and a server that ignores Range read the stored bytes", async () => {
    const store = new HttpStore(base, { ...extra });
    expect(Array.from((await store.get("/blob"))!)).toEqual(Array.from(body));
    expect(Array.from((await store.getRange("/blob", { offset: 1000, length: 70_000 }))!)).toEqual(Array.from(body.subarray(1000, 71_000)));
    expect(Array.from((await store.getRange("/blob", { suffixLength: 16 }))!)).toEqual(Array.from(body.subarray(body.length - 16)));
    expect(Array.from((await store.getRange("/norange", { offset: 5, length: 9 }))!)).toEqual(Array.from(body.subarray(5, 14)));
    expect(await store.get("/missing")).toBeUndefined();
    expect(store.stats.bytes).toBe(body.length + 70_000 + 16 + body.length);
  });

  test("503 is retried, then an HttpError names the status and the tries", async () => {
    hits.delete("/data/busy");
    const store = new HttpStore(base, { ...extra, backoffMs: 1 });
    expect(new TextDecoder().decode(await store.get("/busy"))).toBe("ok");
    expect(store.stats.retries).toBe(2);
    const err = await store.get("/down").catch((e: unknown) => e);
    expect(isCellMapError(err, "http")).toBe(true);
    expect(err).toMatchObject({ status: 503, attempts: 4 });
  });

  test("redirects are followed; credentials go along to the same origin only", async () => {
    authSeen.length = 0;
    const store = new HttpStore(base, { ...extra, headers: { Authorization: "Bearer x" } });
    expect(Array.from((await store.getRange("/moved", { offset: 10, length: 5 }))!)).toEqual(Array.from(body.subarray(10, 15)));
    expect(authSeen).toEqual(["Bearer x"]);
    const err = await new HttpStore(base, { ...extra, maxTries: 1 }).get("/loop").catch((e: unknown) => e);
    expect(isCellMapError(err, "http")).toBe(true);
  });

  test("an abort ends a request the server never answers, with an AbortedError", async () => {
    const store = new HttpStore(base, { ...extra });
    const ac = new AbortController();
    const pending = store.get("/hang", { signal: ac.signal }).catch((e: unknown) => e);
    setTimeout(() => ac.abort(), 50);
    const err = await pending;
    expect(isCellMapError(err, "aborted")).toBe(true);
    expect(store.stats.inFlight).toBe(0);
  });
});
