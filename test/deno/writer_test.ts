// CellMapDatasetWriter in Deno (node:fs through src/zarr-write/fs-target.ts): v3 round trip read
// back by zarrita, crash and resume, refusal of foreign outputs. Bodies in test/setup/writer-cases.ts.
import { writerCases as cases, writerInputCases as inputCases } from "../setup/writer-cases.ts";

async function inTempDir(work: (dir: string) => Promise<unknown>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "cellmap-writer-" });
  try {
    const out = await work(dir);
    if (typeof out === "string") console.log(`[deno] ${out}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("writer: v3 output reads back with zarrita, every voxel at its world position", () => inTempDir(cases.v3RoundTrip));
Deno.test("writer: a crash mid-tile leaves finished tiles intact and a rerun resumes (v2)", () => inTempDir((d) => cases.resumeAfterCrash(d, 2)));
Deno.test("writer: a crash mid-tile leaves finished tiles intact and a rerun resumes (v3)", () => inTempDir((d) => cases.resumeAfterCrash(d, 3)));
Deno.test("writer: an output made with other options is refused unless overwrite", () => inTempDir(cases.refusesForeignOutput));
Deno.test("writer: bad options raise ArgumentError naming the option", () => inTempDir(cases.rejectsBadOptions));

// The writer reads its inputs (writerInputCases): the raw volume is served from memory.
Deno.test("writer: inputs from get(idx) and the loader equal the formula: off-grid, coarser level, value transforms, pad (CPU)", () => inTempDir((d) => inputCases.inputsMatchFormula(d, "cpu")));
Deno.test("writer: inputs from get(idx) and the loader equal the formula: off-grid, coarser level, value transforms, pad (GPU)", () => inTempDir((d) => inputCases.inputsMatchFormula(d, "gpu")));
Deno.test("writer: inference loop: loader -> model -> write reads back as the model on the input at every voxel (CPU, v3)", () => inTempDir((d) => inputCases.inferenceLoop(d, "cpu", 3)));
Deno.test("writer: inference loop: loader -> model -> write reads back as the model on the input at every voxel (GPU, v2)", () => inTempDir((d) => inputCases.inferenceLoop(d, "gpu", 2)));
Deno.test("writer: a rerun after a partial loop visits only the pending tiles", () => inTempDir(inputCases.rerunVisitsPendingTiles));
Deno.test("writer: GPU input batches stay on the device and equal the CPU twin", () => inTempDir(inputCases.gpuBatchesMatchCpu));
Deno.test("writer: bad input options, loader options and batch writes raise ArgumentError naming the field", () => inTempDir(inputCases.rejectsBadInputOptions));
Deno.test("writer: inference loop with a GPU model: predictions passed as GPUBuffers read back with zarrita at every voxel; unreadable buffers raise ArgumentError naming the field", () => inTempDir(inputCases.gpuPredictions));
