// The CPU resample twin against its previous implementation, kept unchanged, in Node: bit-identical
// output on seeded random dispatches. Bodies in test/setup/resample-reference-identity-cases.ts
// (also run by test/deno/resample_reference_identity_test.ts and
// test/resample-reference-identity.browser.test.ts).
import { test } from "vitest";
import { resampleIdentityCases as cases } from "./setup/resample-reference-identity-cases.ts";

test("400 random dispatches give bit-identical output to the previous twin, every kind, linear and nearest, displaced or not", async () => {
  console.log(`[node] ${await cases.randomDispatches()}`);
});
test("larger volumes crossing many chunks give bit-identical output, every kind", cases.largerVolumes);
test("the comparison notices changed pad and fill values", cases.noticesChanges);
test("a missing sample raises RangeError like before", cases.missingSample);
