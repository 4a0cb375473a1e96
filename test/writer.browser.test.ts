// CellMapDatasetWriter in Chromium (vitest browser mode) on an in-memory target that zarrita
// reads back through its get/getRange: v3 round trip, crash and resume, refusal of foreign
// outputs, option errors. Bodies in test/setup/writer-cases.ts.
import { test } from "vitest";
import { memoryPlace, writerCases as cases } from "./setup/writer-cases.ts";

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
