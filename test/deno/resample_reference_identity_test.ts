// The CPU resample twin against its previous implementation, kept unchanged, in Deno: bit-identical
// output on seeded random dispatches. Bodies in test/setup/resample-reference-identity-cases.ts.
import { resampleIdentityCases as cases } from "../setup/resample-reference-identity-cases.ts";

Deno.test("400 random dispatches give bit-identical output to the previous twin, every kind, linear and nearest, displaced or not", async () => {
  console.log(`[deno] ${await cases.randomDispatches()}`);
});
Deno.test("larger volumes crossing many chunks give bit-identical output, every kind", cases.largerVolumes);
Deno.test("the comparison notices changed pad and fill values", cases.noticesChanges);
Deno.test("a missing sample raises RangeError like before", cases.missingSample);
