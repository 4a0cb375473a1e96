/**
 * The `--device` option of the commands: `gpu` (the default), `cpu`, or `auto`, which uses the GPU
 * only when WebGPU finds a hardware adapter and the CPU twin otherwise (faster on the software
 * adapters of machines without a GPU; see `resolveDevice`).
 *
 * @example
 * ```ts
 * const { device, gpu } = await openDevice(deviceOption(args), "cellmap-data sample");
 * try { ... } finally { gpu?.destroy(); }
 * ```
 * @module
 */

import { type DeviceChoice, resolveDevice, type SampleDevice } from "../array/device.ts";
import { ArgumentError, isCellMapError } from "../errors.ts";
import { GpuContext } from "../gpu/context.ts";
import { stringOption, type ParsedArgs } from "./args.ts";

/** `--device`, checked: "gpu" when absent. */
export function deviceOption(args: ParsedArgs): DeviceChoice {
  const device = stringOption(args, "device", false) ?? "gpu";
  if (device !== "gpu" && device !== "cpu" && device !== "auto") throw new ArgumentError("--device", 'must be "gpu", "cpu" or "auto"', device);
  return device;
}

/**
 * Where the command samples, and the GPU context it owns when that is the GPU. `gpu` fails as
 * `GpuContext.create` does when there is no WebGPU; `auto` then falls back to the CPU.
 */
export async function openDevice(choice: DeviceChoice, label: string): Promise<{ device: SampleDevice; gpu?: GpuContext }> {
  if (choice === "cpu") return { device: "cpu" };
  let gpu: GpuContext;
  try {
    gpu = await GpuContext.create({ label });
  } catch (e) {
    if (choice === "auto" && isCellMapError(e, "gpu")) return { device: "cpu" };
    throw e;
  }
  const device = resolveDevice(choice, gpu, "--device");
  if (device === "gpu") return { device, gpu };
  gpu.destroy();
  return { device };
}
