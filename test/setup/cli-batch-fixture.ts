// The dataset behind the `cellmap-data batch` tests (Node and Deno): the in-memory fixture of
// dataset-fixture.ts written to a folder, a config file next to it, and an oracle of what a
// sample holds computed from the fixture's formulas (not from the library's resampler).
//
// Oracle: output voxel j of a sample with center c and matrix A sits at world
// p = c + A·((j - (n - 1) / 2) * s). Raw (translation 0, voxel size 4) is trilinear between voxel
// centers, 0 outside [0, N - 1], then divided by 255 (the config's normalize). Labels take voxel
// floor(v + 0.5) of the crop, NaN outside [-0.5, N - 0.5); the class is inBall at that voxel's
// center; "nucleus" is not annotated (NaN).

import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { buildFixture, CROP_PATH, CROP_SHAPE, CROP_TRANSLATION, ER, inBall, MITO, RAW_PATH, RAW_SHAPE, rawAt, SCALE } from "./dataset-fixture.ts";

export const RAW_OUT = [4, 8, 8] as const;
export const GT_OUT = [4, 6, 6] as const;
export const CLASSES = ["mito", "er", "nucleus"] as const;

/** The config as written, paths relative to its folder. */
export function batchConfig(): Record<string, unknown> {
  return {
    inputPath: `sample.zarr/${RAW_PATH}`,
    targetPath: `sample.zarr/${CROP_PATH}/[mito,er]`,
    classes: [...CLASSES],
    inputArrays: { raw: { shape: [...RAW_OUT], scale: [SCALE, SCALE, SCALE] } },
    targetArrays: { gt: { shape: [...GT_OUT], scale: [SCALE, SCALE, SCALE] } },
    spatialTransforms: { mirror: { axes: { x: 0.5 } }, rotate: { axes: { z: [-40, 40] } } },
    valueTransforms: { raw: [{ normalize: { range: [0, 255] } }] },
    classRelationships: { mito: ["er"] },
    isTrain: true,
    emptyValue: "NaN",
  };
}

/** The same options as `CellMapDataset.open` takes them, with absolute paths. */
export function inProcessOptions(dir: string) {
  return {
    inputPath: join(dir, "sample.zarr", RAW_PATH),
    targetPath: join(dir, "sample.zarr", CROP_PATH) + "/[mito,er]",
    classes: [...CLASSES],
    inputArrays: { raw: { shape: [...RAW_OUT] as [number, number, number], scale: [SCALE, SCALE, SCALE] as [number, number, number] } },
    targetArrays: { gt: { shape: [...GT_OUT] as [number, number, number], scale: [SCALE, SCALE, SCALE] as [number, number, number] } },
    spatialTransforms: { mirror: { axes: { x: 0.5 } }, rotate: { axes: { z: [-40, 40] as [number, number] } } },
    valueTransforms: { raw: [{ normalize: { range: [0, 255] } }] },
    classRelationships: { mito: ["er"] },
    isTrain: true,
    workers: 0,
  };
}

/** Write the fixture (zarr v3) under `dir/sample.zarr` and the config as `dir/config.json`. */
export async function writeBatchFixture(dir: string): Promise<string> {
  const fx = await buildFixture(3);
  for (const [key, bytes] of fx.files) {
    const path = join(dir, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
  }
  const config = join(dir, "config.json");
  await writeFile(config, JSON.stringify(batchConfig(), null, 2));
  return config;
}

function worldPoints(center: readonly number[], matrix: readonly (readonly number[])[], n: readonly number[]): number[][] {
  const out: number[][] = [];
  for (let z = 0; z < n[0]!; z++) for (let y = 0; y < n[1]!; y++) for (let x = 0; x < n[2]!; x++) {
    const o = [(z - (n[0]! - 1) / 2) * SCALE, (y - (n[1]! - 1) / 2) * SCALE, (x - (n[2]! - 1) / 2) * SCALE];
    out.push([0, 1, 2].map((r) => center[r]! + matrix[r]![0]! * o[0]! + matrix[r]![1]! * o[1]! + matrix[r]![2]! * o[2]!));
  }
  return out;
}

/** One sample's raw `[1, z, y, x]`, normalized to [0, 1], by the formula. */
export function rawOracle(center: readonly number[], matrix: readonly (readonly number[])[]): Float64Array {
  const pts = worldPoints(center, matrix, RAW_OUT);
  return Float64Array.from(pts, (p) => {
    const v = p.map((w) => w / SCALE);
    if (v.some((c, k) => c < 0 || c > RAW_SHAPE[k]! - 1)) return 0;
    const i0 = v.map(Math.floor);
    const f = v.map((c, k) => c - i0[k]!);
    let sum = 0;
    for (let dz = 0; dz < 2; dz++) for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) {
      const w = (dz ? f[0]! : 1 - f[0]!) * (dy ? f[1]! : 1 - f[1]!) * (dx ? f[2]! : 1 - f[2]!);
      if (w === 0) continue;
      const idx = [i0[0]! + dz, i0[1]! + dy, i0[2]! + dx].map((c, k) => Math.min(c, RAW_SHAPE[k]! - 1));
      sum += w * rawAt(idx[0]!, idx[1]!, idx[2]!);
    }
    return sum / 255;
  });
}

/** One sample's labels `[3, z, y, x]` (mito, er, nucleus) by the formula. */
export function labelOracle(center: readonly number[], matrix: readonly (readonly number[])[]): Float64Array {
  const pts = worldPoints(center, matrix, GT_OUT);
  const n = pts.length;
  const out = new Float64Array(3 * n).fill(NaN);
  pts.forEach((p, i) => {
    const v = p.map((w, k) => (w - CROP_TRANSLATION[k]!) / SCALE);
    if (v.some((c, k) => c < -0.5 || c >= CROP_SHAPE[k]! - 0.5)) return;
    const voxel = v.map((c, k) => CROP_TRANSLATION[k]! + Math.floor(c + 0.5) * SCALE);
    out[i] = inBall(MITO, voxel) ? 1 : 0;
    out[n + i] = inBall(ER, voxel) ? 1 : 0;
  });
  return out;
}

/** Foreground (> 0), background (<= 0) and unknown (NaN) counts per class of a `[B, C, ...]` array. */
export function countClasses(data: ArrayLike<number>, shape: readonly number[]): Array<{ foreground: number; background: number; unknown: number; total: number }> {
  const [B, C] = shape as [number, number];
  const n = shape.slice(2).reduce((a, b) => a * b, 1);
  return Array.from({ length: C }, (_, c) => {
    const r = { foreground: 0, background: 0, unknown: 0, total: B * n };
    for (let b = 0; b < B; b++) for (let i = 0; i < n; i++) {
      const v = data[(b * C + c) * n + i]!;
      if (Number.isNaN(v)) r.unknown++;
      else if (v > 0) r.foreground++;
      else r.background++;
    }
    return r;
  });
}
