/**
 * WebGPU for Node, where there is no `navigator.gpu`: loads Dawn from the npm package `webgpu`
 * and, on Linux machines without a GPU driver Dawn accepts, points the Vulkan loader at the
 * SwiftShader driver that Chromium ships.
 *
 * Only {@link GpuContext} needs this; it is loaded lazily and never in a browser or in Deno.
 *
 * @example
 * ```ts
 * const { gpu, notes } = await loadNodeGpu();
 * const adapter = await gpu.requestAdapter();
 * if (!adapter) console.error(notes.join("\n"));
 * ```
 * @module
 */

/** The part of the `webgpu` package's API used here. */
interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

/** A `GPU` object for Node, and what was tried to find it (for error messages). */
export interface NodeGpu {
  /** Dawn's `GPU` object (same interface as `navigator.gpu`). */
  gpu: GPU;
  /** Human-readable steps taken, e.g. which Vulkan driver file was used. */
  notes: string[];
}

/**
 * Where Linux Chromium and Chrome packages put their SwiftShader Vulkan driver manifest. Debian
 * and Ubuntu: package `chromium` (`dpkg -L chromium-common | grep icd`).
 */
export const SWIFTSHADER_ICD_CANDIDATES: readonly string[] = [
  "/usr/lib/chromium/vk_swiftshader_icd.json",
  "/usr/lib/chromium-browser/vk_swiftshader_icd.json",
  "/usr/lib64/chromium-browser/vk_swiftshader_icd.json",
  "/opt/google/chrome/vk_swiftshader_icd.json",
];

interface NodeProcess {
  env: Record<string, string | undefined>;
  platform: string;
}

let pending: Promise<NodeGpu> | undefined;

/**
 * Load Dawn once per process. On Linux, when neither `VK_ICD_FILENAMES` nor `VK_DRIVER_FILES`
 * is set: a machine that shows a GPU device node (`/dev/dri/renderD*`, `/dev/nvidia*`) first
 * tries the system's Vulkan drivers; when there is no such node, or Dawn finds no adapter there
 * (it rejects lavapipe), the first existing {@link SWIFTSHADER_ICD_CANDIDATES} entry is set as
 * `VK_ICD_FILENAMES` before Dawn is created. Also installs the WebGPU globals
 * (`GPUBufferUsage`, `GPUMapMode`, ...) on `globalThis`.
 *
 * @returns Dawn's GPU object and the notes describing how it was found.
 * @example
 * ```ts
 * const { gpu } = await loadNodeGpu();
 * ```
 */
export function loadNodeGpu(): Promise<NodeGpu> {
  pending ??= load().catch((e: unknown) => {
    pending = undefined;
    throw e;
  });
  return pending;
}

async function load(): Promise<NodeGpu> {
  const proc = (globalThis as { process?: NodeProcess }).process;
  if (proc === undefined) throw new Error("loadNodeGpu() needs Node's `process`");
  // A variable specifier keeps bundlers from following these imports into browser builds.
  const dawnSpecifier = "webgpu";
  const dawn = (await import(/* @vite-ignore */ dawnSpecifier)) as DawnModule;
  Object.assign(globalThis, dawn.globals);

  const notes: string[] = [];
  const chosen = proc.env["VK_ICD_FILENAMES"] ?? proc.env["VK_DRIVER_FILES"];
  if (chosen !== undefined || proc.platform !== "linux") {
    if (chosen !== undefined) notes.push(`Vulkan driver from the environment: ${chosen}`);
    return { gpu: dawn.create([]), notes };
  }

  const fs = await nodeFs();
  if (hasGpuDeviceNode(fs)) {
    const system = dawn.create([]);
    if ((await system.requestAdapter()) !== null) {
      notes.push("Vulkan driver: the system's");
      return { gpu: system, notes };
    }
    notes.push("Dawn found no usable Vulkan driver among the system's (it does not accept lavapipe)");
  } else {
    notes.push("no GPU device node (/dev/dri/renderD*, /dev/nvidia*)");
  }

  const icd = SWIFTSHADER_ICD_CANDIDATES.find((p) => fs.existsSync(p));
  if (icd === undefined) {
    notes.push(`no SwiftShader driver at ${SWIFTSHADER_ICD_CANDIDATES.join(", ")}`);
    return { gpu: dawn.create([]), notes };
  }
  proc.env["VK_ICD_FILENAMES"] = icd;
  notes.push(`Vulkan driver: SwiftShader (VK_ICD_FILENAMES=${icd})`);
  return { gpu: dawn.create([]), notes };
}

interface NodeFs {
  existsSync(path: string): boolean;
  readdirSync(path: string): string[];
}

async function nodeFs(): Promise<NodeFs> {
  const specifier = "node:fs";
  return (await import(/* @vite-ignore */ specifier)) as NodeFs;
}

/** Whether the machine shows a GPU to this process (DRM render node or NVIDIA device). */
function hasGpuDeviceNode(fs: NodeFs): boolean {
  const list = (dir: string): string[] => {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  };
  return list("/dev/dri").some((f) => f.startsWith("renderD")) || list("/dev").some((f) => /^nvidia\d+$/.test(f));
}
