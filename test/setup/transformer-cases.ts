// Level choice and the per-sample affine: bodies run in Node, Deno and Chromium from the case registry (test/setup/cases.ts). Pure
// float64 logic: no GPU, file system or network. Expected values are hand computations and the
// world-coordinate formula written out here, never the library's own composition.

import { chooseLevel } from "../../src/geometry/level.ts";
import { CoordinateTransformer } from "../../src/geometry/transformer.ts";
import type { LevelGeometry, Vec3 } from "../../src/geometry/types.ts";
import { caughtSync, check, close, isTagged } from "./assert.ts";
import type { Cases } from "./cases.ts";

const scales: Vec3[] = [[8, 4, 4], [16, 8, 8], [32, 16, 16]];

const levels: LevelGeometry[] = [
  { scale: [8, 4, 4], translation: [3, 5, 7], shape: [100, 200, 300] },
  { scale: [16, 8, 8], translation: [7, 7, 9], shape: [50, 100, 150] },
];

/** Output voxel j -> world c + A((j - (n - 1) / 2) s) -> source voxel (p - t) / s of level g. */
function direct(center: Vec3, A: number[], n: Vec3, s: Vec3, g: LevelGeometry, j: Vec3): Vec3 {
  const d = j.map((jj, k) => (jj - (n[k]! - 1) / 2) * s[k]!);
  const p = [0, 1, 2].map((r) => center[r]! + A[r * 3]! * d[0]! + A[r * 3 + 1]! * d[1]! + A[r * 3 + 2]! * d[2]!);
  return p.map((pp, k) => (pp - g.translation[k]!) / g.scale[k]!) as Vec3;
}

export const transformerCases = {
  /** The coarsest level whose voxel size is <= the requested one on every axis. */
  "picks the coarsest level not coarser than asked on any axis"(): void {
    const cases: Array<[Vec3, number]> = [
      [[8, 4, 4], 0],
      [[16, 8, 8], 1],
      [[16, 16, 16], 1],
      [[32, 16, 16], 2],
      [[100, 100, 100], 2],
      [[31.9, 100, 100], 1],
    ];
    for (const [asked, want] of cases) check(chooseLevel(scales, asked) === want, `chooseLevel(${asked}) = ${chooseLevel(scales, asked)}, expected ${want}`);
  },

  /** Level 0 when every level is coarser than asked. */
  "falls back to level 0 when every level is coarser than asked"(): void {
    for (const asked of [[4, 4, 4], [1, 1, 1]] as Vec3[]) check(chooseLevel(scales, asked) === 0, `chooseLevel(${asked}) = ${chooseLevel(scales, asked)}, expected 0`);
  },

  /** One composed affine (and its box-local form) equals the world-coordinate formula at the corners. */
  "one composed affine equals the world-coordinate formula for every corner"(): void {
    const out = { shape: [5, 6, 7] as Vec3, scale: [16, 8, 8] as Vec3 };
    const t = new CoordinateTransformer(levels, out, "linear");
    check(t.level === 1, `level ${t.level}, expected 1`);
    const c = Math.cos(0.3), s = Math.sin(0.3);
    const A = [1, 0, 0, 0, c, -s, 0, s, c];
    const center: Vec3 = [300, 400, 600];
    const { matrix, localMatrix, box } = t.forSample(center, A);
    check(box !== null, "the sample has a source box");
    for (const j of [[0, 0, 0], [4, 5, 6], [2, 3, 1]] as Vec3[]) {
      const want = direct(center, A, out.shape, out.scale, levels[1]!, j);
      for (let r = 0; r < 3; r++) {
        const got = matrix[r * 4]! * j[0] + matrix[r * 4 + 1]! * j[1] + matrix[r * 4 + 2]! * j[2] + matrix[r * 4 + 3]!;
        close(got, want[r]!, 1e-10, `matrix row ${r} at ${j}`);
        const local = localMatrix[r * 4]! * j[0] + localMatrix[r * 4 + 1]! * j[1] + localMatrix[r * 4 + 2]! * j[2] + localMatrix[r * 4 + 3]!;
        close(local + box.lo[r]!, want[r]!, 1e-10, `local matrix row ${r} at ${j}`);
        check(want[r]! >= box.lo[r]! && want[r]! <= box.hi[r]!, `voxel ${j} axis ${r}: ${want[r]} outside the box [${box.lo[r]}, ${box.hi[r]}]`);
      }
    }
  },

  /** A sample entirely outside the volume has no box. */
  "a sample entirely outside the volume has no box"(): void {
    const t = new CoordinateTransformer(levels, { shape: [4, 4, 4], scale: [8, 4, 4] }, "nearest");
    check(t.forSample([-1000, 0, 0]).box === null, "a sample 1000 nm outside the volume has a box");
  },

  /** Bad output shapes and scales raise ArgumentError naming the field. */
  "rejects bad output shapes with the field named"(): void {
    const shape = caughtSync(() => new CoordinateTransformer(levels, { shape: [0, 4, 4], scale: [8, 4, 4] }, "linear"), "shape [0, 4, 4]");
    isTagged(shape, "argument", "shape", "shape [0, 4, 4]");
    const scale = caughtSync(() => new CoordinateTransformer(levels, { shape: [4, 4, 4], scale: [8, -4, 4] }, "linear"), "scale [8, -4, 4]");
    isTagged(scale, "argument", "scale", "scale [8, -4, 4]");
  },
} satisfies Cases;
