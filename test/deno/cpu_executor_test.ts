// The CPU executor (src/engine/) in Deno: sample workers as TypeScript module workers over a
// chunk cache in shared memory. Bodies in test/setup/cpu-executor-cases.ts.
import { cpuExecutorCases as cases } from "../setup/cpu-executor-cases.ts";

Deno.test("random dispatches in 1, 2 and 3 workers give the twin's bits: general, permuted, displaced, every kind", async () => {
  console.log(`[deno] ${await cases.randomDispatches()}`);
});
Deno.test("one sample cut into slabs, and dispatches running at once, give the twin's bits", cases.oneSampleAndConcurrentDispatches);
Deno.test("a task that throws in a worker is a WorkerError naming the dispatch", cases.workerErrorsAreTyped);
Deno.test("an aborted dispatch is an AbortedError; a released executor stops its workers", cases.abortAndDestroy);
Deno.test("the executor: one worker per core by default, the calling thread with cpuWorkers 0", async () => {
  console.log(`[deno] ${await cases.executorChoice()}`);
});
Deno.test("a CPU dataset's loader batches in the workers are the calling thread's, bit for bit", async () => {
  console.log(`[deno] ${await cases.datasetBatchesMatchTheCallingThread()}`);
});
Deno.test("a dispatch too small for a worker runs on the calling thread, with the same bits", cases.smallDispatchesRunHere);
