// The data server of `npm start` against hostile requests, on a real loopback server: every
// spelling of a way out of its root, symlinks out, unreadable files, FIFOs, bad escapes, foreign
// Host names and foreign origins. It must answer 4xx with no error text and stay up.
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { serveStatic, type StaticServer, type StaticServerOptions } from "../src/serve/static-server.ts";
import { hostChecker, requestSegments } from "../src/serve/request-guard.ts";

const SECRET = "top secret outside the root";
const INSIDE = "inside the root";
let base: string;
let root: string;
let server: StaticServer;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with its target sent exactly as written (no URL normalisation). */
function get(url: string, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Answer> {
  const u = new URL(url);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers, timeout: 5_000 }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (b: Buffer) => parts.push(b));
      res.on("end", () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString("utf8") }));
      res.on("error", fail);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer to ${path} within 5 s`)));
    req.on("error", fail);
    req.end();
  });
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), "cellmap-serve-"));
  chmodSync(base, 0o755);
  root = join(base, "root");
  mkdirSync(join(root, "sub"), { recursive: true });
  writeFileSync(join(base, "secret.txt"), SECRET);
  mkdirSync(join(base, "outside"));
  writeFileSync(join(base, "outside", "secret.txt"), SECRET);
  writeFileSync(join(root, "inside.txt"), INSIDE);
  writeFileSync(join(root, "sub", "data.bin"), new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]));
  writeFileSync(join(root, "%2e%2e"), "a file named %2e%2e");
  symlinkSync(join(base, "secret.txt"), join(root, "file-out")); // absolute, to a file outside
  symlinkSync("../secret.txt", join(root, "relative-out")); // relative, to a file outside
  symlinkSync("../outside", join(root, "dir-out")); // a folder outside
  symlinkSync("/etc/passwd", join(root, "passwd"));
  symlinkSync("sub/../file-out", join(root, "chain-out")); // a link to a link out
  symlinkSync("inside.txt", join(root, "link-in")); // stays inside: served
  symlinkSync("../sub", join(root, "sub", "loop-in")); // a folder inside: served
  server = await serveStatic({ root });
});

afterAll(async () => {
  await server?.close();
  if (base) rmSync(base, { recursive: true, force: true });
});

describe("static server: confinement to its root", () => {
  test("serves files, ranges and links that stay inside", async () => {
    expect(await get(server.url, "/inside.txt")).toMatchObject({ status: 200, body: INSIDE });
    expect(await get(server.url, "/link-in")).toMatchObject({ status: 200, body: INSIDE });
    expect(await get(server.url, "/sub/loop-in/loop-in/data.bin", { range: "bytes=2-4" })).toMatchObject({
      status: 206,
      headers: { "content-range": "bytes 2-4/8", "content-length": "3" },
    });
    expect(await get(server.url, "/%69nside.txt?token=x")).toMatchObject({ status: 200, body: INSIDE });
    // A double-encoded `..` is one decode away from a literal name, not a way out.
    expect(await get(server.url, "/%252e%252e")).toMatchObject({ status: 200, body: "a file named %2e%2e" });
  });

  const escapes = [
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
  test.each(escapes)("refuses %s with a 4xx and no content from outside", async (path) => {
    const r = await get(server.url, path);
    expect(r.status, path).toBeGreaterThanOrEqual(400);
    expect(r.status, path).toBeLessThan(500);
    expect(r.body).not.toContain("secret");
    expect(r.body).not.toContain("root:");
  });

  test("a malformed escape is a 400 whose body is only the status text, and the server stays up", async () => {
    for (const path of ["/%zz", "/%", "/%e0%a4%a", "/sub/%ff"]) {
      const r = await get(server.url, path);
      expect(r.status, path).toBe(400);
      expect(r.body).toBe("Bad Request\n");
    }
    expect((await get(server.url, "/inside.txt")).status).toBe(200);
  });

  test("a folder, a FIFO and a missing file are 404 at once (a FIFO never blocks the server)", async () => {
    const fifo = join(root, "pipe");
    const made = spawn("mkfifo", [fifo]);
    const mkfifo = await new Promise<number | null>((ok) => made.on("exit", ok).on("error", () => ok(null)));
    expect((await get(server.url, "/sub")).status).toBe(404);
    expect((await get(server.url, "/sub/")).status).toBe(404);
    expect((await get(server.url, "/missing.bin")).status).toBe(404);
    expect((await get(server.url, "/inside.txt/x")).status).toBe(404);
    if (mkfifo === 0) {
      expect(await get(server.url, "/pipe")).toMatchObject({ status: 404, body: "Not Found\n" });
      rmSync(fifo);
    }
    expect((await get(server.url, "/inside.txt")).status).toBe(200);
  });

  test("requestSegments decodes once and refuses dot segments, slashes, backslashes and NULs", () => {
    expect(requestSegments("/a/b%20c/d?x=1#y")).toEqual(["a", "b c", "d"]);
    expect(requestSegments("/%252e%252e")).toEqual(["%2e%2e"]);
    expect(requestSegments("http://evil/x")).toEqual({ status: 400 });
    expect(requestSegments("/%zz")).toEqual({ status: 400 });
    for (const p of ["/..", "/.", "/%2e", "/a%2fb", "/a%5cb", "/a\\b", "/a%00"]) expect(requestSegments(p), p).toEqual({ status: 403 });
  });
});

/** A server in a child process running as `nobody`, so that file permissions apply (root ignores them). */
async function serveAsNobody(dir: string): Promise<{ url: string; stop: () => void }> {
  const bundle = join(base, "server.mjs");
  await build({ entryPoints: [join(import.meta.dirname, "../src/serve/static-server.ts")], bundle: true, platform: "node", format: "esm", outfile: bundle, logLevel: "warning" });
  chmodSync(bundle, 0o644);
  const script = `const { serveStatic } = await import(${JSON.stringify(bundle)}); const s = await serveStatic({ root: process.argv[1] }); console.log(s.url);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script, dir], { uid: 65534, gid: 65534, stdio: ["ignore", "pipe", "pipe"] });
  const url = await new Promise<string>((ok, fail) => {
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      if (out.includes("\n")) ok(out.trim());
    });
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    child.on("error", fail);
    child.on("exit", (code) => fail(new Error(`the server as nobody exited (${code}): ${err}`)));
  });
  return { url, stop: () => child.kill() };
}

