// CellMapArray through the real path (workers fetch + decode, cache upload, WGSL resample) against
// the CPU twin and against the stored voxels, run from the case registry (test/setup/cases.ts):
// plain async functions that throw on failure.
import { rngFor } from "../../src/augment/rng.ts";
import { CellMapArray, type SampleSpec } from "../../src/array/cellmap-array.ts";
import { GpuContext } from "../../src/gpu/context.ts";
import { isCellMapError } from "../../src/errors.ts";
import { WorkerPool } from "../../src/worker/pool.ts";
import { FIXTURE_SCALE, FIXTURE_SHAPE, FIXTURE_TRANSLATION, fixtureVolumes } from "./array-fixture-data.ts";
import type { Cases } from "./cases.ts";

/** Seeded random numbers in [0, 1) from the library's counter-based generator. */
function rng(seed: number): () => number {
  const r = rngFor(seed, "test");
  return () => r.next();
}

/** A random rotation (Rodrigues, float64), row-major z,y,x, possibly with a mirror. */
function randomMatrix(r: () => number): number[] {
  const a = [r() - 0.5, r() - 0.5, r() - 0.5];
  const n = Math.hypot(...a) || 1;
  const [kz, ky, kx] = a.map((v) => v / n) as [number, number, number];
  const th = r() * 2 * Math.PI, c = Math.cos(th), s = Math.sin(th), v = 1 - c;
  const m = [
    c + kz * kz * v, kz * ky * v - kx * s, kz * kx * v + ky * s,
    ky * kz * v + kx * s, c + ky * ky * v, ky * kx * v - kz * s,
    kx * kz * v - ky * s, kx * ky * v + kz * s, c + kx * kx * v,
  ];
  if (r() < 0.3) for (let i = 0; i < 3; i++) m[i * 3 + 2] = -m[i * 3 + 2]!;
  return m;
}

function randomSpecs(seed: number, count: number): SampleSpec[] {
  const r = rng(seed);
  const ext = FIXTURE_SHAPE.map((n, k) => n * FIXTURE_SCALE[k]!);
  return Array.from({ length: count }, () => ({
    center: [0, 1, 2].map((k) => FIXTURE_TRANSLATION[k]! + (r() * 1.2 - 0.1) * ext[k]!) as [number, number, number],
    augment: randomMatrix(r),
  }));
}

function assert(cond: boolean, msg: string): void {
  if (!cond) throw new Error(msg);
}

/** GPU output equals the CPU twin, linear on raw (v3 sharded) and nearest on labels (v2). */
export async function gpuMatchesCpu(base: string, gpu: GpuContext): Promise<string> {
  const pool = await WorkerPool.create({ size: 2 });
  const report: string[] = [];
  try {
    for (const [group, interp, pad] of [["raw_v3", "linear", 0], ["labels_v2", "nearest", NaN]] as const) {
      const g = await CellMapArray.open(`${base}/${group}`, { gpu, pool });
      const c = await CellMapArray.open(`${base}/${group}`, { device: "cpu", pool });
      const specs = randomSpecs(group.length * 7919, 6);
      const opts = { shape: [9, 14, 11] as [number, number, number], scale: [5, 3.5, 4.5] as [number, number, number], interp, pad };
      const [a, b] = await Promise.all([g.sample(specs, opts), c.sample(specs, opts)]);
      assert(a.length === b.length, `length ${a.length} vs ${b.length}`);
      // Into a caller's array: the same values, and nothing around them written.
      for (const [arr, want, name] of [[g, a, "gpu"], [c, b, "cpu"]] as const) {
        const into = new Float32Array(want.length + 8).fill(7);
        const view = into.subarray(4, 4 + want.length);
        const got = await arr.sample(specs, { ...opts, out: view });
        assert(got === view && view.every((v, i) => Object.is(v, want[i])), `${group} ${name}: sample() into out differs from sample()`);
        assert([...into.subarray(0, 4), ...into.subarray(4 + want.length)].every((v) => v === 7), `${group} ${name}: sample() wrote outside out`);
        let error: unknown;
        await arr.sample(specs, { ...opts, out: new Float32Array(want.length - 1) }).catch((e) => (error = e));
        assert(isCellMapError(error, "argument"), `${group} ${name}: an out of the wrong length gave ${String(error)}`);
      }
      let maxErr = 0, mismatches = 0, padded = 0;
      for (let i = 0; i < a.length; i++) {
        const x = a[i]!, y = b[i]!;
        // Padded voxels: NaN for labels, 0 for raw (whose stored values are all far above 0).
        const padX = interp === "linear" ? x === 0 : Number.isNaN(x);
        const padY = interp === "linear" ? y === 0 : Number.isNaN(y);
        if (padX || padY) {
          if (padX && padY) padded++;
          else mismatches++;
          continue;
        }
        if (interp === "nearest") {
          if (x !== y) mismatches++;
        } else {
          maxErr = Math.max(maxErr, Math.abs(x - y));
        }
      }
      // Linear: f32 on the GPU vs f64 on the CPU, values up to ~52000.
      assert(maxErr <= 0.1, `${group}: linear max |gpu-cpu| = ${maxErr}`);
      // A handful of voxels may sit exactly on a rounding tie or the pad border in f32 vs f64.
      assert(mismatches <= Math.ceil(a.length * 0.002), `${group}: ${mismatches} of ${a.length} voxels differ`);
      assert(padded > 0 && padded < a.length, `${group}: expected some padded voxels, got ${padded}`);
      report.push(`${group} ${interp}: max err ${maxErr.toFixed(4)}, ${mismatches} mismatches, ${padded} padded of ${a.length}`);
      g.destroy();
      c.destroy();
    }
  } finally {
    pool.terminate();
  }
  return report.join("; ");
}

