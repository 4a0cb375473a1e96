// `device: "auto"` in Deno (lavapipe without a GPU). Bodies in test/setup/device-cases.ts.
import { deviceCases as cases } from "../setup/device-cases.ts";

Deno.test("resolveDevice: auto picks the GPU only on a hardware adapter; other values are refused", cases.resolveDeviceRule);
Deno.test("device auto samples where the adapter says, with the same values as that device", async () => {
  console.log(`[deno] ${await cases.autoFollowsTheAdapter()}`);
});
