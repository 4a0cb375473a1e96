/**
 * The benchmark's generated dataset, in the CellMap layout: raw EM-like intensities at
 * `recon-1/em/fibsem-uint8` and the classes mito, er, nucleus and ves at
 * `recon-1/labels/groundtruth/crop1/<class>` (0/1 uint8 masks at twice the raw voxel size),
 * zarr v2 with OME-NGFF 0.4, blosc-zstd chunks. Procedural and seeded, so it is fast to make
 * (a few seconds for 512³) and the same on every machine; kept on disk between runs.
 * @module
 */
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeArray, writeGroup, multiscalesAttributes, type CodecSpec } from "../src/zarr-write/index.ts";
import { createFsTarget } from "../src/zarr-write/fs-target.ts";
import { createRng } from "./lib/rng.ts";

/** The label classes of the standard workload. */
export const CLASSES = ["mito", "er", "nucleus", "ves"] as const;
export const RAW_PATH = "recon-1/em/fibsem-uint8";
export const LABEL_PREFIX = "recon-1/labels/groundtruth/crop1";

/** How to generate the dataset. */
export interface DatasetSpec {
  /** Raw s0 voxels per axis (even). */
  size: number;
  /** Chunk edge in voxels. */
  chunk: number;
  /** Raw s0 voxel size (nm, isotropic). */
  voxel: number;
  codec: CodecSpec;
  seed: number;
}

/** The standard workload's dataset: 512³, 64³ chunks, blosc-zstd. */
export const STANDARD_DATASET: DatasetSpec = {
  size: 512,
  chunk: 64,
  voxel: 8,
  codec: { name: "blosc", cname: "zstd", clevel: 5, shuffle: "shuffle" },
  seed: 1,
};

/** A dataset on disk: its folder and the zarr root inside it. */
export interface Dataset {
  /** Folder to serve. */
  dir: string;
  /** Name of the zarr root below `dir`. */
  zarr: string;
  spec: DatasetSpec;
  /** Stored bytes of raw chunks, and of label chunks (all classes). */
  rawBytes: number;
  labelBytes: number;
  /** Seconds it took to generate (0 when it was already there). */
  generatedSeconds: number;
}

function key(spec: DatasetSpec): string {
  const c = spec.codec;
  const codec = c.name === "blosc" ? `blosc-${c.cname ?? "lz4"}${c.clevel ?? 5}` : c.name;
  return `gen-v1-${spec.size}-c${spec.chunk}-${spec.voxel}nm-${codec}-s${spec.seed}`;
}

/**
 * The dataset for `spec` under `cacheDir`, generated on first use.
 *
 * @example
 * ```ts
 * const ds = await ensureDataset("bench/dist/data", STANDARD_DATASET);
 * // serve ds.dir; raw at `${url}/${ds.zarr}/${RAW_PATH}`
 * ```
 */
