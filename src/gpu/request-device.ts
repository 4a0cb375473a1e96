/**
 * Finding WebGPU in the current runtime and requesting an adapter and a device with the limits
 * the library needs, with errors that say how to fix a machine that has none.
 *
 * @example
 * ```ts
 * const adapter = await requestAdapter({ powerPreference: "high-performance" });
 * const device = await requestDevice(adapter, "my-app", {});
 * ```
 * @module
 */

import { GpuError } from "../errors.ts";
import { quietVulkan } from "./quiet-vulkan.ts";

/** The limits raised to the adapter's maximum on every device the library creates. */
export const RAISED_LIMITS = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupSizeZ",
  "maxStorageBuffersPerShaderStage",
] as const;

/** The fewest storage buffers per shader stage the library's shaders bind. */
export const MIN_STORAGE_BUFFERS_PER_STAGE = 5;

type Runtime = "deno" | "node" | "browser";

function runtime(): Runtime {
  const g = globalThis as { Deno?: unknown; process?: { versions?: { node?: string } } };
  if (g.Deno !== undefined) return "deno";
  if (typeof g.process?.versions?.node === "string") return "node";
  return "browser";
}

async function findGpu(given: GPU | undefined): Promise<{ gpu: GPU; notes: string[] }> {
  if (given !== undefined) return { gpu: given, notes: ["GPU object passed in options.gpu"] };
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu !== undefined) return { gpu: nav.gpu, notes: [] };
  const where = runtime();
  if (where === "node") {
    try {
      const { loadNodeGpu } = await import("./webgpu-node.ts");
      return await loadNodeGpu();
    } catch (e) {
      throw new GpuError(nodeWithoutDawn(e), { cause: e });
    }
  }
  if (where === "deno") {
    throw new GpuError("Deno has no navigator.gpu: use Deno 2.x (WebGPU is built in; older versions need --unstable-webgpu).");
  }
  const secure = (globalThis as { isSecureContext?: boolean }).isSecureContext;
  throw new GpuError(
    "This browser exposes no WebGPU (navigator.gpu is missing)" +
      (secure === false ? " because the page is not a secure context: serve it over https or from localhost. " : ". ") +
      "Use Chrome or Edge 113+, Safari 26+ or Firefox 141+; headless Chromium needs --enable-unsafe-webgpu.",
  );
}

/** Why Dawn could not be loaded in Node, and what to install (it is an optional peer dependency). */
function nodeWithoutDawn(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  const missing = (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && /\bwebgpu\b/.test(String(e));
  return (
    "Node has no built-in WebGPU; cellmap-data uses Dawn from the npm package `webgpu`, an optional peer dependency, " +
    (missing ? "which is not installed. " : `which could not be loaded (${String(e)}). `) +
    "Run `npm install webgpu` (pnpm: `pnpm add webgpu`), or pass a GPU object as `options.gpu`."
  );
}

function noAdapterHelp(where: Runtime, notes: string[]): string {
  const tried = notes.length > 0 ? ` (${notes.join("; ")})` : "";
  switch (where) {
    case "node":
      return (
        `Dawn (npm package \`webgpu\`) found no GPU adapter${tried}. On a machine without a GPU, ` +
        "install a SwiftShader Vulkan driver: `apt-get install chromium` (Debian/Ubuntu) brings " +
        "/usr/lib/chromium/vk_swiftshader_icd.json, which is used automatically; or set VK_ICD_FILENAMES " +
        "to any vk_swiftshader_icd.json."
      );
    case "deno":
      return (
        `Deno found no GPU adapter${tried}. On a machine without a GPU, install a software Vulkan ` +
        "driver: `apt-get install mesa-vulkan-drivers` (Debian/Ubuntu) brings lavapipe. Check the " +
        "driver with `vulkaninfo --summary`; VK_ICD_FILENAMES picks one explicitly."
      );
    case "browser":
      return (
        `navigator.gpu.requestAdapter() returned null${tried}: WebGPU is disabled or no GPU is usable. ` +
        "Headless Chromium without a GPU needs --enable-unsafe-webgpu (it then uses SwiftShader); " +
        "otherwise check chrome://gpu and that hardware acceleration is on."
      );
  }
}

/**
 * Request an adapter from `options.gpu`, `navigator.gpu`, or (Node) Dawn.
 *
 * @param options `gpu` to use a given GPU object, `powerPreference` for the request.
 * @returns The adapter.
 * @throws {GpuError} when WebGPU or an adapter is missing, saying how to install one.
 * @example
 * ```ts
 * const adapter = await requestAdapter({});
 * ```
 */
export async function requestAdapter(
  options: { gpu?: GPU; powerPreference?: GPUPowerPreference },
): Promise<GPUAdapter> {
  if (options.gpu === undefined) await quietVulkan();
  const { gpu, notes } = await findGpu(options.gpu);
  const request: GPURequestAdapterOptions = {};
  if (options.powerPreference !== undefined) request.powerPreference = options.powerPreference;
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter(request);
  } catch (e) {
    throw new GpuError(`requestAdapter() failed: ${String(e)}. ${noAdapterHelp(runtime(), notes)}`, { cause: e });
  }
  if (adapter === null) throw new GpuError(noAdapterHelp(runtime(), notes));
  return adapter;
}

/**
 * Request a device with {@link RAISED_LIMITS} at the adapter's maxima, `shader-f16` when the
 * adapter has it, and the caller's `requiredLimits` on top.
 *
 * @param adapter From {@link requestAdapter}.
 * @param label The device's label.
 * @param requiredLimits Extra limits; each must be within what the adapter supports.
 * @returns The device.
 * @throws {GpuError} when a limit is unknown or beyond the adapter, or the request fails.
 * @example
 * ```ts
 * const device = await requestDevice(adapter, "app", { maxBindGroups: 4 });
 * ```
 */
export async function requestDevice(
  adapter: GPUAdapter,
  label: string,
  requiredLimits: Record<string, number>,
): Promise<GPUDevice> {
  const supported = adapter.limits as unknown as Record<string, number | undefined>;
  const limits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const max = supported[name];
    if (max !== undefined) limits[name] = max;
  }
  const storageBuffers = supported["maxStorageBuffersPerShaderStage"] ?? 0;
  if (storageBuffers < MIN_STORAGE_BUFFERS_PER_STAGE) {
    throw new GpuError(
      `the adapter allows ${storageBuffers} storage buffers per shader stage; ` +
        `cellmap-data needs at least ${MIN_STORAGE_BUFFERS_PER_STAGE}`,
    );
  }
  for (const [name, value] of Object.entries(requiredLimits)) {
    const best = supported[name];
    if (best === undefined) throw new GpuError(`requiredLimits.${name} is not a WebGPU limit this adapter knows`);
    const isAlignment = name.startsWith("min");
    if (isAlignment ? value < best : value > best) {
      throw new GpuError(`requiredLimits.${name} = ${value} is beyond this adapter's ${isAlignment ? "minimum" : "maximum"} of ${best}`);
    }
    limits[name] = value;
  }
  const requiredFeatures: GPUFeatureName[] = adapter.features.has("shader-f16") ? ["shader-f16"] : [];
  try {
    return await adapter.requestDevice({ label, requiredLimits: limits, requiredFeatures });
  } catch (e) {
    throw new GpuError(`requestDevice() failed: ${String(e)}`, { cause: e });
  }
}
