import { describe, expect, test } from "vitest";
import { chooseLevel, CoordinateTransformer, type LevelGeometry, type Vec3 } from "../src/index.ts";

describe("chooseLevel", () => {
  const scales: Vec3[] = [[8, 4, 4], [16, 8, 8], [32, 16, 16]];
  test("picks the coarsest level not coarser than asked on any axis", () => {
    expect(chooseLevel(scales, [8, 4, 4])).toBe(0);
    expect(chooseLevel(scales, [16, 8, 8])).toBe(1);
    expect(chooseLevel(scales, [16, 16, 16])).toBe(1);
    expect(chooseLevel(scales, [32, 16, 16])).toBe(2);
    expect(chooseLevel(scales, [100, 100, 100])).toBe(2);
    expect(chooseLevel(scales, [31.9, 100, 100])).toBe(1);
  });
  test("falls back to level 0 when every level is coarser than asked", () => {
    expect(chooseLevel(scales, [4, 4, 4])).toBe(0);
    expect(chooseLevel(scales, [1, 1, 1])).toBe(0);
  });
});

describe("CoordinateTransformer", () => {
  const levels: LevelGeometry[] = [
    { scale: [8, 4, 4], translation: [3, 5, 7], shape: [100, 200, 300] },
    { scale: [16, 8, 8], translation: [7, 7, 9], shape: [50, 100, 150] },
  ];

  function direct(center: Vec3, A: number[], n: Vec3, s: Vec3, g: LevelGeometry, j: Vec3): Vec3 {
    const d = j.map((jj, k) => (jj - (n[k]! - 1) / 2) * s[k]!);
    const p = [0, 1, 2].map((r) => center[r]! + A[r * 3]! * d[0]! + A[r * 3 + 1]! * d[1]! + A[r * 3 + 2]! * d[2]!);
    return p.map((pp, k) => (pp - g.translation[k]!) / g.scale[k]!) as Vec3;
  }

  test("one composed affine equals the world-coordinate formula for every corner", () => {
    const out = { shape: [5, 6, 7] as Vec3, scale: [16, 8, 8] as Vec3 };
    const t = new CoordinateTransformer(levels, out, "linear");
    expect(t.level).toBe(1);
    const c = Math.cos(0.3), s = Math.sin(0.3);
    const A = [1, 0, 0, 0, c, -s, 0, s, c];
    const center: Vec3 = [300, 400, 600];
    const { matrix, localMatrix, box } = t.forSample(center, A);
    for (const j of [[0, 0, 0], [4, 5, 6], [2, 3, 1]] as Vec3[]) {
      const want = direct(center, A, out.shape, out.scale, levels[1]!, j);
      for (let r = 0; r < 3; r++) {
        const got = matrix[r * 4]! * j[0] + matrix[r * 4 + 1]! * j[1] + matrix[r * 4 + 2]! * j[2] + matrix[r * 4 + 3]!;
        expect(got).toBeCloseTo(want[r]!, 10);
        const local = localMatrix[r * 4]! * j[0] + localMatrix[r * 4 + 1]! * j[1] + localMatrix[r * 4 + 2]! * j[2] + localMatrix[r * 4 + 3]!;
        expect(local + box!.lo[r]!).toBeCloseTo(want[r]!, 10);
        expect(want[r]!).toBeGreaterThanOrEqual(box!.lo[r]!);
        expect(want[r]!).toBeLessThanOrEqual(box!.hi[r]!);
      }
    }
  });

  test("a sample entirely outside the volume has no box", () => {
    const t = new CoordinateTransformer(levels, { shape: [4, 4, 4], scale: [8, 4, 4] }, "nearest");
    expect(t.forSample([-1000, 0, 0]).box).toBeNull();
  });

  test("rejects bad output shapes with the field named", () => {
    expect(() => new CoordinateTransformer(levels, { shape: [0, 4, 4], scale: [8, 4, 4] }, "linear")).toThrow(/shape/);
    expect(() => new CoordinateTransformer(levels, { shape: [4, 4, 4], scale: [8, -4, 4] }, "linear")).toThrow(/scale/);
  });
});