export async function ensureDataset(cacheDir: string, spec: DatasetSpec, log: (line: string) => void = () => {}): Promise<Dataset> {
  if (spec.size % 2 !== 0 || spec.size < 8) throw new RangeError(`dataset size must be even and >= 8, got ${spec.size}`);
  const dir = join(cacheDir, key(spec));
  const zarr = "bench.zarr";
  const marker = join(dir, "complete.json");
  if (existsSync(marker)) {
    const info = JSON.parse(await (await import("node:fs/promises")).readFile(marker, "utf8")) as { rawBytes: number; labelBytes: number };
    return { dir, zarr, spec, rawBytes: info.rawBytes, labelBytes: info.labelBytes, generatedSeconds: 0 };
  }
  const t0 = performance.now();
  log(`generating ${spec.size}³ dataset in ${dir} ...`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const target = createFsTarget(dir);
  const { raw, labels } = render(spec);
  for (const g of [zarr, `${zarr}/recon-1`, `${zarr}/recon-1/em`, `${zarr}/recon-1/labels`, `${zarr}/recon-1/labels/groundtruth`, `${zarr}/${LABEL_PREFIX}`]) {
    await writeGroup(target, g, { zarrFormat: 2 });
  }
  const v = spec.voxel;
  const n = spec.size;
  const chunks = [spec.chunk, spec.chunk, spec.chunk];
  await writeGroup(target, `${zarr}/${RAW_PATH}`, {
    zarrFormat: 2,
    attributes: multiscalesAttributes("0.4", { name: "fibsem-uint8", levels: [{ path: "s0", scale: [v, v, v], translation: [0, 0, 0] }] }),
  });
  const rawWrite = await writeArray(target, `${zarr}/${RAW_PATH}/s0`, { shape: [n, n, n], chunks, dtype: "uint8", zarrFormat: 2, codec: spec.codec }, raw);
  let labelBytes = 0;
  const m = n / 2;
  for (const [i, name] of CLASSES.entries()) {
    await writeGroup(target, `${zarr}/${LABEL_PREFIX}/${name}`, {
      zarrFormat: 2,
      // Twice the raw voxel size, voxel centers where an average-pooled s1 would put them.
      attributes: multiscalesAttributes("0.4", { name, levels: [{ path: "s0", scale: [2 * v, 2 * v, 2 * v], translation: [v / 2, v / 2, v / 2] }] }),
    });
    const w = await writeArray(target, `${zarr}/${LABEL_PREFIX}/${name}/s0`, { shape: [m, m, m], chunks, dtype: "uint8", zarrFormat: 2, codec: spec.codec }, labels[i]!);
    labelBytes += w.bytes;
  }
  const generatedSeconds = (performance.now() - t0) / 1000;
  await writeFile(marker, JSON.stringify({ spec, rawBytes: rawWrite.bytes, labelBytes, generatedSeconds }, null, 2));
  log(`generated in ${generatedSeconds.toFixed(1)} s (raw ${(rawWrite.bytes / 2 ** 20).toFixed(1)} MiB, labels ${(labelBytes / 2 ** 20).toFixed(1)} MiB stored)`);
  return { dir, zarr, spec, rawBytes: rawWrite.bytes, labelBytes, generatedSeconds };
}

/**
 * Render the dataset in memory: raw `size`³ uint8 and one 0/1 mask per class at `(size/2)`³.
 * Class ids painted into the label grid: 0 background, then CLASSES order + 1.
 */
export function render(spec: DatasetSpec): { raw: Uint8Array; labels: Uint8Array[] } {
  const n = spec.size;
  const m = n / 2;
  const rand = createRng(spec.seed);
  const ids = new Uint8Array(m * m * m);
  const paint = (id: number, cz: number, cy: number, cx: number, r: [number, number, number], test?: (dz: number, dy: number, dx: number) => boolean) => {
    const lo = [cz - r[0], cy - r[1], cx - r[2]].map((v) => Math.max(0, Math.floor(v)));
    const hi = [cz + r[0], cy + r[1], cx + r[2]].map((v) => Math.min(m - 1, Math.ceil(v)));
    for (let z = lo[0]!; z <= hi[0]!; z++) {
      const dz = (z - cz) / r[0];
      for (let y = lo[1]!; y <= hi[1]!; y++) {
        const dy = (y - cy) / r[1];
        const row = (z * m + y) * m;
        for (let x = lo[2]!; x <= hi[2]!; x++) {
          const dx = (x - cx) / r[2];
          if (dz * dz + dy * dy + dx * dx <= 1 && (!test || test(z - cz, y - cy, x - cx))) ids[row + x] = id;
        }
      }
    }
  };
  const at = () => rand() * m;
  const vol = m * m * m;
  // nucleus: one large ellipsoid
  paint(3, m * 0.5, m * 0.45, m * 0.55, [m * 0.2, m * 0.25, m * 0.22]);
  // er: thin sheets (a slab through a flattened ellipsoid)
  for (let k = 0, count = Math.max(2, Math.round(vol / 150_000)); k < count; k++) {
    const nz = rand() - 0.5, ny = rand() - 0.5, nx = rand() - 0.5;
    const len = Math.hypot(nz, ny, nx) || 1;
    const rr = 6 + rand() * 10;
    paint(2, at(), at(), at(), [rr, rr, rr], (dz, dy, dx) => Math.abs((dz * nz + dy * ny + dx * nx) / len) < 0.9);
  }
  // mito: ellipsoids
  for (let k = 0, count = Math.max(4, Math.round(vol / 25_000)); k < count; k++) {
    const r = 2.5 + rand() * 3;
    paint(1, at(), at(), at(), [r * (1 + rand() * 1.5), r, r]);
  }
  // ves: small spheres
  for (let k = 0, count = Math.max(8, Math.round(vol / 6_000)); k < count; k++) {
    const r = 1 + rand() * 1.2;
    paint(4, at(), at(), at(), [r, r, r]);
  }
  const labels = CLASSES.map((_, i) => {
    const mask = new Uint8Array(ids.length);
    for (let j = 0; j < ids.length; j++) mask[j] = ids[j] === i + 1 ? 1 : 0;
    return mask;
  });
  // raw: class-dependent mean, smooth shading, and voxel noise
  const base = [170, 95, 120, 140, 70];
  const wave = (k: number) => Float32Array.from({ length: n }, (_, i) => 12 * Math.sin((i * 2 * Math.PI) / (40 + 17 * k) + k));
  const [wz, wy, wx] = [wave(0), wave(1), wave(2)];
  const raw = new Uint8Array(n * n * n);
  let h = spec.seed * 0x9e3779b1;
  let o = 0;
  for (let z = 0; z < n; z++) {
    for (let y = 0; y < n; y++) {
      const lrow = ((z >> 1) * m + (y >> 1)) * m;
      const s = wz[z]! + wy[y]!;
      for (let x = 0; x < n; x++) {
        h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) + 0x297a2d39;
        const noise = ((h >>> 24) & 31) - 16;
        const v = base[ids[lrow + (x >> 1)]!]! + s + wx[x]! + noise;
        raw[o++] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return { raw, labels };
}
