// The static server in Deno against hostile requests (its node:fs and node:http): ways out of the
// root, symlinks out, bad escapes, FIFOs, Host names and CORS. Case bodies:
// test/setup/static-server-cases.ts. The unreadable-file case runs only when Deno is not root
// (root ignores permissions; the Node shell runs it as nobody).
import { join } from "node:path";
import { serveStatic, type StaticServer } from "../../src/serve/static-server.ts";
import * as cases from "../setup/static-server-cases.ts";

async function withServer(body: (server: StaticServer, root: string, base: string) => Promise<void>): Promise<void> {
  const base = await Deno.makeTempDir({ prefix: "cellmap-serve-" });
  const root = cases.writeServedTree(base);
  const server = await serveStatic({ root });
  try {
    await body(server, root, base);
  } finally {
    await server.close();
    await Deno.remove(base, { recursive: true });
  }
}

Deno.test("serves files, ranges and links that stay inside", () => withServer((s) => cases.servesInside(s.url)));
Deno.test("refuses every spelling of a way out, and symlinks out, with a 4xx and no content from outside", () => withServer((s) => cases.refusesEscapes(s.url)));
Deno.test("a malformed escape is a 400 whose body is only the status text, and the server stays up", () => withServer((s) => cases.badEscapes(s.url)));
Deno.test("a folder, a FIFO and a missing file are 404 at once (a FIFO never blocks the server)", () => withServer((s, root) => cases.notFiles(s.url, root)));
Deno.test("requestSegments decodes once and refuses dot segments, slashes, backslashes and NULs", cases.segmentsRule);
Deno.test({
  name: "a file it may not read is a 403 with no error text, and the server stays up",
  ignore: Deno.uid() === 0,
  fn: () =>
    withServer(async (_s, _root, base) => {
      const dir = join(base, "perm");
      cases.writeUnreadable(dir);
      const server = await serveStatic({ root: dir });
      try {
        await cases.unreadable(server.url);
      } finally {
        await server.close();
      }
    }),
});
Deno.test("answers the loopback names, with any port, and refuses others with a 403", () => withServer((s) => cases.hostNames(s.url, s.port)));
Deno.test("allowedHosts adds names (or a domain), and true allows any", () => withServer((_s, root) => cases.allowedHosts(root)));
Deno.test("sends no CORS by default, only to the listed origins, and * only when asked", () => withServer((s, root) => cases.cors(root, s.url)));
