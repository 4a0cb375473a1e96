// CellMapArray in Chromium: module fetch workers bundled by Vite, WebGPU on SwiftShader, HTTP.
import { afterAll, beforeAll, describe, inject, test } from "vitest";
import { GpuContext } from "../src/gpu/context.ts";
import { gpuMatchesCpu } from "./setup/array-cases.ts";

let gpu: GpuContext;
beforeAll(async () => {
  gpu = await GpuContext.create({ label: "browser cellmap-array test" });
});
afterAll(() => gpu?.destroy());

describe("CellMapArray (Chromium)", () => {
  test("GPU resampling through the chunk cache equals the CPU twin", async () => {
    console.log(`[chromium] ${await gpuMatchesCpu(inject("fixtureUrl"), gpu)}`);
  });
});
