import type { Vec3, VoxelBox } from "../geometry/types.ts";

/** Chunk-grid coordinates (z, y, x) of the chunks a voxel box touches, C-order. */
export function chunksInBox(box: VoxelBox, chunks: Readonly<Vec3>): { lo: Vec3; dims: Vec3; coords: Vec3[] } {
  const lo = [0, 1, 2].map((k) => Math.floor(box.lo[k]! / chunks[k]!)) as Vec3;
  const hi = [0, 1, 2].map((k) => Math.floor(box.hi[k]! / chunks[k]!)) as Vec3;
  const dims = [0, 1, 2].map((k) => hi[k]! - lo[k]! + 1) as Vec3;
  const coords: Vec3[] = [];
  for (let z = lo[0]; z <= hi[0]; z++) {
    for (let y = lo[1]; y <= hi[1]; y++) {
      for (let x = lo[2]; x <= hi[2]; x++) coords.push([z, y, x]);
    }
  }
  return { lo, dims, coords };
}

/** A chunk of a level as messages name it: `level:z,y,x`. */
export function chunkKey(level: number, c: Readonly<Vec3>): string {
  return `${level}:${c[0]},${c[1]},${c[2]}`;
}
