/**
 * {@link GpuContext}: one WebGPU device with the limits this library needs, its lost-device
 * handling, a per-device pipeline cache and a readback helper. The same code runs in browsers
 * and workers (`navigator.gpu`), Deno (built-in `navigator.gpu`) and Node (npm package `webgpu`).
 *
 * @example
 * ```ts
 * const ctx = await GpuContext.create({ label: "training" });
 * console.log(ctx.adapterInfo.description, ctx.isSoftware, ctx.maxStorageBinding);
 * ctx.destroy();
 * ```
 * @module
 */

import { abortable, ArgumentError, DeviceLostError, GpuError, throwIfAborted } from "../errors.ts";
import { GpuCallCounter, type GpuCallCounts } from "./call-counts.ts";
import { requestAdapter, requestDevice } from "./request-device.ts";
import { UploadPool } from "./upload-pool.ts";
import { MAP_MODE, USAGE } from "./usage.ts";

/** Options of {@link GpuContext.create}. */
export interface GpuContextOptions {
  /** Passed to `requestAdapter`. */
  powerPreference?: GPUPowerPreference;
  /**
   * Limits to require on top of (or instead of) the defaults, which are the adapter's maxima for
   * storage buffer and buffer sizes, workgroup sizes and storage buffers per stage.
   */
  requiredLimits?: Record<string, number>;
  /** Cancels the adapter and device requests. */
  signal?: AbortSignal;
  /** Label of the device and the prefix of every GPU object the context creates. */
  label?: string;
  /** The `GPU` object to use instead of `navigator.gpu` (or Dawn in Node). */
  gpu?: GPU;
  /**
   * The chunk-cache budget, in bytes, that every array opened on this device without a
   * `cacheBytes` of its own shares (`src/array/shared-budget.ts`); default 1/8 of system memory,
   * at least 256 MiB.
   */
  cacheBytes?: number;
}

/** The adapter's identity, copied into a plain object so it can be logged and serialised. */
export interface GpuAdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
}

/** Options of {@link GpuContext.createComputePipeline}. */
export interface ComputePipelineOptions {
  /** An explicit pipeline layout; `"auto"` by default. */
  layout?: GPUPipelineLayout | "auto";
  /** Values for the shader's `override` constants. */
  constants?: Record<string, number>;
}

// Spec values of GPUBufferUsage / GPUMapMode, so this module does not rely on the globals that
// Node only gets once the `webgpu` package is loaded.

const pipelineCaches = new WeakMap<GPUDevice, Map<string, unknown>>();
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render/i;

/**
 * A WebGPU device and what the library needs around it. A context made by
 * {@link GpuContext.create} owns its device and destroys it in {@link GpuContext.destroy}; one made
 * by {@link GpuContext.fromDevice} borrows the caller's device and leaves it alive.
 *
 * @example
 * ```ts
 * const ctx = await GpuContext.create();
 * const pipeline = await ctx.pipeline("double", () =>
 *   ctx.createComputePipeline("double", wgsl, "main"));
 * // ... dispatch, then:
 * const bytes = await ctx.readBuffer(output, 0, output.size);
 * ctx.destroy();
 * ```
 */
export class GpuContext {
  /** The WebGPU device. */
  readonly device: GPUDevice;
  /** Vendor, architecture, device and description of the adapter (empty strings if unknown). */
  readonly adapterInfo: GpuAdapterSummary;
  /** The device's limits (what was granted, not what the adapter could give). */
  readonly limits: GPUSupportedLimits;
  /** Optional features the device has enabled. */
  readonly features: { readonly shaderF16: boolean };
  /** The largest storage buffer binding this device allows, in bytes. */
  readonly maxStorageBinding: number;
  /** True on software adapters (SwiftShader, lavapipe/llvmpipe): correct but slow. */
  readonly isSoftware: boolean;
  /** True when {@link GpuContext.destroy} destroys the device. */
  readonly ownsDevice: boolean;
  /** Label of the device, prefix of the labels of the objects the context creates. */
  readonly label: string;
  /** Resolves, with the error that work in flight is rejected with, when the device is lost. */
  readonly lost: Promise<DeviceLostError>;
  /** The chunk-cache budget this device's arrays share, when set at creation ({@link GpuContextOptions.cacheBytes}). */
  readonly cacheBytes: number | undefined;

