// GpuContext in Deno: built-in navigator.gpu (lavapipe on machines without a GPU).
import { gpuContextCases as cases } from "../setup/gpu-context-cases.ts";

Deno.test("a compute shader matches the CPU", async () => {
  console.log(`[deno] ${await cases.computeMatchesCpu()}`);
});
Deno.test("the device gets the limits the library needs", cases.limitsAreRaised);
Deno.test("destroy() destroys an owned device and rejects tracked work", cases.ownedDeviceIsDestroyed);
Deno.test("destroy() leaves a borrowed device alive", cases.borrowedDeviceSurvives);
Deno.test("invalid WGSL raises GpuError with the compiler message", cases.badWgslRaisesGpuError);
Deno.test("pipelines are cached per device and key", cases.pipelinesAreCached);
Deno.test("aborts, missing adapters and bad arguments give typed errors", cases.errorsAreTyped);
Deno.test("readBuffer() reads exact byte ranges", cases.readBufferReadsRanges);
