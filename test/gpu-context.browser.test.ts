// GpuContext in a dedicated worker in Chromium (the shared GpuContext cases run from the case
// registry, test/setup/cases.ts).
import { expect, test } from "vitest";

test("a dedicated worker gets WebGPU and computes the same", async () => {
  const worker = new Worker(new URL("./setup/gpu-context-worker.ts", import.meta.url), { type: "module" });
  try {
    const reply = await new Promise<{ ok?: string; error?: string }>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<{ ok?: string; error?: string }>) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(`worker failed to start: ${e.message}`));
      worker.postMessage("run");
    });
    expect(reply.error).toBeUndefined();
    console.log(`[chromium worker] ${reply.ok}`);
    expect(reply.ok).toMatch(/^adapter: /);
  } finally {
    worker.terminate();
  }
});
