/**
 * What every figure gets: the run's options and sizes, the GPU (if any), the physical limits
 * measured first (figure 6), and a log.
 * @module
 */
import type { GpuContext } from "../src/gpu/context.ts";
import type { Figure } from "./schema.ts";

/** Size of a run: `tiny` for tests, `quick` for `--quick`, `full` otherwise. */
export type Mode = "tiny" | "quick" | "full";

/** The run's options. */
export interface BenchOptions {
  mode: Mode;
  /** An existing CellMap-layout dataset (path or URL) for figure 3. */
  data?: string;
  /** Figures to run (figure 6 always runs first: the others are read against it). */
  figures: number[];
  /** Where generated data lives between runs. */
  cacheDir: string;
  /** Use the GPU (default true); without it the WGSL rows are skipped. */
  useGpu: boolean;
  seed: number;
  log: (line: string) => void;
  /** Fetch workers (default: the pool's default, min(4, cores)); 0 reads on the main thread. */
  workers?: number;
  /** Make the GPU context instead of `GpuContext.create()` (e.g. with timestamp queries). */
  makeGpu?: () => Promise<GpuContext>;
  /** Figures to add after the standard ones (the GPU benchmark's kernel figure). */
  extra?: (ctx: BenchContext) => Promise<Figure[]>;
}

/** Physical limits of the machine at hand (figure 6), in bytes per second. */
export interface Limits {
  /** Bytes copied per second by a large `TypedArray.set` (memory traffic is twice this). */
  memcpy: number;
  /** Device-memory traffic (read + write) per second of a large GPU buffer copy; undefined without a GPU. */
  gpuTraffic?: number;
  /** Loopback HTTP bytes per second with chunk-sized requests, 16 in flight. */
  httpChunked: number;
  /** Decoded bytes per second, one thread, per codec name ("blosc-zstd", ...). */
  decode: Record<string, number>;
}

/** Shared state of a run. */
export interface BenchContext extends BenchOptions {
  gpu: GpuContext | undefined;
  limits: Limits;
  cpus: number;
}

/** Pick the value for the run's mode. */
export function bySize<T>(ctx: { mode: Mode }, sizes: { tiny: T; quick: T; full: T }): T {
  return sizes[ctx.mode];
}

/**
 * Timing repeats for a mode: warm-up runs, timed runs, and (quick mode) a time budget after which
 * a measurement stops repeating (never below 2 timed runs), so `--quick` stays short on a busy
 * machine.
 */
export function repeatsFor(ctx: { mode: Mode }): { warmup: number; repeats: number; budgetMs?: number } {
  return bySize(ctx, { tiny: { warmup: 1, repeats: 2 }, quick: { warmup: 1, repeats: 3, budgetMs: 3000 }, full: { warmup: 1, repeats: 5 } });
}
