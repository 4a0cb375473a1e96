// The value-transform spec: validation errors that name the field, both spec forms, and the
// per-sample draw (p, drawn factors, fixed consumption of the random stream). Bodies in
// test/setup/value-spec-cases.ts (also run by test/deno/parity_test.ts and
// test/parity.browser.test.ts).
import { describe, it } from "vitest";
import { valueSpecCases as cases } from "./setup/value-spec-cases.ts";

describe("parseValueTransforms", () => {
  it("accepts the array form and the single-object form in written order", cases.bothForms);
  it("accepts every transform", cases.everyTransform);
  it("names the bad field", cases.namesBadField);
});

describe("drawValueOps", () => {
  it("turns specs into concrete ops with defaults", cases.concreteOps);
  it("draws factors in range and leaves out ops whose p did not fire", cases.drawsInRange);
  it("consumes a fixed number of draws whatever p decides", cases.fixedConsumption);
  it("fires with the asked frequency and is deterministic per seed", cases.firesWithFrequency);
});
