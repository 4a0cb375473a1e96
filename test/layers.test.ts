// The layers of src/ (docs/architecture.md, "Layers"): no import points up except the known ones
// still listed in scripts/check-layers.mjs, and none of those is listed after it is gone.
import { expect, test } from "vitest";
import { check, KNOWN } from "../scripts/check-layers.mjs";

test("no import in src/ points up a layer, beyond the known ones that are still there", () => {
  const { problems, cycles } = check();
  expect(problems).toEqual([]);
  // The one folder cycle left runs through the known imports; it goes with them.
  for (const cycle of cycles) for (const folder of cycle) expect([...KNOWN].some((k) => k.startsWith(`${folder} ->`) || k.includes(`-> ${folder}:`))).toBe(true);
});
