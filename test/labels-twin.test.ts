// The class-relationship shader and its CPU twin in Node (Dawn, SwiftShader without a GPU).
// Bodies in test/setup/label-cases.ts.
import { test } from "vitest";
import { labelCases as cases } from "./setup/label-cases.ts";

test("a hand-built case gets exactly the known true negatives", cases.handBuiltTrueNegatives);
test("a one-way relation with a numeric empty value infers one direction only", cases.oneWayRelationWithNumericEmpty);
test("random cases match the CPU twin exactly", async () => {
  console.log(`[node] ${await cases.randomMatchesTwin()}`);
});
test("batches beyond the binding limit are split into groups", cases.groupsSplitLargeBatches);
test("malformed inputs raise ArgumentError naming the field", cases.badInputsAreRejected);
