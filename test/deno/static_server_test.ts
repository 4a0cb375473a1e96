// The static server in Deno and a file it may not read: runs only when Deno is not root (root
// ignores permissions; Node runs it as nobody). The other hostile-request cases
// (test/setup/static-server-cases.ts) run from the case registry (test/setup/cases.ts).
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
