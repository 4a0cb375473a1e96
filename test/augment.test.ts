// The seeded generator and the spatial-transform config: determinism, distributions, parsing
// errors, and the matrices each transform stands for (checked on unit vectors by hand).
import { describe, expect, test } from "vitest";
import { hashKey, rngFor } from "../src/augment/rng.ts";
import { drawSpatialMatrix, isIdentity3, parseSpatialTransforms, rotationMatrix } from "../src/augment/spatial.ts";
import { isCellMapError } from "../src/errors.ts";
import { STABLE_HASHES, STABLE_UNIFORM } from "./setup/dataset-cases.ts";

const apply = (m: ArrayLike<number>, v: number[]) => [0, 1, 2].map((r) => m[r * 3]! * v[0]! + m[r * 3 + 1]! * v[1]! + m[r * 3 + 2]! * v[2]!);
const close = (a: number[], b: number[]) => a.every((x, i) => Math.abs(x - b[i]!) < 1e-12);
const X = [0, 0, 1];
const Y = [0, 1, 0];
const Z = [1, 0, 0];

describe("rngFor", () => {
  test("the same key gives the same stream; other keys and splits differ", () => {
    const a = Array.from({ length: 8 }, ((r) => () => r.nextUint32())(rngFor(1, 2, 3)));
    const b = Array.from({ length: 8 }, ((r) => () => r.nextUint32())(rngFor(1, 2, 3)));
    expect(a).toEqual(b);
    const others = [rngFor(1, 2, 4), rngFor(1, 3, 2), rngFor(2, 2, 3), rngFor(1, 2, 3, 0), rngFor(1, 2, "3"), rngFor(1, 2, 3).split("x")];
    for (const r of others) expect(r.nextUint32()).not.toBe(a[0]);
    // split() does not advance the parent.
    const p = rngFor(7);
    p.split("child").next();
    expect(p.nextUint32()).toBe(rngFor(7).nextUint32());
    // Large indices (beyond 2^32) are distinct keys.
    expect(hashKey(0, 2 ** 40)).not.toBe(hashKey(0, 0));
    expect(hashKey(0, -1)).not.toBe(hashKey(0, 1));
  });

  test("values are stable (the same in every runtime)", () => {
    expect(hashKey(0)).toBe(hashKey(0));
    expect([hashKey(42, 0, 0), hashKey(42, 0, 1), hashKey(42, "spatial")]).toEqual(STABLE_HASHES);
    expect(rngFor(42, 0, 0).next()).toBe(STABLE_UNIFORM);
  });

  test("uniform, int and normal have the right ranges and moments", () => {
    const r = rngFor(99);
    let sum = 0;
    let sumSq = 0;
    let n = 0;
    const hist = new Array<number>(10).fill(0);
    for (let i = 0; i < 20000; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      hist[Math.floor(u * 10)]!++;
      const k = r.int(7);
      expect(Number.isInteger(k) && k >= 0 && k < 7).toBe(true);
      const g = r.normal();
      sum += g;
      sumSq += g * g;
      n++;
    }
    for (const h of hist) expect(Math.abs(h - 2000)).toBeLessThan(250);
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.05);
    expect(() => r.int(0)).toThrow();
    expect(() => rngFor(1.5)).toThrow();
  });
});