describe("static server: a file it may not read", () => {
  test("is a 403 with no error text, and the server stays up", async () => {
    const dir = join(base, "perm");
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, "ok.txt"), "readable", { mode: 0o644 });
    writeFileSync(join(dir, "locked.bin"), SECRET, { mode: 0o000 });
    mkdirSync(join(dir, "closed"), { mode: 0o000 });
    chmodSync(join(dir, "closed"), 0o000);
    // As root, permissions do not apply: run the server as nobody in a child process instead.
    const asRoot = process.getuid?.() === 0;
    const local = asRoot ? undefined : await serveStatic({ root: dir });
    const remote = asRoot ? await serveAsNobody(dir) : undefined;
    const url = local?.url ?? remote!.url;
    try {
      for (const path of ["/locked.bin", "/closed/x.bin"]) {
        const r = await get(url, path);
        expect(r.status, path).toBe(403);
        expect(r.body).toBe("Forbidden\n");
      }
      expect(await get(url, "/ok.txt")).toMatchObject({ status: 200, body: "readable" });
    } finally {
      await local?.close();
      remote?.stop();
    }
  });
});

describe("static server: Host names and CORS", () => {
  const start = (options: Partial<StaticServerOptions> = {}) => serveStatic({ root, ...options });

  test("answers the loopback names, with any port, and refuses others with a 403", async () => {
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, "LOCALHOST:1", `[::1]:${server.port}`, "127.0.0.1"]) {
      expect((await get(server.url, "/inside.txt", { host })).status, host).toBe(200);
    }
    for (const host of ["evil.example", `evil.example:${server.port}`, "127.0.0.1.evil.example", "localhost.evil.example:80", "[::2]:80"]) {
      const r = await get(server.url, "/inside.txt", { host });
      expect(r.status, host).toBe(403);
      expect(r.body).toBe("Forbidden\n");
    }
  });

  test("allowedHosts adds names (or a domain), and true allows any", async () => {
    const named = await start({ allowedHosts: ["data.lab", ".example.org"] });
    const any = await start({ allowedHosts: true });
    try {
      for (const host of ["data.lab:8000", "example.org", "a.b.example.org:1"]) expect((await get(named.url, "/inside.txt", { host })).status, host).toBe(200);
      for (const host of ["other.lab", "badexample.org"]) expect((await get(named.url, "/inside.txt", { host })).status, host).toBe(403);
      expect((await get(any.url, "/inside.txt", { host: "anything.at.all" })).status).toBe(200);
    } finally {
      await named.close();
      await any.close();
    }
    expect(hostChecker({ boundHost: "192.168.1.5" })("192.168.1.5:8000")).toBe(true);
    expect(hostChecker({ boundHost: "0.0.0.0" })("0.0.0.0:8000")).toBe(false);
  });

  test("sends no CORS by default, only to the listed origins, and * only when asked", async () => {
    const origin = "http://127.0.0.1:5173";
    const plain = await get(server.url, "/inside.txt", { origin });
    expect(plain.status).toBe(200);
    expect(plain.headers["access-control-allow-origin"]).toBeUndefined();

    const listed = await start({ cors: [origin], headers: { "Cross-Origin-Resource-Policy": "same-site" } });
    const star = await start({ cors: "*" });
    try {
      const ok = await get(listed.url, "/inside.txt", { origin });
      expect(ok.headers).toMatchObject({ "access-control-allow-origin": origin, vary: "Origin", "cross-origin-resource-policy": "same-site" });
      expect(ok.headers["access-control-expose-headers"]).toMatch(/Content-Range/);
      const pre = await get(listed.url, "/inside.txt", { origin, "access-control-request-headers": "range" }, "OPTIONS");
      expect(pre).toMatchObject({ status: 204, headers: { "access-control-allow-origin": origin, "access-control-allow-headers": "Range" } });
      for (const other of ["http://evil.example", "http://127.0.0.1:5174", "null"]) {
        const r = await get(listed.url, "/inside.txt", { origin: other });
        expect(r.headers["access-control-allow-origin"], other).toBeUndefined();
        const p = await get(listed.url, "/inside.txt", { origin: other }, "OPTIONS");
        expect(p.headers["access-control-allow-origin"], other).toBeUndefined();
      }
      expect((await get(star.url, "/inside.txt", { origin: "http://evil.example" })).headers["access-control-allow-origin"]).toBe("*");
    } finally {
      await listed.close();
      await star.close();
    }
  });
});
