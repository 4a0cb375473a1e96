/**
 * Figure 7 (GPU benchmark): the resample kernel alone on a resident chunk cache, in output voxels
 * per second and as a fraction of the device-memory bandwidth floor (5 bytes per output voxel at
 * the bandwidth of a large buffer copy on the same device).
 * @module
 */
import type { Vec3 } from "../../src/geometry/types.ts";
import { bySize, repeatsFor, type BenchContext } from "../context.ts";
import { copyBandwidth, residentVolume, timeKernel, type KernelCase } from "../lib/kernel.ts";
import { fmt, row } from "../lib/report.ts";
import { mapStat } from "../lib/stats.ts";
import type { Figure, Row } from "../schema.ts";

const MIB = 2 ** 20;

/** Figure 7; needs a GPU. */
export async function kernelFigure(ctx: BenchContext): Promise<Figure> {
  const gpu = ctx.gpu;
  if (!gpu) throw new Error("the kernel figure needs a GPU");
  const t0 = performance.now();
  const { warmup, repeats } = repeatsFor(ctx);
  const bind = gpu.maxStorageBinding;
  const edge = bySize(ctx, { tiny: 64, quick: 256, full: bind >= 128 * MIB ? 512 : 256 });
  const volume: Vec3 = [edge, edge, edge];
  const chunk: Vec3 = bySize(ctx, { tiny: [16, 16, 16], quick: [64, 64, 64], full: [64, 64, 64] });
  // Output per dispatch: enough to fill a big GPU, within the binding limit.
  const outBytes = Math.min(bySize(ctx, { tiny: 1 * MIB, quick: 4 * MIB, full: 512 * MIB }), Math.floor(bind / 2));
  const copy = await copyBandwidth(gpu, bySize(ctx, { tiny: 4 * MIB, quick: 64 * MIB, full: 1024 * MIB }), { warmup, repeats: repeats + 2, perSubmit: bySize(ctx, { tiny: 2, quick: 2, full: 8 }) });
  const traffic = copy.trafficBytesPerSecond.median;
  const copyRow = row("buffer copy", "copyBufferToBuffer", "GB/s", "higher", mapStat(copy.trafficBytesPerSecond, (x) => x / 1e9), [], { extra: { bytes: copy.bytes, note: "read + write traffic" } });
  const vol = residentVolume(gpu, volume, chunk, ctx.seed);
  const rows: Row[] = [copyRow];
  const fractions: Record<string, number> = {};
  let clock = "wall";
  try {
    const sizes = bySize(ctx, { tiny: [8, 16], quick: [32, 64], full: [64, 128] });
    for (const interp of ["linear", "nearest"] as const) {
      for (const n of sizes) {
        for (const zoom of interp === "nearest" ? [1, 2] : [1]) {
          if (n * zoom * Math.sqrt(3) + 4 > edge) continue;
          const per = n * n * n * 4;
          const batch = Math.max(1, Math.floor(outBytes / per));
          const c: KernelCase = { interp, outShape: [n, n, n], batch, zoom, seed: ctx.seed };
          const r = await timeKernel(gpu, vol, c, { warmup, repeats, perSubmit: bySize(ctx, { tiny: 1, quick: 1, full: 8 }) });
          clock = r.clock;
          const rate = mapStat(r.ms, (ms) => r.voxels / (ms / 1000) / 1e9);
          const floorGvox = traffic / (r.floorBytes / r.voxels) / 1e9;
          const name = `${interp} ${n}³ x${batch}${zoom !== 1 ? ` at ${zoom}x voxel size` : ""}`;
          fractions[name] = rate.median / floorGvox;
          rows.push(row(name, "resample kernel", "Gvox/s", "higher", rate, [], {
            limit: { name: "device-memory floor", value: floorGvox, unit: "Gvox/s", fraction: rate.median / floorGvox },
            extra: { msPerDispatch: r.ms.median, bytesPerVoxelFloor: r.floorBytes / r.voxels, effectiveGBps: (r.floorBytes / (r.ms.median / 1000)) / 1e9, clock: r.clock },
          }));
        }
      }
    }
  } finally {
    vol.destroy();
  }
  const linear = Object.entries(fractions).filter(([k]) => k.startsWith("linear"));
  const best = Math.max(...linear.map(([, f]) => f));
  const isH100 = /h100/i.test(Object.values(gpu.adapterInfo).join(" "));
  return {
    id: 7,
    key: "kernel",
    title: "GPU resample kernel vs the device-memory bandwidth floor (Gvox/s of output, higher is better)",
    workload: `${edge}³ uint8 volume resident in ${chunk.join("x")} chunks; random rotation/mirror/transpose about centers inside it; ~${fmt(outBytes / MIB)} MiB of f32 output per dispatch; timed by ${clock}`,
    rows,
    targets: [{
      name: "H100 resampling",
      goal: ">= 50% of the device-memory bandwidth floor",
      measured: `${fmt(100 * best)}% (best linear case)`,
      met: isH100 ? best >= 0.5 : null,
    }],
    notes: [
      "floor: 4 bytes of f32 written plus min(8, zoom³) bytes of u8 read per output voxel, at the read + write traffic rate of a large buffer copy on the same device.",
      gpu.isSoftware ? "software adapter: this is the CPU pretending to be a GPU; the figure only checks that the benchmark runs." : "",
    ].filter(Boolean),
    seconds: (performance.now() - t0) / 1000,
  };
}
