// `device: "auto"` in Chromium (SwiftShader without a GPU). Bodies in test/setup/device-cases.ts.
import { test } from "vitest";
import { deviceCases as cases } from "./setup/device-cases.ts";

test("resolveDevice: auto picks the GPU only on a hardware adapter; other values are refused", cases.resolveDeviceRule);
test("device auto samples where the adapter says, with the same values as that device", async () => {
  console.log(`[chromium] ${await cases.autoFollowsTheAdapter()}`);
});
