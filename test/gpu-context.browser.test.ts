// GpuContext in Chromium (vitest browser mode): navigator.gpu, SwiftShader on machines without a GPU.
import { expect, test } from "vitest";
import { gpuContextCases as cases } from "./setup/gpu-context-cases.ts";

test("a compute shader matches the CPU", async () => {
  const adapter = await cases.computeMatchesCpu();
  console.log(`[chromium] ${adapter}`);
  expect(adapter).toMatch(/^adapter: /);
});
test("the device gets the limits the library needs", cases.limitsAreRaised);
test("destroy() destroys an owned device and rejects tracked work", cases.ownedDeviceIsDestroyed);
test("destroy() leaves a borrowed device alive", cases.borrowedDeviceSurvives);
test("invalid WGSL raises GpuError with the compiler message", cases.badWgslRaisesGpuError);
test("pipelines are cached per device and key", cases.pipelinesAreCached);
test("aborts, missing adapters and bad arguments give typed errors", cases.errorsAreTyped);
test("readBuffer() reads exact byte ranges", cases.readBufferReadsRanges);

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
