// The CPU executor (src/engine/) in Node: sample workers on worker_threads running
// dist/sample-worker.js over a chunk cache in shared memory. Bodies in
// test/setup/cpu-executor-cases.ts (also run by test/deno/cpu_executor_test.ts and
// test/cpu-executor.browser.test.ts).
import { test } from "vitest";
import { cpuExecutorCases as cases } from "./setup/cpu-executor-cases.ts";

test("random dispatches in 1, 2 and 3 workers give the twin's bits: general, permuted, displaced, every kind", async () => {
  console.log(`[node] ${await cases.randomDispatches()}`);
});
test("one sample cut into slabs, and dispatches running at once, give the twin's bits", cases.oneSampleAndConcurrentDispatches);
test("a task that throws in a worker is a WorkerError naming the dispatch", cases.workerErrorsAreTyped);
test("an aborted dispatch is an AbortedError; a released executor stops its workers", cases.abortAndDestroy);
test("the executor: one worker per core by default, the calling thread with cpuWorkers 0", async () => {
  console.log(`[node] ${await cases.executorChoice()}`);
});
test("a CPU dataset's loader batches in the workers are the calling thread's, bit for bit", async () => {
  console.log(`[node] ${await cases.datasetBatchesMatchTheCallingThread()}`);
});
test("a dispatch too small for a worker runs on the calling thread, with the same bits", cases.smallDispatchesRunHere);
