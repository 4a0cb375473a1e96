/**
 * The plain-data types of {@link CellMapDatasetWriter}: its options, the target it writes to,
 * the progress it reports, and the tiles and items it hands out.
 *
 * @example
 * ```ts
 * const options: DatasetWriterOptions = {
 *   path: "predictions.zarr", classes: ["mito"],
 *   targetArrays: { pred: { shape: [64, 64, 64], scale: [8, 8, 8] } },
 *   targetBounds: { pred: { z: [0, 1024], y: [0, 1024], x: [0, 1024] } },
 *   onProgress: ({ finished, total }) => console.log(`${finished} / ${total} tiles`),
 * };
 * const writer = await CellMapDatasetWriter.create(options);
 * ```
 * @module
 */

import type { CodecSpec, DataType, WriteTarget } from "../zarr-write/index.ts";
import type { ArrayData } from "./types.ts";
import type { Vec3, WorldBounds, WriterArraySpec } from "./writer-geometry.ts";
import type { WriterInputOptions } from "./writer-inputs.ts";

/** A target the writer can read back from (for resuming and for chunks shared by tiles). */
export interface ReadWriteTarget extends WriteTarget {
  get(key: string): Promise<Uint8Array | undefined>;
}

/**
 * Options of {@link CellMapDatasetWriter.create}. The input options (`inputPath`, `inputArrays`,
 * `valueTransforms`, `inputPad`, `seed`, `gpu`, `device`, `cacheBytes`, `pool`, `workers`,
 * `storeOptions`) are optional: with them the writer reads each tile's inputs itself
 * ({@link CellMapDatasetWriter.get}, {@link CellMapDatasetWriter.loader}).
 */
export interface DatasetWriterOptions<I extends string = string> extends WriterInputOptions<I> {
  /** Output folder (Node, Deno); with `target`, the key prefix inside it. */
  readonly path: string;
  /** Class names; prediction channel `c` is `classes[c]`. */
  readonly classes: readonly string[];
  readonly targetArrays: Readonly<Record<string, WriterArraySpec>>;
  /** World box per target array, same keys as `targetArrays`. */
  readonly targetBounds: Readonly<Record<string, WorldBounds>>;
  /** Stored type (default float32); integer types are rounded and clamped, NaN stored as 0. */
  readonly dtype?: DataType;
  /** 3 (default, NGFF 0.5) or 2 (NGFF 0.4). */
  readonly zarrFormat?: 2 | 3;
  /** Chunk compression (default blosc lz4 with shuffle). */
  readonly codec?: CodecSpec;
  /** Value of voxels no tile wrote (default 0). */
  readonly fillValue?: number;
  /** Replace an existing output instead of resuming it (default false). */
  readonly overwrite?: boolean;
  /** Where to write instead of the local filesystem (e.g. a memory target). */
  readonly target?: ReadWriteTarget;
  /** Called each time a tile is recorded as finished. */
  readonly onProgress?: (progress: WriterProgress) => void;
  readonly signal?: AbortSignal;
}

/** Progress of a writer, given to `onProgress` after each finished tile. */
export interface WriterProgress {
  /** The tile just finished. */
  readonly idx: number;
  /** Tiles recorded as finished (in this run or an earlier one) when this tile was. */
  readonly finished: number;
  /** Number of tiles. */
  readonly total: number;
}

/** One tile's inputs: `[1, z, y, x]` per input array. */
export type WriterItem<I extends string = string> = { idx: number; center: Vec3 } & { [K in I]: ArrayData };

/** One tile: its index, world center and world box. */
export interface WriterTile {
  readonly idx: number;
  readonly center: Vec3;
  readonly box: { readonly lo: Vec3; readonly hi: Vec3 };
}
