import { expect, test } from "vitest";
import { chunkKey } from "../src/array/chunk-grid.ts";
import { ChunkIds } from "../src/array/chunk-id.ts";
import type { LevelInfo } from "../src/array/open-multiscale.ts";
import type { Vec3 } from "../src/geometry/types.ts";

function level(shape: Vec3, chunks: Vec3): LevelInfo {
  return { shape, chunks } as unknown as LevelInfo;
}

test("every chunk of every level has its own id, and the id gives back its level and coordinates", () => {
  const levels = [level([10, 7, 5], [4, 3, 2]), level([5, 1, 3], [2, 1, 3]), level([0, 4, 4], [1, 1, 1]), level([3, 3, 3], [3, 3, 3])];
  const ids = new ChunkIds(levels, "mem://a");
  const seen = new Set<number>();
  levels.forEach((l, lv) => {
    const grid = [0, 1, 2].map((k) => Math.ceil(l.shape[k]! / l.chunks[k]!));
    for (let z = 0; z < grid[0]!; z++) {
      for (let y = 0; y < grid[1]!; y++) {
        for (let x = 0; x < grid[2]!; x++) {
          const id = ids.id(lv, [z, y, x]);
          expect(seen.has(id)).toBe(false);
          seen.add(id);
          expect(ids.level(id)).toBe(lv);
          expect(ids.coords(id)).toEqual([z, y, x]);
          expect(ids.describe(id)).toBe(chunkKey(lv, [z, y, x]));
        }
      }
    }
  });
  expect([...seen].sort((a, b) => a - b)).toEqual([...seen.keys()].map((_, i) => i));
});

test("a chunk grid too large for exact ids is a MetadataError naming the array", () => {
  expect(() => new ChunkIds([level([2 ** 20, 2 ** 20, 2 ** 20], [1, 1, 1]), level([2 ** 20, 2 ** 20, 2 ** 20], [1, 1, 1])], "mem://huge")).toThrow(/mem:\/\/huge.*chunk grid/);
});
