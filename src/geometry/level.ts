import type { Vec3 } from "./types.ts";

/**
 * Choose the level to read for a requested output voxel size: the coarsest
 * level whose voxel size is <= the request on every axis (never read coarser
 * than asked), or level 0 when none qualifies.
 *
 * @param levelScales Voxel size of each level, finest first as NGFF orders them.
 * @param requested The output voxel size (z, y, x).
 * @param tolerance Relative slack for float noise in metadata (default 1e-6).
 * @returns The index of the chosen level.
 * @example
 * ```ts
 * chooseLevel([[8, 4, 4], [16, 8, 8], [32, 16, 16]], [16, 8, 8]); // 1
 * ```
 */
export function chooseLevel(levelScales: readonly Vec3[], requested: Vec3, tolerance = 1e-6): number {
  let best = -1;
  let bestVolume = -Infinity;
  levelScales.forEach((s, i) => {
    const fits = s.every((v, k) => v <= requested[k]! * (1 + tolerance));
    const volume = s[0] * s[1] * s[2];
    if (fits && volume > bestVolume) {
      best = i;
      bestVolume = volume;
    }
  });
  return best < 0 ? 0 : best;
}
