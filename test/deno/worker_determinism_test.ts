// Determinism across fetch-worker counts in Deno: TypeScript module workers reading the dataset
// fixture over loopback HTTP.
import { serveStatic } from "../../src/serve/static-server.ts";
import { DATASET_DIR, writeDatasetFixture } from "../setup/dataset-http-fixture.ts";
import { sameBatchesWithOneAndTwoWorkers } from "../setup/worker-determinism-cases.ts";

Deno.test("same seed: bit-identical batches with 1 worker and with 2, prefetch 1 and 3", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cellmap-workers-" });
  const server = await serveStatic({ root: dir });
  try {
    await writeDatasetFixture(dir);
    await sameBatchesWithOneAndTwoWorkers(`${server.url}/${DATASET_DIR}`);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
