/**
 * What the benchmark runs on (runtime, CPU, memory, GPU adapter), process memory in Node and
 * Deno, and an explicit garbage collection where the runtime exposes one.
 * @module
 */
import { cpus, totalmem } from "node:os";
import type { GpuContext } from "../../src/gpu/context.ts";

/** The runtime and machine, as recorded in every result file. */
export interface EnvInfo {
  runtime: "node" | "deno";
  version: string;
  platform: string;
  cpuModel: string;
  cpus: number;
  memoryBytes: number;
}

/** The GPU adapter the WGSL numbers come from. */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isSoftware: boolean;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

interface DenoLike {
  version: { deno: string };
  build: { os: string; arch: string };
  memoryUsage(): { rss: number; heapUsed: number; external: number };
}

function deno(): DenoLike | undefined {
  return (globalThis as { Deno?: DenoLike }).Deno;
}

/** Runtime and machine description. */
export function envInfo(): EnvInfo {
  const d = deno();
  const c = cpus();
  return {
    runtime: d ? "deno" : "node",
    version: d ? d.version.deno : process.versions.node,
    platform: d ? `${d.build.os}-${d.build.arch}` : `${process.platform}-${process.arch}`,
    cpuModel: c[0]?.model ?? "unknown",
    cpus: c.length,
    memoryBytes: totalmem(),
  };
}

/** Adapter identity and the limits that matter to the cache. */
export function adapterInfo(ctx: GpuContext): AdapterInfo {
  return {
    ...ctx.adapterInfo,
    isSoftware: ctx.isSoftware,
    maxStorageBufferBindingSize: ctx.limits.maxStorageBufferBindingSize,
    maxBufferSize: ctx.limits.maxBufferSize,
  };
}

/** Resident set size of the whole process (workers and a software GPU's buffers included). */
export function rssBytes(): number {
  const d = deno();
  return d ? d.memoryUsage().rss : process.memoryUsage().rss;
}

/** Run a full garbage collection if the runtime was started with `--expose-gc`; true if it ran. */
export function collectGarbage(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== "function") return false;
  gc();
  return true;
}

/**
 * Watch the process RSS every `intervalMs` until `stop()`; returns the peak seen (sampled, so
 * short spikes between samples can be missed).
 */
export function watchRss(intervalMs = 5): { stop(): number; peek(): number } {
  let peak = rssBytes();
  const timer = setInterval(() => {
    const r = rssBytes();
    if (r > peak) peak = r;
  }, intervalMs);
  const peek = () => {
    const r = rssBytes();
    if (r > peak) peak = r;
    return peak;
  };
  return {
    peek,
    stop() {
      clearInterval(timer);
      return peek();
    },
  };
}
