/**
 * OME-NGFF multiscales metadata: 0.4 (zarr v2 `.zattrs`, key `multiscales`) and 0.5 (zarr v3
 * `zarr.json` attributes, key `ome`). Levels follow the pyramid rule the rest of the library
 * assumes: each level's scale is the previous one times the factor, and its translation moves by
 * half the growth of the voxel size, so voxel centers of an average-pooled level sit at the
 * centers of the blocks they summarise.
 * @module
 */

import { ArgumentError } from "../errors.ts";

/** One NGFF axis. */
export interface NgffAxis {
  readonly name: string;
  readonly type: "space" | "time" | "channel";
  readonly unit?: string;
}

/** One level of a multiscale pyramid: its array path and world transform (per axis). */
export interface MultiscaleLevel {
  readonly path: string;
  readonly scale: readonly number[];
  readonly translation: readonly number[];
}

/** The NGFF version that goes with a zarr format: 0.4 for v2, 0.5 for v3. */
export type NgffVersion = "0.4" | "0.5";

/** z, y, x spatial axes in nanometers, the CellMap convention. */
export const ZYX_NANOMETER_AXES: readonly NgffAxis[] = [
  { name: "z", type: "space", unit: "nanometer" },
  { name: "y", type: "space", unit: "nanometer" },
  { name: "x", type: "space", unit: "nanometer" },
];

/** The NGFF version written alongside a zarr format. */
export function ngffVersionFor(zarrFormat: 2 | 3): NgffVersion {
  return zarrFormat === 3 ? "0.5" : "0.4";
}

/**
 * The levels `s0 .. s{count-1}` of a pyramid downsampled by `factor` per level.
 * `scale_{k+1} = scale_k * f`, `translation_{k+1} = translation_k + (scale_{k+1} - scale_k) / 2`.
 * @param count number of levels (at least 1)
 * @param scale voxel size of level 0 per axis
 * @param translation world position of voxel 0's center at level 0 (zeros by default)
 * @param factor downsampling factor per level, one for all axes or one per axis
 * @example
 * ```ts
 * pyramidLevels(3, [8, 4, 4]);
 * // s1: scale [16, 8, 8], translation [4, 2, 2]; s2: scale [32, 16, 16], translation [12, 6, 6]
 * ```
 */
export function pyramidLevels(
  count: number,
  scale: readonly number[],
  translation: readonly number[] = scale.map(() => 0),
  factor: number | readonly number[] = 2,
): MultiscaleLevel[] {
  if (!Number.isInteger(count) || count < 1) throw new ArgumentError("count", "must be a positive integer", count);
  if (translation.length !== scale.length) {
    throw new ArgumentError("translation", `must have ${scale.length} entries like scale`, translation);
  }
  const f = typeof factor === "number" ? scale.map(() => factor) : factor;
  const levels: MultiscaleLevel[] = [];
  let s = [...scale];
  let t = [...translation];
  for (let k = 0; k < count; k++) {
    levels.push({ path: `s${k}`, scale: s, translation: t });
    const next = s.map((v, i) => v * (f[i] ?? 1));
    t = t.map((v, i) => v + (next[i]! - s[i]!) / 2);
    s = next;
  }
  return levels;
}

/** Shape of a level downsampled by `factor` from `shape` (ceil, so no voxel is dropped). */
export function downsampledShape(shape: readonly number[], factor: number | readonly number[] = 2): number[] {
  return shape.map((n, i) => Math.ceil(n / (typeof factor === "number" ? factor : factor[i] ?? 1)));
}

/** What {@link multiscalesAttributes} needs. */
export interface MultiscalesOptions {
  readonly levels: readonly MultiscaleLevel[];
  readonly name?: string;
  readonly axes?: readonly NgffAxis[];
}

/**
 * The group attributes that declare a multiscale image.
 * @param version "0.4" returns `{ multiscales: [...] }` (with `version` inside the entry),
 *   "0.5" returns `{ ome: { version: "0.5", multiscales: [...] } }`
 * @example
 * ```ts
 * const attrs = multiscalesAttributes("0.5", { name: "raw", levels: pyramidLevels(3, [8, 4, 4]) });
 * await writeGroup(target, "raw.zarr", { zarrFormat: 3, attributes: attrs });
 * ```
 */
export function multiscalesAttributes(version: NgffVersion, options: MultiscalesOptions): Record<string, unknown> {
  const axes = options.axes ?? ZYX_NANOMETER_AXES;
  for (const level of options.levels) {
    if (level.scale.length !== axes.length || level.translation.length !== axes.length) {
      throw new ArgumentError(`levels[${level.path}]`, `scale and translation need ${axes.length} entries`, level);
    }
  }
  const entry: Record<string, unknown> = {};
  if (version === "0.4") entry["version"] = "0.4";
  if (options.name !== undefined) entry["name"] = options.name;
  entry["axes"] = axes.map((a) => ({ ...a }));
  entry["datasets"] = options.levels.map((level) => ({
    path: level.path,
    coordinateTransformations: [
      { type: "scale", scale: [...level.scale] },
      { type: "translation", translation: [...level.translation] },
    ],
  }));
  return version === "0.4" ? { multiscales: [entry] } : { ome: { version: "0.5", multiscales: [entry] } };
}