describe("spatial transforms", () => {
  test("parse errors name the field", () => {
    const field = (config: unknown) => {
      try {
        parseSpatialTransforms(config);
      } catch (e) {
        expect(isCellMapError(e, "argument")).toBe(true);
        return (e as { field: string }).field;
      }
      return undefined;
    };
    expect(field({ mirror: { axes: { x: 1.5 } } })).toBe("spatialTransforms.mirror.axes.x");
    expect(field({ mirror: { axes: { w: 0.5 } } })).toBe("spatialTransforms.mirror.axes");
    expect(field({ transpose: { axes: ["x", "x"] } })).toBe("spatialTransforms.transpose.axes");
    expect(field({ rotate: { axes: { z: [10, -10] } } })).toBe("spatialTransforms.rotate.axes.z");
    expect(field({ rotate: {} })).toBe("spatialTransforms.rotate");
    expect(field({ elastic: { axes: {} } })).toBe("spatialTransforms.elastic");
    expect(field(undefined)).toBeUndefined();
    expect(parseSpatialTransforms(null).steps).toEqual([]);
  });

  test("mirror with p = 1 flips that axis; p = 0 never", () => {
    const t = parseSpatialTransforms({ mirror: { axes: { x: 1, y: 0 } } });
    for (let s = 0; s < 20; s++) expect(Array.from(drawSpatialMatrix(t, rngFor(s)))).toEqual([1, 0, 0, 0, 1, 0, 0, 0, -1]);
    const frequent = parseSpatialTransforms({ mirror: { axes: { z: 0.25 } } });
    let flips = 0;
    for (let s = 0; s < 4000; s++) flips += drawSpatialMatrix(frequent, rngFor(s))[0] === -1 ? 1 : 0;
    expect(Math.abs(flips / 4000 - 0.25)).toBeLessThan(0.03);
  });

  test("transpose permutes only the listed axes, each permutation about equally often", () => {
    const t = parseSpatialTransforms({ transpose: { axes: ["x", "y"] } });
    let swaps = 0;
    for (let s = 0; s < 2000; s++) {
      const m = drawSpatialMatrix(t, rngFor(s));
      if (isIdentity3(m)) continue;
      expect(Array.from(m)).toEqual([1, 0, 0, 0, 0, 1, 0, 1, 0]);
      swaps++;
    }
    expect(Math.abs(swaps / 2000 - 0.5)).toBeLessThan(0.05);
    const all = parseSpatialTransforms({ transpose: { axes: ["z", "y", "x"] } });
    const seen = new Set<string>();
    for (let s = 0; s < 200; s++) {
      const m = drawSpatialMatrix(all, rngFor(s));
      expect(m.reduce((a, b) => a + b, 0)).toBe(3); // a permutation matrix
      seen.add(Array.from(m).join());
    }
    expect(seen.size).toBe(6);
  });

  test("rotations are right-handed in (x, y, z) and proper", () => {
    expect(close(apply(rotationMatrix(0, 90), X), Y)).toBe(true); // about z: x -> y
    expect(close(apply(rotationMatrix(1, 90), Z), X)).toBe(true); // about y: z -> x
    expect(close(apply(rotationMatrix(2, 90), Y), Z)).toBe(true); // about x: y -> z
    const t = parseSpatialTransforms({ rotate: { axes: { z: [-180, 180], y: [-30, 30], x: [-30, 30] } } });
    for (let s = 0; s < 50; s++) {
      const m = drawSpatialMatrix(t, rngFor(s));
      // Orthonormal with determinant 1.
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
        const dot = m[i]! * m[j]! + m[3 + i]! * m[3 + j]! + m[6 + i]! * m[6 + j]!;
        expect(dot).toBeCloseTo(i === j ? 1 : 0, 12);
      }
      const det = m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) - m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) + m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!);
      expect(det).toBeCloseTo(1, 12);
    }
    // A fixed range gives exactly that angle.
    const fixed = drawSpatialMatrix(parseSpatialTransforms({ rotate: { axes: { z: [90, 90] } } }), rngFor(1));
    expect(close(apply(fixed, X), Y)).toBe(true);
  });

  test("transforms compose in the order the config lists them", () => {
    const mirrorThenRotate = drawSpatialMatrix(parseSpatialTransforms({ mirror: { axes: { x: 1 } }, rotate: { axes: { z: [90, 90] } } }), rngFor(0));
    // x -> -x (mirror), then -x -> -y (rotation about z).
    expect(close(apply(mirrorThenRotate, X), [0, -1, 0])).toBe(true);
    const rotateThenMirror = drawSpatialMatrix(parseSpatialTransforms({ rotate: { axes: { z: [90, 90] } }, mirror: { axes: { x: 1 } } }), rngFor(0));
    // x -> y (rotation), then the x mirror leaves y alone.
    expect(close(apply(rotateThenMirror, X), Y)).toBe(true);
  });
});
