// The CPU executor (src/engine/) in Chromium. Where the test page is cross-origin isolated the
// sample workers run (Vite-bundled module workers over shared memory) and must give the twin's
// bits; where it is not, the executor falls back to the calling thread and says why. Bodies in
// test/setup/cpu-executor-cases.ts.
import { test } from "vitest";
import { sharedMemory } from "../src/engine/shared-memory.ts";
import { cpuExecutorCases as cases } from "./setup/cpu-executor-cases.ts";

const shared = sharedMemory().ok;

test("the executor: workers where memory can be shared, else the calling thread, saying why", async () => {
  console.log(`[chromium] ${await cases.executorChoice()}`);
});
test.runIf(shared)("random dispatches in 1, 2 and 3 workers give the twin's bits", async () => {
  console.log(`[chromium] ${await cases.randomDispatches(60)}`);
});
test.runIf(shared)("a task that throws in a worker is a WorkerError naming the dispatch", cases.workerErrorsAreTyped);
test("a CPU dataset's loader batches match the calling thread's (the fallback where memory is not shared)", async () => {
  console.log(`[chromium] ${await cases.datasetBatchesMatchTheCallingThread()}`);
});
