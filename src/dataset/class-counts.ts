/**
 * How much of each class a label array holds, in world volume (e.g. nm³): read from the CellMap
 * `cellmap.annotation.complement_counts` metadata when it is there, otherwise counted once over
 * the finest level and cached by the caller. Class weights follow the Python library:
 * `background / foreground` (1 for a class with no foreground).
 * @module
 */

import type { CellMapArray } from "../array/cellmap-array.ts";
import { throwIfAborted } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";

/** Foreground (present) and background (absent) volume of one class, world units cubed. */
export interface ClassCount {
  foreground: number;
  background: number;
}

/** Counts per class name. */
export type ClassCounts = Record<string, ClassCount>;

/**
 * Counts from the `complement_counts` metadata: present = all voxels of s0 minus the complement
 * counts; absent = the `absent` count (or all complements but `unknown`); both times the s0 voxel
 * volume.
 *
 * @returns `undefined` when the array carries no complement counts.
 */
export function countsFromAnnotation(array: CellMapArray): ClassCount | undefined {
  const cc = array.annotation?.complementCounts;
  const level = array.levels[0];
  if (cc === undefined || level === undefined) return undefined;
  const total = level.shape[0] * level.shape[1] * level.shape[2];
  const complement = Object.values(cc).reduce((a, b) => a + b, 0);
  const absent = cc["absent"] ?? complement - (cc["unknown"] ?? 0);
  const volume = level.scale[0] * level.scale[1] * level.scale[2];
  return { foreground: Math.max(0, total - complement) * volume, background: absent * volume };
}

/** Tiles of this many samples go to one `sample()` call while counting. */
const TILES_PER_CALL = 16;

/**
 * Count a label array's voxels over its finest level, tile by tile (one tile per chunk, read back
 * through the array's own resampler at the exact voxel grid). A voxel is background when it
 * equals the encoding's `absent` value (default 0), unknown when it equals `unknown` (if the
 * encoding has one), and foreground otherwise.
 */
export async function countLabels(array: CellMapArray, options: { signal?: AbortSignal } = {}): Promise<ClassCount> {
  const level = array.levels[0]!;
  const enc = array.annotation?.encoding ?? {};
  const absent = enc["absent"] ?? 0;
  const unknown = enc["unknown"];
  const tile = [0, 1, 2].map((k) => Math.min(level.chunks[k]!, level.shape[k]!)) as Vec3;
  const counts = [0, 1, 2].map((k) => Math.ceil(level.shape[k]! / tile[k]!)) as Vec3;
  const n = counts[0] * counts[1] * counts[2];
  let fg = 0;
  let bg = 0;
  for (let start = 0; start < n; start += TILES_PER_CALL) {
    throwIfAborted(options.signal, `counting ${array.url}`);
    const specs = [];
    for (let t = start; t < Math.min(n, start + TILES_PER_CALL); t++) {
      const x = t % counts[2];
      const y = Math.floor(t / counts[2]) % counts[1];
      const z = Math.floor(t / (counts[1] * counts[2]));
      const g = [z, y, x];
      const center = [0, 1, 2].map((k) => level.translation[k]! + (g[k]! * tile[k]! + (tile[k]! - 1) / 2) * level.scale[k]!) as Vec3;
      specs.push({ center });
    }
    const values = await array.sample(specs, {
      shape: tile,
      scale: level.scale,
      interp: "nearest",
      pad: NaN,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v !== v) continue; // outside the volume
      if (v === absent) bg++;
      else if (v !== unknown) fg++;
    }
  }
  const volume = level.scale[0] * level.scale[1] * level.scale[2];
  return { foreground: fg * volume, background: bg * volume };
}

/**
 * Class weights, `background / foreground` per class (1 where there is no foreground), as the
 * Python library's `class_weights`.
 *
 * @example
 * ```ts
 * classWeightsFrom({ mito: { foreground: 10, background: 90 } }, ["mito"]); // { mito: 9 }
 * ```
 */
export function classWeightsFrom(counts: ClassCounts, classes: readonly string[]): Record<string, number> {
  const w: Record<string, number> = {};
  for (const c of classes) {
    const k = counts[c];
    w[c] = k && k.foreground > 0 ? k.background / k.foreground : 1;
  }
  return w;
}

/** Sum counts class by class. */
export function addCounts(into: ClassCounts, more: ClassCounts): ClassCounts {
  for (const [c, k] of Object.entries(more)) {
    const t = (into[c] ??= { foreground: 0, background: 0 });
    t.foreground += k.foreground;
    t.background += k.background;
  }
  return into;
}
