// Hostile requests against the static server, run in Node and Deno from the case registry
// (test/setup/cases.ts); the unreadable-file case needs each runtime's own way to drop root
// (test/static-server.test.ts, test/deno/static_server_test.ts): a served folder with links in and out of it,
// requests sent exactly as written (node:http, no URL normalisation), and the answers expected.
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveStatic, type StaticServer, type StaticServerOptions } from "../../src/serve/static-server.ts";
import { hostChecker, requestSegments } from "../../src/serve/request-guard.ts";
import { check, same } from "./assert.ts";
import type { Cases } from "./cases.ts";

export const SECRET = "top secret outside the root";
export const INSIDE = "inside the root";

/** An answer: status, headers (lower-case names) and body text. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with its target sent exactly as written (no URL normalisation). */
export function rawGet(url: string, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Answer> {
  const u = new URL(url);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers }, (res) => {
      const parts: Uint8Array[] = [];
      res.on("data", (b: Uint8Array) => parts.push(b));
      res.on("end", () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: new TextDecoder().decode(concat(parts)) }));
      res.on("error", fail);
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer to ${path} within 5 s`)), 5_000);
    req.on("close", () => clearTimeout(timer));
    req.on("error", fail);
    req.end();
  });
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Write `<base>/root` (the served folder) and, beside it, a secret file and folder; in the root,
 * links out of it (absolute, relative, to a folder, to /etc/passwd, a link to a link out) and
 * links that stay inside. Returns the root.
 */
export function writeServedTree(base: string): string {
  chmodSync(base, 0o755);
  const root = join(base, "root");
  mkdirSync(join(root, "sub"), { recursive: true });
  writeFileSync(join(base, "secret.txt"), SECRET);
  mkdirSync(join(base, "outside"));
  writeFileSync(join(base, "outside", "secret.txt"), SECRET);
  writeFileSync(join(root, "inside.txt"), INSIDE);
  writeFileSync(join(root, "sub", "data.bin"), new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]));
  writeFileSync(join(root, "%2e%2e"), "a file named %2e%2e");
  symlinkSync(join(base, "secret.txt"), join(root, "file-out"));
  symlinkSync("../secret.txt", join(root, "relative-out"));
  symlinkSync("../outside", join(root, "dir-out"));
  symlinkSync("/etc/passwd", join(root, "passwd"));
  symlinkSync("sub/../file-out", join(root, "chain-out"));
  symlinkSync("inside.txt", join(root, "link-in"));
  symlinkSync("../sub", join(root, "sub", "loop-in"));
  return root;
}

/** Ways out of the root, by path spelling and by symlink. */
export const ESCAPES: readonly string[] = [
  "/../secret.txt",
  "/sub/../../secret.txt",
  "/%2e%2e/secret.txt",
  "/%2E%2E/secret.txt",
  "/.%2e/secret.txt",
  "/%2e./secret.txt",
  "/..%2fsecret.txt",
  "/..%2Fsecret.txt",
  "/sub%2f..%2f..%2fsecret.txt",
  "/..%5csecret.txt",
  "/..\\secret.txt",
  "/sub\\..\\..\\secret.txt",
  "/%252e%252e/secret.txt",
  "/%252e%252e%252fsecret.txt",
  "/secret.txt%00",
  "/file-out",
  "/relative-out",
  "/dir-out/secret.txt",
  "/dir-out/",
  "/passwd",
  "/chain-out",
  "/sub/loop-in/../relative-out",
  "/./../secret.txt",
  "//../secret.txt",
];

/** Files, ranges, links that stay inside and a double-encoded name are served. */
export async function servesInside(url: string): Promise<void> {
  const a = await rawGet(url, "/inside.txt");
  same([a.status, a.body], [200, INSIDE], "/inside.txt");
  same((await rawGet(url, "/link-in")).body, INSIDE, "a link inside");
  const r = await rawGet(url, "/sub/loop-in/loop-in/data.bin", { range: "bytes=2-4" });
  same([r.status, r.headers["content-range"], r.headers["content-length"]], [206, "bytes 2-4/8", "3"], "a range through links inside");
  same((await rawGet(url, "/%69nside.txt?token=x")).body, INSIDE, "an escaped name with a query");
  // A double-encoded `..` is one decode away from a literal name, not a way out.
  same((await rawGet(url, "/%252e%252e")).body, "a file named %2e%2e", "/%252e%252e");
}

/** Every spelling in {@link ESCAPES} gets a 4xx and nothing from outside. */
export async function refusesEscapes(url: string): Promise<void> {
  for (const path of ESCAPES) {
    const r = await rawGet(url, path);
    check(r.status >= 400 && r.status < 500, `${path}: status ${r.status}, expected a 4xx`);
    check(!r.body.includes("secret") && !r.body.includes("root:"), `${path}: the body shows content from outside the root`);
  }
}

/** Malformed escapes are a 400 whose body is only the status text, and the server stays up. */
export async function badEscapes(url: string): Promise<void> {
  for (const path of ["/%zz", "/%", "/%e0%a4%a", "/sub/%ff"]) {
    const r = await rawGet(url, path);
    same([r.status, r.body], [400, "Bad Request\n"], path);
  }
  same((await rawGet(url, "/inside.txt")).status, 200, "after the bad escapes");
}

/** A folder, a FIFO and a missing file are 404 at once: a FIFO never blocks the server. */
export async function notFiles(url: string, root: string): Promise<void> {
  const fifo = join(root, "pipe");
  const made = await new Promise<number | null>((ok) => spawn("mkfifo", [fifo]).on("exit", ok).on("error", () => ok(null)));
  for (const path of ["/sub", "/sub/", "/missing.bin", "/inside.txt/x"]) same((await rawGet(url, path)).status, 404, path);
  if (made === 0) {
    const r = await rawGet(url, "/pipe");
    same([r.status, r.body], [404, "Not Found\n"], "a FIFO");
    rmSync(fifo);
  }
  same((await rawGet(url, "/inside.txt")).status, 200, "after the FIFO");
}

/** The path rule on its own: decoded once, dot segments, slashes, backslashes and NULs refused. */
export function segmentsRule(): void {
  same(requestSegments("/a/b%20c/d?x=1#y"), ["a", "b c", "d"], "a plain path");
  same(requestSegments("/%252e%252e"), ["%2e%2e"], "double encoding");
  same(requestSegments("http://evil/x"), { status: 400 }, "an absolute target");
  same(requestSegments("/%zz"), { status: 400 }, "a bad escape");
  for (const p of ["/..", "/.", "/%2e", "/a%2fb", "/a%5cb", "/a\\b", "/a%00"]) same(requestSegments(p), { status: 403 }, p);
}

/**
 * A folder with a file and a folder nobody may read (mode 000) and a readable file; permissions
 * only apply to a server that does not run as root.
 */
export function writeUnreadable(dir: string): void {
  mkdirSync(dir);
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, "ok.txt"), "readable", { mode: 0o644 });
  writeFileSync(join(dir, "locked.bin"), SECRET, { mode: 0o000 });
  mkdirSync(join(dir, "closed"), { mode: 0o000 });
  chmodSync(join(dir, "closed"), 0o000);
}

/** On {@link writeUnreadable}'s folder: 403 with no error text, and the server stays up. */
export async function unreadable(url: string): Promise<void> {
  for (const path of ["/locked.bin", "/closed/x.bin"]) {
    const r = await rawGet(url, path);
    same([r.status, r.body], [403, "Forbidden\n"], path);
  }
  const ok = await rawGet(url, "/ok.txt");
  same([ok.status, ok.body], [200, "readable"], "a readable file after them");
}

/** Loopback Host names (any port) are answered, others get a 403. */
export async function hostNames(url: string, port: number): Promise<void> {
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, "LOCALHOST:1", `[::1]:${port}`, "127.0.0.1"]) {
    same((await rawGet(url, "/inside.txt", { host })).status, 200, `Host: ${host}`);
  }
  for (const host of ["evil.example", `evil.example:${port}`, "127.0.0.1.evil.example", "localhost.evil.example:80", "[::2]:80"]) {
    const r = await rawGet(url, "/inside.txt", { host });
    same([r.status, r.body], [403, "Forbidden\n"], `Host: ${host}`);
  }
}

/** `allowedHosts` adds names and domains; `true` answers any; the bound host is allowed. */
export async function allowedHosts(root: string): Promise<void> {
  const named = await serveStatic({ root, allowedHosts: ["data.lab", ".example.org"] });
  const any = await serveStatic({ root, allowedHosts: true });
  try {
    for (const host of ["data.lab:8000", "example.org", "a.b.example.org:1"]) same((await rawGet(named.url, "/inside.txt", { host })).status, 200, host);
    for (const host of ["other.lab", "badexample.org"]) same((await rawGet(named.url, "/inside.txt", { host })).status, 403, host);
    same((await rawGet(any.url, "/inside.txt", { host: "anything.at.all" })).status, 200, "allowedHosts: true");
  } finally {
    await named.close();
    await any.close();
  }
  check(hostChecker({ boundHost: "192.168.1.5" })("192.168.1.5:8000"), "the bound host is answered");
  check(!hostChecker({ boundHost: "0.0.0.0" })("0.0.0.0:8000"), "a wildcard bound host is not a name");
}

/** No CORS by default, the listed origins only (with Vary), and `*` only when asked. */
export async function cors(root: string, plainUrl: string): Promise<void> {
  const origin = "http://127.0.0.1:5173";
  const plain = await rawGet(plainUrl, "/inside.txt", { origin });
  same([plain.status, plain.headers["access-control-allow-origin"]], [200, undefined], "no cors option");
  const start = (o: Partial<StaticServerOptions>) => serveStatic({ root, ...o });
  const listed = await start({ cors: [origin], headers: { "Cross-Origin-Resource-Policy": "same-site" } });
  const star = await start({ cors: "*" });
  try {
    const ok = await rawGet(listed.url, "/inside.txt", { origin });
    same(
      [ok.headers["access-control-allow-origin"], ok.headers["vary"], ok.headers["cross-origin-resource-policy"]],
      [origin, "Origin", "same-site"],
      "a listed origin",
    );
    check(/Content-Range/.test(String(ok.headers["access-control-expose-headers"])), "Content-Range is exposed");
    const pre = await rawGet(listed.url, "/inside.txt", { origin, "access-control-request-headers": "range" }, "OPTIONS");
    same([pre.status, pre.headers["access-control-allow-origin"], pre.headers["access-control-allow-headers"]], [204, origin, "Range"], "a preflight");
    for (const other of ["http://evil.example", "http://127.0.0.1:5174", "null"]) {
      same((await rawGet(listed.url, "/inside.txt", { origin: other })).headers["access-control-allow-origin"], undefined, other);
      same((await rawGet(listed.url, "/inside.txt", { origin: other }, "OPTIONS")).headers["access-control-allow-origin"], undefined, `${other} preflight`);
    }
    same((await rawGet(star.url, "/inside.txt", { origin: "http://evil.example" })).headers["access-control-allow-origin"], "*", "cors: *");
  } finally {
    await listed.close();
    await star.close();
  }
}

/** The served tree in a fresh folder and a server on it, for one body; both go afterwards. */
async function withServer(body: (server: StaticServer, root: string) => Promise<void>): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), "cellmap-serve-"));
  try {
    const root = writeServedTree(base);
    const server = await serveStatic({ root });
    try {
      await body(server, root);
    } finally {
      await server.close();
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

/** Every case, by title, for the case registry (test/setup/cases.ts). */
export const staticServerCases = {
  "serves files, ranges and links that stay inside": () => withServer((s) => servesInside(s.url)),
  "refuses every spelling of a way out, and symlinks out, with a 4xx and no content from outside": () => withServer((s) => refusesEscapes(s.url)),
  "a malformed escape is a 400 whose body is only the status text, and the server stays up": () => withServer((s) => badEscapes(s.url)),
  "a folder, a FIFO and a missing file are 404 at once (a FIFO never blocks the server)": () => withServer((s, root) => notFiles(s.url, root)),
  "requestSegments decodes once and refuses dot segments, slashes, backslashes and NULs": segmentsRule,
  "answers the loopback names, with any port, and refuses others with a 403": () => withServer((s) => hostNames(s.url, s.port)),
  "allowedHosts adds names (or a domain), and true allows any": () => withServer((_s, root) => allowedHosts(root)),
  "sends no CORS by default, only to the listed origins, and * only when asked": () => withServer((s, root) => cors(root, s.url)),
} satisfies Cases;
