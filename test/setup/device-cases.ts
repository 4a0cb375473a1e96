// `device: "auto"` bodies, run in Node, Deno and Chromium from the case registry (test/setup/cases.ts). "auto" samples on the GPU only when the
// adapter is a real one; on the software adapters of machines without a GPU (SwiftShader,
// lavapipe) it uses the CPU twin, which is several times faster there. The in-memory fixture
// (test/setup/dataset-fixture.ts) is read through its counting fetch with `workers: 0`.

import { CellMapArray } from "../../src/array/cellmap-array.ts";
import { resolveDevice } from "../../src/array/device.ts";
import { CellMapDataset, type CellMapDatasetOptions } from "../../src/dataset/dataset.ts";
import { GpuContext } from "../../src/gpu/context.ts";
import { caught, caughtSync, check, isTagged, same, sameValues } from "./assert.ts";
import { buildFixture, type MemoryFixture, SCALE } from "./dataset-fixture.ts";
import type { Cases } from "./cases.ts";

let fixture: Promise<MemoryFixture> | undefined;
const getFixture = (): Promise<MemoryFixture> => (fixture ??= buildFixture(2));

async function open(extra: Partial<CellMapDatasetOptions<"raw", "gt">>): Promise<CellMapDataset<"raw" | "gt">> {
  const fx = await getFixture();
  return CellMapDataset.open<"raw", "gt">({
    inputPath: fx.rawUrl,
    targetPath: `${fx.cropUrl}/[mito,er]`,
    classes: ["mito", "er"],
    inputArrays: { raw: { shape: [3, 6, 6], scale: [SCALE, SCALE, SCALE] } },
    targetArrays: { gt: { shape: [3, 4, 4], scale: [SCALE, SCALE, SCALE] } },
    spatialTransforms: { rotate: { axes: { z: [-180, 180] } }, mirror: { axes: { x: 0.5 } } },
    workers: 0,
    storeOptions: { fetch: fx.fetch },
    ...extra,
  });
}

export const deviceCases = {
  /**
   * The rule: no option means "gpu" with a context and "cpu" without; "auto" means "gpu" on a
   * hardware adapter only; anything else is an ArgumentError naming the field. (Plain objects
   * stand in for a hardware adapter, which these machines do not have.)
   */
  "resolveDevice: auto picks the GPU only on a hardware adapter; other values are refused"(): Promise<void> {
    const hardware = { isSoftware: false };
    const software = { isSoftware: true };
    same(resolveDevice(undefined, undefined), "cpu", "no option, no context");
    same(resolveDevice(undefined, software), "gpu", "no option, a context (even a software one)");
    same(resolveDevice("auto", hardware), "gpu", "auto on a hardware adapter");
    same(resolveDevice("auto", software), "cpu", "auto on a software adapter");
    same(resolveDevice("auto", undefined), "cpu", "auto without a context");
    same(resolveDevice("cpu", hardware), "cpu", "cpu stays cpu");
    same(resolveDevice("gpu", software), "gpu", "gpu stays gpu");
    const e = isTagged(caughtSync(() => resolveDevice("tpu", hardware), "device tpu"), "argument", "device", "device tpu");
    check(/"gpu", "cpu" or "auto"/.test(e.message) && e.message.includes("tpu"), `message: ${e.message}`);
    return Promise.resolve();
  },

  /**
   * On this machine's adapter, a dataset and an array opened with "auto" run where the rule says
   * (the CPU twin on a software adapter), and the dataset's items equal those of one opened with
   * that device explicitly, value for value.
   */
  async "device auto samples where the adapter says, with the same values as that device"(): Promise<string> {
    const gpu = await GpuContext.create({ label: "test device auto" });
    const fx = await getFixture();
    try {
      const expected = gpu.isSoftware ? "cpu" : "gpu";
      const array = await CellMapArray.open(fx.rawUrl, { gpu, device: "auto", workers: 0, storeOptions: { fetch: fx.fetch } });
      try {
        same(array.device, expected, "array device");
      } finally {
        array.destroy();
      }
      const auto = await open({ gpu, device: "auto" });
      const explicit = await open({ gpu, device: expected });
      try {
        same(auto.device, expected, "dataset device");
        check(auto.length > 10, `dataset length ${auto.length}`);
        for (const i of [0, Math.floor(auto.length / 2), auto.length - 1]) {
          const [a, b] = [await auto.get(i), await explicit.get(i)];
          for (const key of ["raw", "gt"] as const) {
            const [x, y] = [a[key], b[key]];
            same(x.shape, y.shape, `item ${i} ${key} shape`);
            sameValues(x.data, y.data, `item ${i} ${key}`);
          }
        }
      } finally {
        auto.destroy();
        explicit.destroy();
      }
      // a bad device is refused before anything is fetched
      isTagged(await caught(() => open({ gpu, device: "tpu" as "auto" }), "device tpu"), "argument", "device", "dataset device tpu");
      return `adapter ${gpu.isSoftware ? "software" : "hardware"}: "auto" sampled on the ${expected}`;
    } finally {
      gpu.destroy();
    }
  },
} satisfies Cases;
