// CellMapDatasetWriter in Chromium (vitest browser mode) on an in-memory target that zarrita
// reads back through its get/getRange: v3 round trip, crash and resume, refusal of foreign
// outputs, option errors. Bodies in test/setup/writer-cases.ts.
import { test } from "vitest";
import { memoryPlace, writerCases as cases, writerInputCases as inputCases } from "./setup/writer-cases.ts";

test("v3 output reads back with zarrita: NGFF 0.5 levels, every voxel at its world position", async () => {
  console.log(`[chromium] ${await cases.v3RoundTrip(memoryPlace())}`);
});
test("a crash mid-tile leaves finished tiles intact and a rerun resumes (v2)", async () => {
  console.log(`[chromium] ${await cases.resumeAfterCrash(memoryPlace(), 2)}`);
});
test("a crash mid-tile leaves finished tiles intact and a rerun resumes (v3)", async () => {
  console.log(`[chromium] ${await cases.resumeAfterCrash(memoryPlace(), 3)}`);
});
test("an output made with other options is refused unless overwrite", () => cases.refusesForeignOutput(memoryPlace()));
test("bad options raise ArgumentError naming the option", () => cases.rejectsBadOptions(memoryPlace()));

// The writer reads its inputs (writerInputCases): the raw volume is served from memory.
test("inputs from get(idx) and the loader equal the formula: off-grid, coarser level, value transforms, pad (CPU)", async () => {
  console.log(`[chromium] ${await inputCases.inputsMatchFormula(memoryPlace(), "cpu")}`);
});
test("inputs from get(idx) and the loader equal the formula: off-grid, coarser level, value transforms, pad (GPU)", async () => {
  console.log(`[chromium] ${await inputCases.inputsMatchFormula(memoryPlace(), "gpu")}`);
});
test("inference loop: loader -> model -> write reads back as the model on the input at every voxel (CPU, v3)", async () => {
  console.log(`[chromium] ${await inputCases.inferenceLoop(memoryPlace(), "cpu", 3)}`);
});
test("inference loop: loader -> model -> write reads back as the model on the input at every voxel (GPU, v2)", async () => {
  console.log(`[chromium] ${await inputCases.inferenceLoop(memoryPlace(), "gpu", 2)}`);
});
test("a rerun after a partial loop visits only the pending tiles", async () => {
  console.log(`[chromium] ${await inputCases.rerunVisitsPendingTiles(memoryPlace())}`);
});
test("GPU input batches stay on the device and equal the CPU twin", async () => {
  console.log(`[chromium] ${await inputCases.gpuBatchesMatchCpu(memoryPlace())}`);
});
test("bad input options, loader options and batch writes raise ArgumentError naming the field", () => inputCases.rejectsBadInputOptions(memoryPlace()));
test("inference loop with a GPU model: predictions passed as GPUBuffers read back with zarrita at every voxel; unreadable buffers raise ArgumentError naming the field", async () => {
  console.log(`[chromium] ${await inputCases.gpuPredictions(memoryPlace())}`);
});
