// The dataset API on the in-memory fixture: hasData / forceHasData / length, plan purity, and the
// multi-dataset. Bodies in test/setup/dataset-api-cases.ts (also run by test/deno/parity_test.ts
// and test/parity.browser.test.ts).
import { describe, test } from "vitest";
import { datasetApiCases as cases } from "./setup/dataset-api-cases.ts";

describe("CellMapDataset API", () => {
  test("hasData follows the annotated classes; forceHasData keeps the raw grid; length > 0 only with data", cases.hasDataAndForce);
  test("plan(i, rng) gives the same center, matrix and ops for the same key without reading data; another key differs", cases.planIsPure);
  test("a multi-dataset concatenates, locates and aggregates counts", cases.multiDataset);
});
