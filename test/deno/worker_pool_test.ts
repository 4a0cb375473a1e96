// The worker pool's batched comlink protocol in Deno: TypeScript module workers, the array fixture served
// over loopback HTTP. Case bodies: test/setup/worker-pool-cases.ts.
import { serveStatic, type StaticServer } from "../../src/serve/static-server.ts";
import { writeArrayFixture } from "../setup/array-fixture.ts";
import { abortInsideBatch, batchEqualsSingleReads, errorInsideBatch, errorsCrossTheBoundary, oneMessagePerWorkerPerTurn, batchIsOneComlinkCall } from "../setup/worker-pool-cases.ts";

async function withFixture(body: (url: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "cellmap-pool-" });
  let server: StaticServer | undefined;
  try {
    await writeArrayFixture(dir);
    server = await serveStatic({ root: dir });
    await body(server.url);
  } finally {
    await server?.close();
    await Deno.remove(dir, { recursive: true });
  }
}

// The abort case leaves a read of an unreachable host waiting (in a worker that is terminated).
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({ name: "reads asked in one turn travel in one comlink call per worker, with the stored voxels", ...opts, fn: () => withFixture(oneMessagePerWorkerPerTurn) });
Deno.test({ name: "one call carrying N chunk requests returns the same bytes as N single requests and as the calling thread", ...opts, fn: () => withFixture(batchEqualsSingleReads) });
Deno.test({ name: "an abort in the middle of a batch rejects only that read and the worker cancels it", ...opts, fn: () => withFixture(abortInsideBatch) });
Deno.test({ name: "an error in one chunk of a batch rejects only that chunk, with a typed error naming it", ...opts, fn: () => withFixture(errorInsideBatch) });
Deno.test({ name: "a batch of reads is one comlink call on the worker's exposed API", ...opts, fn: () => withFixture(batchIsOneComlinkCall) });
Deno.test("typed errors keep their class, tag, fields and message across the worker boundary", errorsCrossTheBoundary);
