// The data server of `npm start` and a file it may not read, in Node: as root, permissions do not
// apply, so the server runs as nobody in a child process. The other hostile-request cases
// (test/setup/static-server-cases.ts) run from the case registry (test/setup/cases.ts).
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, test } from "vitest";
import { serveStatic } from "../src/serve/static-server.ts";
import * as cases from "./setup/static-server-cases.ts";

let base: string;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), "cellmap-serve-"));
  // The server as nobody reads its bundle from here.
  chmodSync(base, 0o755);
});

afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
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