/** Identity samples read the stored voxels exactly, and a shard index at the start reads like one at the end. */
export async function readsStoredVoxels(base: string, gpu: GpuContext | undefined): Promise<void> {
  const pool = await WorkerPool.create({ size: 1 });
  const { raw } = fixtureVolumes();
  const [nz, ny, nx] = FIXTURE_SHAPE;
  try {
    for (const group of ["raw_v3", "raw_v3_start"]) {
      const arr = await CellMapArray.open(`${base}/${group}`, gpu ? { gpu, pool } : { device: "cpu", pool });
      const vox: [number, number, number] = [17, 22, 33];
      const center = vox.map((v, k) => FIXTURE_TRANSLATION[k]! + v * FIXTURE_SCALE[k]!) as [number, number, number];
      const out = await arr.sample([{ center }], { shape: [5, 7, 9], scale: [...FIXTURE_SCALE] as [number, number, number], interp: "nearest" });
      let i = 0;
      for (let z = -2; z <= 2; z++) for (let y = -3; y <= 3; y++) for (let x = -4; x <= 4; x++, i++) {
        const want = raw[((vox[0] + z) * ny + vox[1] + y) * nx + vox[2] + x]!;
        assert(out[i] === want, `${group}: voxel ${vox[0] + z},${vox[1] + y},${vox[2] + x} = ${out[i]}, stored ${want}`);
      }
      assert(nz > 0, "shape");
      arr.destroy();
    }
  } finally {
    pool.terminate();
  }
}

/** Run `work` with a GpuContext of its own, destroyed afterwards. */
async function withGpu<T>(work: (gpu: GpuContext) => Promise<T>): Promise<T> {
  const gpu = await GpuContext.create({ label: "cellmap-array test" });
  try {
    return await work(gpu);
  } finally {
    gpu.destroy();
  }
}

/**
 * Two fetch workers read the chunks of both fixture arrays over loopback HTTP: each level's
 * metadata document is requested once (by the calling thread, which hands it to the workers),
 * and the values equal reading on the calling thread.
 */
async function metadataReadOnce(dir: string): Promise<string> {
  const { serveStatic } = await import("../../src/serve/static-server.ts");
  const server = await serveStatic({ root: dir });
  const lines: string[] = [];
  try {
    for (const name of ["raw_v3", "labels_v2"]) {
      const url = `${server.url}/${name}`;
      const [z0, y0, x0] = FIXTURE_TRANSLATION;
      const specs: SampleSpec[] = [[0.2, 0.3, 0.4], [0.5, 0.5, 0.5], [0.8, 0.7, 0.2], [0.4, 0.9, 0.9]].map(([a, b, c]) => ({
        center: [z0 + a! * FIXTURE_SHAPE[0] * FIXTURE_SCALE[0], y0 + b! * FIXTURE_SHAPE[1] * FIXTURE_SCALE[1], x0 + c! * FIXTURE_SHAPE[2] * FIXTURE_SCALE[2]],
      }));
      const read = { shape: [12, 20, 20], scale: [...FIXTURE_SCALE], interp: "nearest" as const };
      const results: Float32Array[] = [];
      for (const workers of [0, 2]) {
        const before = new Map(server.requests);
        const arr = await CellMapArray.open(url, { device: "cpu", cpuWorkers: 0, workers });
        try {
          results.push(await arr.sample(specs, read));
        } finally {
          arr.destroy();
        }
        const metadata = [...server.requests].filter(([p]) => /(\.zarray|zarr\.json)$/.test(p) && p.includes(`/${name}/s0/`));
        for (const [p, n] of metadata) {
          const added = n - (before.get(p) ?? 0);
          if (added !== 1) throw new Error(`${name} with ${workers} fetch workers: ${p} was requested ${added} times, expected once`);
        }
        if (metadata.length !== 1) throw new Error(`${name}: expected one level metadata document, saw ${metadata.map(([p]) => p).join(", ")}`);
        const chunks = [...server.requests].filter(([p]) => p.includes(`/${name}/s0/`) && !/(\.zarray|zarr\.json)$/.test(p)).length;
        lines.push(`${name} (${workers} workers): ${metadata[0]![0]} once, ${chunks} chunk files`);
      }
      for (let i = 0; i < results[0]!.length; i++) {
        if (!Object.is(results[0]![i], results[1]![i])) throw new Error(`${name}: value ${i} differs between the workers and the calling thread`);
      }
    }
  } finally {
    await server.close();
  }
  return lines.join("; ");
}

/** Every case, by title, for the case registry (test/setup/cases.ts). */
export const arrayCases = {
  "fetch workers open each level from the calling thread's metadata: every level's metadata document is requested once": async (ctx) => {
    return await metadataReadOnce(await ctx.arrayFixtureDir());
  },
  "GPU resampling through the chunk cache equals the CPU twin (HTTP)": async (ctx) => {
    const url = await ctx.arrayFixtureUrl();
    return withGpu((gpu) => gpuMatchesCpu(url, gpu));
  },
  "reads stored voxels exactly from v3 shards, index at the end or the start (local files, GPU and CPU)": async (ctx) => {
    const dir = await ctx.arrayFixtureDir();
    await withGpu((gpu) => readsStoredVoxels(dir, gpu));
    await readsStoredVoxels(dir, undefined);
  },
} satisfies Cases;
