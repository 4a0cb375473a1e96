import { ARRAY_OPEN_KEYS, checkArrayOpenOptions, checkOptions } from "../arguments.ts";
import { ArgumentError } from "../errors.ts";
import type { GpuContext } from "../gpu/context.ts";
import type { HttpStoreOptions } from "../store/http.ts";
import { WorkerPool } from "../worker/pool.ts";
import { openCpuExecutor } from "../engine/cpu-executor.ts";
import { CpuBackend, GpuBackend, type ResampleBackend } from "./backend.ts";
import { cpuCacheBudget, gpuCacheBudget, type SharedCacheBudget } from "./shared-budget.ts";
import { sizeCache } from "./cache-size.ts";
import { ChunkIds } from "./chunk-id.ts";
import { type DeviceChoice, resolveDevice } from "./device.ts";
import { openMultiscale, type OpenedMultiscale } from "./open-multiscale.ts";

/** Options of {@link CellMapArray.open}. */
export interface CellMapArrayOptions {
  /** GPU to resample on; required for `device: "gpu"` (the default when given). */
  gpu?: GpuContext;
  /**
   * "gpu" (WGSL resampling, GPU chunk cache), "cpu" (the CPU twin, cache in host memory) or "auto"
   * ("gpu" on a hardware adapter, "cpu" on a software one or without `gpu`; see
   * {@link resolveDevice}); default "gpu" if `gpu` is given.
   */
  device?: DeviceChoice;
  /**
   * Chunk-cache budget in bytes, the array's own. Without it, the array shares its device's
   * budget with every other array of that device opened without one (`src/array/shared-budget.ts`;
   * `stats.shared` says how much of it is held): a CPU array the thread's (1/8 of system memory,
   * at least 256 MiB), a GPU array its `GpuContext`'s (`GpuContext.create({ cacheBytes })`, the
   * same default). Capped one slot below the GPU's storage binding limit, and at the array's
   * chunk count (over all levels), so a small array allocates only what it can use.
   * `stats.budgetBytes` is the allocation (for a GPU array sharing its device's budget, what it
   * holds now: it grows and shrinks by use).
   */
  cacheBytes?: number;
  /** Worker pool for fetching and decoding; one is created (and owned) if omitted. */
  pool?: WorkerPool;
  /** Workers of the pool created when `pool` is omitted (0 = read on the calling thread). */
  workers?: number;
  /**
   * Sample workers of the CPU executor (device "cpu"): resampling runs in that many workers over
   * a chunk cache in shared memory; default one per core, shared by every array of the thread
   * with the same count. 0, or a page that is not cross-origin isolated, resamples on the
   * calling thread instead; `stats.executor` says which ran and why.
   */
  cpuWorkers?: number;
  /** HTTP store options: retries, backoff, concurrency, headers. */
  storeOptions?: HttpStoreOptions;
  signal?: AbortSignal;
}

/** What an array is made of once opened: its metadata, cache, backend and pool. */
export interface OpenedArray {
  opened: OpenedMultiscale;
  /** The ids of the chunks of its levels. */
  ids: ChunkIds;
  device: "gpu" | "cpu";
  /** Fetches and decodes chunks; `ownsPool` when the array created it (and destroys it). */
  pool: WorkerPool;
  ownsPool: boolean;
  backend: ResampleBackend;
  slotCount: number;
  slotWords: number;
  storeOptions: HttpStoreOptions | undefined;
  /** The budget the cache shares with the device's other arrays (arrays without `cacheBytes`). */
  budget: SharedCacheBudget | undefined;
}

/**
 * Check the options of `CellMapArray.open`, read the group's metadata, size the chunk cache, and
 * choose its backend and pool.
 */
export async function openArray(location: string, options: CellMapArrayOptions): Promise<OpenedArray> {
  if (typeof location !== "string" || location === "") {
    throw new ArgumentError("location", "must be the URL or path of a multiscale group (e.g. https://host/data.zarr/recon-1/em/fibsem-uint8)", location);
  }
  checkOptions("CellMapArray.open", options, ARRAY_OPEN_KEYS);
  checkArrayOpenOptions(options as Record<string, unknown>);
  const device = resolveDevice(options.device, options.gpu);
  if (device === "gpu" && !options.gpu) {
    throw new ArgumentError("gpu", 'is required for device "gpu": pass a GpuContext (GpuContext.create()) or use device "cpu"');
  }
  const openOpts: Parameters<typeof openMultiscale>[1] = {};
  if (options.storeOptions) openOpts.storeOptions = options.storeOptions;
  if (options.signal) openOpts.signal = options.signal;
  const opened = await openMultiscale(location, openOpts);
  const ids = new ChunkIds(opened.levels, opened.url);
  // Without a budget of its own, the array shares its device's (shared-budget.ts): on the CPU its
  // cache may hold as much as the whole budget, reserved but not written until used; on the GPU
  // its buffer is what the budget has room for, allocated by the cache (SlotCache's resize).
  const budget = options.cacheBytes !== undefined ? undefined : device === "cpu" ? await cpuCacheBudget() : await gpuCacheBudget(options.gpu!);
  const bytes = options.cacheBytes ?? budget!.budgetBytes;
  const { slotCount, slotWords } = sizeCache(opened.levels, bytes, device === "gpu" ? options.gpu : undefined, opened.url);
  const backend =
    device === "cpu"
      ? new CpuBackend(slotCount, slotWords, await openCpuExecutor(options.cpuWorkers))
      : createGpuBackend(options.gpu!, budget ? 0 : slotCount, slotWords, opened.url);
  const ownsPool = !options.pool;
  const pool = options.pool ?? (await WorkerPool.create(options.workers === undefined ? {} : { size: options.workers }));
  return { opened, ids, device, pool, ownsPool, backend, slotCount, slotWords, storeOptions: options.storeOptions, budget };
}

/** The GPU resample backend: a cache buffer (`slotCount` slots) and the resample pipelines. */
function createGpuBackend(gpu: GpuContext, slotCount: number, words: number, url: string): ResampleBackend {
  return new GpuBackend(gpu, slotCount, words, url);
}
