// CellMapArray in Deno: TypeScript module workers, built-in WebGPU (lavapipe), HTTP and local files.
import { GpuContext } from "../../src/gpu/context.ts";
import { serveStatic } from "../../src/serve/static-server.ts";
import { gpuMatchesCpu, readsStoredVoxels } from "../setup/array-cases.ts";
import { writeArrayFixture } from "../setup/array-fixture.ts";

Deno.test("CellMapArray: GPU equals the CPU twin over HTTP, stored voxels read exactly from files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cellmap-array-" });
  const gpu = await GpuContext.create({ label: "deno cellmap-array test" });
  const server = await serveStatic({ root: dir });
  try {
    await writeArrayFixture(dir);
    console.log(`[deno] ${await gpuMatchesCpu(server.url, gpu)}`);
    await readsStoredVoxels(dir, gpu);
  } finally {
    await server.close();
    gpu.destroy();
    await Deno.remove(dir, { recursive: true });
  }
});
