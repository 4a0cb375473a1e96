import { MetadataError } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";
import { chunkKey } from "./chunk-grid.ts";
import type { LevelInfo } from "./open-multiscale.ts";

/**
 * A chunk of one array: its index over the chunk grids of all the array's levels, level 0's
 * first, each C-order (z, y, x). The cache, the grouping of samples and the routing of shards to
 * workers use it; only the read itself names the chunk by its coordinates.
 */
export type ChunkId = number;

/**
 * The chunk ids of an array's levels: a chunk's id from its level and grid coordinates, and
 * back.
 *
 * @example
 * ```ts
 * const ids = new ChunkIds(levels);
 * const id = ids.id(1, [0, 2, 3]);
 * ids.level(id); // 1
 * ids.coords(id); // [0, 2, 3]
 * ```
 */
export class ChunkIds {
  /** The first id of each level. */
  readonly #first: number[] = [];
  /** Each level's chunk grid (z, y, x). */
  readonly #grids: Vec3[] = [];

  /** @throws {MetadataError} when the levels have more chunks than ids can tell apart (2^53). */
  constructor(levels: readonly LevelInfo[], url: string) {
    let next = 0;
    for (const l of levels) {
      const grid = [0, 1, 2].map((k) => Math.ceil(l.shape[k]! / l.chunks[k]!)) as Vec3;
      this.#first.push(next);
      this.#grids.push(grid);
      next += grid[0] * grid[1] * grid[2];
    }
    if (!Number.isSafeInteger(next)) throw new MetadataError(url, "chunk grid", `has ${next} chunks over its levels, more than ${Number.MAX_SAFE_INTEGER}`);
  }

  /** The id of the chunk at grid coordinates `c` (z, y, x, inside the grid) of `level`. */
  id(level: number, c: Readonly<Vec3>): ChunkId {
    const g = this.#grids[level]!;
    return this.#first[level]! + (c[0] * g[1] + c[1]) * g[2] + c[2];
  }

  /** The level of a chunk. */
  level(id: ChunkId): number {
    let level = 0;
    while (level + 1 < this.#first.length && this.#first[level + 1]! <= id) level++;
    return level;
  }

  /** The grid coordinates (z, y, x) of a chunk in its level. */
  coords(id: ChunkId): Vec3 {
    const level = this.level(id);
    const g = this.#grids[level]!;
    const i = id - this.#first[level]!;
    const x = i % g[2];
    const zy = (i - x) / g[2];
    const y = zy % g[1];
    return [(zy - y) / g[1], y, x];
  }

  /** A chunk as messages name it: `level:z,y,x`. */
  describe(id: ChunkId): string {
    return chunkKey(this.level(id), this.coords(id));
  }
}
