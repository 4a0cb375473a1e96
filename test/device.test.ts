// `device: "auto"`: the GPU on a hardware adapter, the CPU twin on a software one. Bodies in
// test/setup/device-cases.ts (also run by test/deno/device_test.ts and test/device.browser.test.ts).
import { test } from "vitest";
import { deviceCases as cases } from "./setup/device-cases.ts";

test("resolveDevice: auto picks the GPU only on a hardware adapter; other values are refused", cases.resolveDeviceRule);
test("device auto samples where the adapter says, with the same values as that device", async () => {
  console.log(`[node] ${await cases.autoFollowsTheAdapter()}`);
});
