// The layers of src/ (docs/architecture.md, "Layers"): no import points up except the known ones
// still listed in scripts/check-layers.mjs, and none of those is listed after it is gone.
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { check, KNOWN, unit } from "../scripts/check-layers.mjs";

test("no import in src/ points up a layer, beyond the known ones that are still there", () => {
  const { problems, cycles } = check();
  expect(problems).toEqual([]);
  // The folder cycles left run through known upward imports (both ends in the cycle); they go with them.
  const ends = (key: string) => /^(\S+) -> ([^:]+):/.exec(key)!.slice(1);
  for (const cycle of cycles) {
    expect([...KNOWN].some((k) => ends(k).every((f) => cycle.includes(f))), cycle.join(", ")).toBe(true);
  }
});

test("files in src/kernels/ belong to the unit of their role, whatever their kernel", () => {
  const at = (path: string) => unit(fileURLToPath(new URL(`../src/${path}`, import.meta.url)));
  expect(at("kernels/layout.ts")).toBe("kernels/contract");
  expect(at("kernels/resample/shader.gen.ts")).toBe("kernels/contract");
  expect(at("kernels/chunks/contract.ts")).toBe("kernels/contract");
  expect(at("kernels/resample/contract-plan.ts")).toBe("kernels/contract");
  expect(at("kernels/resample/twin-source.ts")).toBe("kernels/twin");
  expect(at("kernels/resample/gpu-pipeline.ts")).toBe("kernels/gpu");
  expect(at("kernels/resample/helpers.ts")).toBe("kernels/?");
  expect(at("gpu/context.ts")).toBe("gpu");
});