  #lostError: DeviceLostError | undefined;
  #counter: GpuCallCounter | undefined;
  #uploads: UploadPool | undefined;
  #released: GpuError | undefined;
  readonly #lostRejection: Promise<never>;

  private constructor(device: GPUDevice, owns: boolean, info: GPUAdapterInfo | undefined, label: string, cacheBytes: unknown) {
    if (cacheBytes !== undefined && !(typeof cacheBytes === "number" && cacheBytes > 0 && Number.isFinite(cacheBytes))) {
      throw new ArgumentError("cacheBytes", "must be a positive number of bytes", cacheBytes);
    }
    this.cacheBytes = cacheBytes;
    this.device = device;
    this.ownsDevice = owns;
    this.label = label;
    this.limits = device.limits;
    this.features = Object.freeze({ shaderF16: device.features.has("shader-f16") });
    this.maxStorageBinding = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    this.adapterInfo = Object.freeze({
      vendor: info?.vendor ?? "",
      architecture: info?.architecture ?? "",
      device: info?.device ?? "",
      description: info?.description ?? "",
    });
    const summary = Object.values(this.adapterInfo).join(" ");
    this.isSoftware = info?.isFallbackAdapter === true || SOFTWARE_ADAPTER.test(summary);
    this.lost = device.lost.then((lost) => {
      this.#lostError ??= new DeviceLostError(lost.reason ?? "unknown", lost.message || "no details");
      return this.#lostError;
    });
    this.#lostRejection = this.lost.then((e) => Promise.reject(e));
    this.#lostRejection.catch(() => {}); // observed through track(); never an unhandled rejection
  }

  /**
   * Request an adapter and a device with the library's limits. The context owns the device.
   *
   * @param options Power preference, extra limits, abort signal, label, or a `GPU` to use.
   * @returns A context that destroys its device in {@link GpuContext.destroy}.
   * @throws {GpuError} when WebGPU or an adapter is missing (the message says how to fix it), or
   *   when the adapter cannot satisfy a required limit.
   * @throws {AbortedError} when `options.signal` aborts.
   * @example
   * ```ts
   * const ctx = await GpuContext.create({ powerPreference: "high-performance" });
   * ```
   */
  static async create(options: GpuContextOptions = {}): Promise<GpuContext> {
    const label = options.label ?? "cellmap-data";
    const { signal } = options;
    throwIfAborted(signal, "GpuContext.create");
    if (options.cacheBytes !== undefined && !(options.cacheBytes > 0 && Number.isFinite(options.cacheBytes))) {
      throw new ArgumentError("cacheBytes", "must be a positive number of bytes", options.cacheBytes);
    }
    const adapter = await requestAdapter(options);
    throwIfAborted(signal, "GpuContext.create");
    const device = await requestDevice(adapter, label, options.requiredLimits ?? {});
    if (signal?.aborted) {
      device.destroy();
      throwIfAborted(signal, "GpuContext.create");
    }
    return new GpuContext(device, true, adapter.info, label, options.cacheBytes);
  }

