// The data server of `npm start` against hostile requests, on a real loopback server: every
// spelling of a way out of its root, symlinks out, unreadable files, FIFOs, bad escapes, foreign
// Host names and foreign origins. It must answer 4xx with no error text and stay up. Case bodies:
// test/setup/static-server-cases.ts (also run in Deno by test/deno/static_server_test.ts).
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, test } from "vitest";
import { serveStatic, type StaticServer } from "../src/serve/static-server.ts";
import * as cases from "./setup/static-server-cases.ts";

let base: string;
let root: string;
let server: StaticServer;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), "cellmap-serve-"));
  root = cases.writeServedTree(base);
  server = await serveStatic({ root });
});

afterAll(async () => {
  await server?.close();
  if (base) rmSync(base, { recursive: true, force: true });
});

describe("static server: confinement to its root", () => {
  test("serves files, ranges and links that stay inside", () => cases.servesInside(server.url));
  test("refuses every spelling of a way out, and symlinks out, with a 4xx and no content from outside", () => cases.refusesEscapes(server.url));
  test("a malformed escape is a 400 whose body is only the status text, and the server stays up", () => cases.badEscapes(server.url));
  test("a folder, a FIFO and a missing file are 404 at once (a FIFO never blocks the server)", () => cases.notFiles(server.url, root));
  test("requestSegments decodes once and refuses dot segments, slashes, backslashes and NULs", cases.segmentsRule);
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
    cases.writeUnreadable(dir);
    // As root, permissions do not apply: run the server as nobody in a child process instead.
    const asRoot = process.getuid?.() === 0;
    const local = asRoot ? undefined : await serveStatic({ root: dir });
    const remote = asRoot ? await serveAsNobody(dir) : undefined;
    try {
      await cases.unreadable(local?.url ?? remote!.url);
    } finally {
      await local?.close();
      remote?.stop();
    }
  });
});

describe("static server: Host names and CORS", () => {
  test("answers the loopback names, with any port, and refuses others with a 403", () => cases.hostNames(server.url, server.port));
  test("allowedHosts adds names (or a domain), and true allows any", () => cases.allowedHosts(root));
  test("sends no CORS by default, only to the listed origins, and * only when asked", () => cases.cors(root, server.url));
});
