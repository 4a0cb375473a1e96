// Transfer faults in Deno: its fetch and its module workers against the seeded fault-injecting
// loopback server over the array fixture. Case bodies: test/setup/fault-cases.ts (Node runs the
// fuller test/faults.test.ts and test/store-faults.test.ts).
import { writeArrayFixture } from "../setup/array-fixture.ts";
import { samplesIdenticalUnderFaults, storeFaultsThroughFetch, stuckChunkIsTyped } from "../setup/fault-cases.ts";
import { type FaultServer, startFaultServer } from "../setup/fault-server.ts";

async function withServer(body: (url: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "cellmap-faults-" });
  let server: FaultServer | undefined;
  try {
    await writeArrayFixture(dir);
    server = await startFaultServer(dir);
    await body(server.url);
  } finally {
    await server?.close();
    await Deno.remove(dir, { recursive: true });
  }
}

// Hanging answers leave sockets that the server closes at the end.
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({ name: "every fault kind at 30 percent, mixed, through fetch workers: samples identical to a clean run", ...opts, fn: () => withServer(samplesIdenticalUnderFaults) });
Deno.test({ name: "a chunk that stays bad is a ChunkDecodeError naming the chunk and the check", ...opts, fn: () => withServer(stuckChunkIsTyped) });
Deno.test({ name: "HTML pages, hangs, cut bodies and 503s through fetch are retried, then named, without the URL's query", ...opts, fn: () => withServer(storeFaultsThroughFetch) });