  /**
   * Wrap a device the caller made. The context borrows it: {@link GpuContext.destroy} leaves the
   * device alive. Limits are whatever the device was created with.
   *
   * @param device An existing device.
   * @param options `label`: prefix for the labels of objects the context creates; `cacheBytes`:
   *   the chunk-cache budget its arrays share ({@link GpuContextOptions.cacheBytes}).
   * @returns A context that never destroys `device`.
   * @example
   * ```ts
   * const device = await (await navigator.gpu.requestAdapter())!.requestDevice();
   * const ctx = GpuContext.fromDevice(device);
   * ```
   */
  static fromDevice(device: GPUDevice, options: { label?: string; cacheBytes?: number } = {}): GpuContext {
    const info = (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    return new GpuContext(device, false, info, options.label ?? (device.label || "cellmap-data"), options.cacheBytes);
  }

  /**
   * Start counting this device's `queue.submit`, `createBuffer`, `writeBuffer` (calls and bytes)
   * and `mapAsync` calls (the latter on buffers created from now on), or return the counter
   * already counting. Opt-in because it wraps those methods; the counts are then in
   * {@link GpuContext.stats}.
   *
   * @returns The live counter (take a {@link GpuCallCounter.snapshot} before and after some work).
   * @example
   * ```ts
   * const ctx = await GpuContext.create();
   * ctx.countCalls();
   * // ... read batches ...
   * console.log(ctx.stats?.submits);
   * ```
   */
  countCalls(): GpuCallCounter {
    this.#counter ??= GpuCallCounter.install(this.device);
    return this.#counter;
  }

  /** The call counts since {@link GpuContext.countCalls}, or undefined while not counting. */
  get stats(): GpuCallCounts | undefined {
    return this.#counter?.snapshot();
  }

  /**
   * The context's pool of small per-dispatch buffers (uniforms, tables, scratch), reused from
   * batch to batch; destroyed with the context.
   */
  get uploads(): UploadPool {
    this.assertAlive();
    this.#uploads ??= new UploadPool(this.device);
    return this.#uploads;
  }

  /** True once the device is lost (or destroyed). */
  get isLost(): boolean {
    return this.#lostError !== undefined;
  }

  /**
   * Throw if the device is lost or this context was destroyed.
   *
   * @throws {DeviceLostError} after the device was lost or destroyed.
   * @throws {GpuError} after {@link GpuContext.destroy} on a borrowed device.
   * @example
   * ```ts
   * ctx.assertAlive(); // before encoding work
   * ```
   */
  assertAlive(): void {
    if (this.#lostError !== undefined) throw this.#lostError;
    if (this.#released !== undefined) throw this.#released;
  }

  /**
   * Tie a promise to the device's life: it rejects with the {@link DeviceLostError} if the device
   * is lost before it settles.
   *
   * @param work Any GPU-dependent promise (`mapAsync`, `onSubmittedWorkDone`, ...).
   * @returns `work`'s result, or a rejection with the lost-device error.
   * @example
   * ```ts
   * await ctx.track(buffer.mapAsync(GPUMapMode.READ));
   * ```
   */
  track<T>(work: Promise<T>): Promise<T> {
    try {
      this.assertAlive();
    } catch (e) {
      work.catch(() => {});
      return Promise.reject(e);
    }
    return Promise.race([work, this.#lostRejection]);
  }

  /**
   * The cached value for `key` on this device, made once by `make`. Contexts sharing a device
   * share the cache. A promise that rejects is dropped so the next call tries again.
   *
   * @param key Identifies the pipeline (include every parameter that changes it).
   * @param make Builds the pipeline (or a promise of it) on first use.
   * @returns The cached pipeline or promise.
   * @example
   * ```ts
   * const p = await ctx.pipeline("saxpy", () => ctx.createComputePipeline("saxpy", wgsl, "main"));
   * ```
   */
  pipeline<T extends GPUComputePipeline | Promise<GPUComputePipeline>>(
    key: string,
    make: (device: GPUDevice) => T,
  ): T {
    this.assertAlive();
    let cache = pipelineCaches.get(this.device);
    if (cache === undefined) {
      cache = new Map();
      pipelineCaches.set(this.device, cache);
    }
    if (cache.has(key)) return cache.get(key) as T;
    const made = make(this.device);
    cache.set(key, made);
    if (made instanceof Promise) {
      made.catch(() => {
        if (cache.get(key) === made) cache.delete(key);
      });
    }
    return made;
  }

  /**
   * Compile WGSL and create a compute pipeline, turning validation errors into a
   * {@link GpuError} that carries the compiler's messages (line:column).
   *
   * @param label Label of the pipeline (the module gets `label + " module"`).
   * @param wgsl Shader source.
   * @param entryPoint The `@compute` function.
   * @param options Layout and override constants.
   * @returns The pipeline.
   * @throws {GpuError} when the shader does not compile or the pipeline is invalid.
   * @example
   * ```ts
   * const pipeline = await ctx.createComputePipeline("saxpy", wgsl, "main");
   * ```
   */
  async createComputePipeline(
    label: string,
    wgsl: string,
    entryPoint: string,
    options: ComputePipelineOptions = {},
  ): Promise<GPUComputePipeline> {
    this.assertAlive();
    const device = this.device;
    device.pushErrorScope("validation");
    const module = device.createShaderModule({ label: `${label} module`, code: wgsl });
    const compute: GPUProgrammableStage = { module, entryPoint };
    if (options.constants !== undefined) compute.constants = options.constants;
    const pipeline = device.createComputePipeline({ label, layout: options.layout ?? "auto", compute });
    const error = await device.popErrorScope();
    if (error === null) return pipeline;
    const text = [error.message.trim(), ...(await compilerMessages(module, error.message))].join("\n");
    throw new GpuError(`compute pipeline "${label}" (entry point ${entryPoint}) is invalid: ${text}`, {
      cause: error,
    });
  }

  /**
   * Copy `size` bytes of a GPU buffer (which needs `COPY_SRC` usage) to the CPU.
   *
   * @param buffer Source buffer.
   * @param offset Byte offset, a multiple of 4.
   * @param size Byte count, a multiple of 4.
   * @param options `signal` stops waiting for the copy (the staging buffer is still destroyed).
   * @returns A fresh ArrayBuffer of `size` bytes.
   * @throws {DeviceLostError} if the device is lost before the copy lands.
   * @example
   * ```ts
   * const values = new Float32Array(await ctx.readBuffer(output, 0, output.size));
   * ```
   */
  async readBuffer(
    buffer: GPUBuffer,
    offset: number,
    size: number,
    options: { signal?: AbortSignal } = {},
  ): Promise<ArrayBuffer> {
    if (!Number.isInteger(offset) || offset < 0 || offset % 4 !== 0) {
      throw new ArgumentError("offset", "must be a non-negative multiple of 4", offset);
    }
    if (!Number.isInteger(size) || size < 0 || size % 4 !== 0 || offset + size > buffer.size) {
      throw new ArgumentError("size", `must be a multiple of 4 with offset + size <= ${buffer.size}`, size);
    }
    throwIfAborted(options.signal, "readBuffer");
    this.assertAlive();
    if (size === 0) return new ArrayBuffer(0);
    const staging = this.device.createBuffer({
      label: `${this.label} readback of ${buffer.label || "buffer"}`,
      size,
      usage: USAGE.MAP_READ | USAGE.COPY_DST,
    });
    try {
      const encoder = this.device.createCommandEncoder({ label: `${this.label} readback` });
      encoder.copyBufferToBuffer(buffer, offset, staging, 0, size);
      this.device.queue.submit([encoder.finish()]);
      await this.track(abortable(staging.mapAsync(MAP_MODE.READ), options.signal, "readBuffer"));
      return staging.getMappedRange().slice(0);
    } finally {
      staging.destroy();
    }
  }

  /**
   * Release the context. An owned device is destroyed (its `lost` resolves with reason
   * `"destroyed"` and tracked work rejects); a borrowed device is left alive.
   *
   * @example
   * ```ts
   * ctx.destroy();
   * ```
   */
  destroy(): void {
    this.#uploads?.destroy();
    if (this.ownsDevice) {
      this.#lostError ??= new DeviceLostError("destroyed", "GpuContext.destroy() was called");
      this.device.destroy();
    } else {
      this.#released ??= new GpuError(`GpuContext "${this.label}" was destroyed; its device was borrowed and is still alive`);
    }
  }
}

/** The compiler's error messages as `line:column: text`, leaving out those already in `shown`. */
async function compilerMessages(module: GPUShaderModule, shown: string): Promise<string[]> {
  if (typeof module.getCompilationInfo !== "function") return [];
  try {
    const info = await module.getCompilationInfo();
    return info.messages
      .filter((m) => m.type === "error" && !shown.includes(m.message.trim()))
      .map((m) => `${m.lineNum}:${m.linePos}: ${m.message.trim()}`);
  } catch {
    return [];
  }
}
