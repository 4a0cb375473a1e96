// Chunk-cache memory in Chromium (vitest browser mode; the same cases run in Node and Deno): caches sized to the
// array's chunks, arrays shared between datasets, data splits and 2D slices. Bodies in
// test/setup/memory-cases.ts.
import { test } from "vitest";
import { memoryCases as cases } from "./setup/memory-cases.ts";

test("a small crop's label cache holds its chunks, not the default budget (CPU)", () => cases.cacheIsCappedAtChunkCount("cpu"));
test("a small crop's label cache holds its chunks, not the default budget (GPU)", () => cases.cacheIsCappedAtChunkCount("gpu"));
test("a budget above the binding limit is still capped one slot below it", cases.bindingLimitStillCaps);
test("two datasets over one raw volume share its array: no new fetches, and destroying one leaves the other working", cases.datasetsShareArrays);
test("a data split over two crops of one raw volume opens the raw array once", cases.splitOpensRawOnce);
test("openSlicedDatasets opens each array once for its three datasets", cases.slicedOpensEachArrayOnce);
test("a data split with 2D shapes opens one dataset per axis with [1, h, w] items; slicingAxes passes through", cases.splitOf2DShapes);
test("mismatched open options for a shared array give an ArgumentError naming the field", cases.mismatchedOptions);
test("a split made from opened datasets owns them: dropped ones are destroyed at open, all of them when open throws", cases.splitOwnsGivenDatasets);
test("device and GPU pick the shared array", cases.deviceIsPartOfTheKey);
test("the first of two datasets sharing a raw array aborts alone; aborting both cancels the shared open and leaks nothing", cases.abortOneOfTwoSharedOpens);
