// The layers of src/ (docs/architecture.md, "Layers"): no import points up except the known ones
// still listed in scripts/check-layers.mjs, and none of those is listed after it is gone.
import { expect, test } from "vitest";
import { check, KNOWN } from "../scripts/check-layers.mjs";

test("no import in src/ points up a layer, beyond the known ones that are still there", () => {
  const { problems, cycles } = check();
  expect(problems).toEqual([]);
  // The folder cycles left run through known upward imports (both ends in the cycle); they go with them.
  const ends = (key: string) => /^(\S+) -> ([^:]+):/.exec(key)!.slice(1);
  for (const cycle of cycles) {
    expect([...KNOWN].some((k) => ends(k).every((f) => cycle.includes(f))), cycle.join(", ")).toBe(true);
  }
});
