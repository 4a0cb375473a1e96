/**
 * Where sampling runs: `"gpu"` (WGSL resampling out of a GPU chunk cache), `"cpu"` (the CPU twin
 * out of a chunk cache in host memory) or `"auto"`, which picks the GPU only when it is a real one.
 *
 * On a machine without a GPU, WebGPU still works through a software adapter (SwiftShader,
 * lavapipe) that runs the shaders on the CPU, correct but slow: there the CPU twin samples several
 * times faster (bench figure 3, bench/RESULTS.md). `"auto"` lets the same code use a GPU where
 * there is one and the twin where there is not.
 *
 * @example
 * ```ts
 * const gpu = await GpuContext.create();
 * resolveDevice("auto", gpu); // "gpu" on a GPU, "cpu" on SwiftShader or lavapipe
 * resolveDevice(undefined, gpu); // "gpu": a given context is used unless told otherwise
 * ```
 * @module
 */

import { ArgumentError } from "../errors.ts";

/** What a caller may ask for. */
export type DeviceChoice = "gpu" | "cpu" | "auto";

/** Where sampling runs once resolved. */
export type SampleDevice = "gpu" | "cpu";

/**
 * Resolve a device option: `undefined` means `"gpu"` when a GPU context is given and `"cpu"`
 * otherwise; `"auto"` means `"gpu"` when the context is a hardware adapter and `"cpu"` when it is a
 * software one or missing; `"gpu"` and `"cpu"` stay. A `"gpu"` without a context is left for the
 * caller to reject, with its own message.
 *
 * @param device the option as given
 * @param gpu the GPU context, if any (only `isSoftware` is read)
 * @param field name of the option in error messages
 * @throws {ArgumentError} for any other value
 * @example
 * ```ts
 * const device = resolveDevice(options.device, options.gpu);
 * ```
 */
export function resolveDevice(device: unknown, gpu: { readonly isSoftware: boolean } | undefined, field = "device"): SampleDevice {
  if (device === undefined) return gpu ? "gpu" : "cpu";
  if (device === "auto") return gpu !== undefined && !gpu.isSoftware ? "gpu" : "cpu";
  if (device === "gpu" || device === "cpu") return device;
  throw new ArgumentError(field, 'must be "gpu", "cpu" or "auto"', device);
}
