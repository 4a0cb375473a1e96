// Test bodies for the seeded generator and the spatial-transform config, shared by the Node
// (vitest), Chromium (vitest browser mode) and Deno suites: determinism, distributions, parsing
// errors, and the matrices each transform stands for (checked on unit vectors by hand). Plain
// functions that throw on failure; no GPU, file system or network.

import { hashKey, rngFor } from "../../src/augment/rng.ts";
import { drawSpatialMatrix, isIdentity3, parseSpatialTransforms, rotationMatrix } from "../../src/augment/spatial.ts";
import { isCellMapError } from "../../src/errors.ts";
import { STABLE_HASHES, STABLE_UNIFORM } from "./dataset-cases.ts";
import { check, same } from "./assert.ts";
import type { Cases } from "./cases.ts";

function throws(work: () => unknown, what: string): unknown {
  try {
    work();
  } catch (e) {
    return e;
  }
  throw new Error(`${what} should have thrown`);
}

const apply = (m: ArrayLike<number>, v: number[]) => [0, 1, 2].map((r) => m[r * 3]! * v[0]! + m[r * 3 + 1]! * v[1]! + m[r * 3 + 2]! * v[2]!);
const close = (a: number[], b: number[]) => a.every((x, i) => Math.abs(x - b[i]!) < 1e-12);
const X = [0, 0, 1];
const Y = [0, 1, 0];
const Z = [1, 0, 0];

export const augmentCases = {
  /** The same key gives the same stream; other keys and splits differ. */
  "the same key gives the same stream; other keys and splits differ"(): void {
    const a = Array.from({ length: 8 }, ((r) => () => r.nextUint32())(rngFor(1, 2, 3)));
    const b = Array.from({ length: 8 }, ((r) => () => r.nextUint32())(rngFor(1, 2, 3)));
    same(a, b, "two streams from the same key");
    const others = [rngFor(1, 2, 4), rngFor(1, 3, 2), rngFor(2, 2, 3), rngFor(1, 2, 3, 0), rngFor(1, 2, "3"), rngFor(1, 2, 3).split("x")];
    others.forEach((r, k) => check(r.nextUint32() !== a[0], `other key ${k} starts like (1, 2, 3)`));
    // split() does not advance the parent.
    const p = rngFor(7);
    p.split("child").next();
    same(p.nextUint32(), rngFor(7).nextUint32(), "parent after split()");
    // Large indices (beyond 2^32) are distinct keys.
    check(hashKey(0, 2 ** 40) !== hashKey(0, 0), "hashKey(0, 2^40) equals hashKey(0, 0)");
    check(hashKey(0, -1) !== hashKey(0, 1), "hashKey(0, -1) equals hashKey(0, 1)");
  },

  /** Values are stable (the same in every runtime). */
  "values are stable (the same in every runtime)"(): void {
    same(hashKey(0), hashKey(0), "hashKey(0) twice");
    same([hashKey(42, 0, 0), hashKey(42, 0, 1), hashKey(42, "spatial")], STABLE_HASHES, "hashes");
    same(rngFor(42, 0, 0).next(), STABLE_UNIFORM, "first uniform of (42, 0, 0)");
  },

  /** Uniform, int and normal have the right ranges and moments. */
  "uniform, int and normal have the right ranges and moments"(): void {
    const r = rngFor(99);
    let sum = 0;
    let sumSq = 0;
    let n = 0;
    const hist = new Array<number>(10).fill(0);
    for (let i = 0; i < 20000; i++) {
      const u = r.next();
      check(u >= 0 && u < 1, `uniform ${u} outside [0, 1)`);
      hist[Math.floor(u * 10)]!++;
      const k = r.int(7);
      check(Number.isInteger(k) && k >= 0 && k < 7, `int(7) gave ${k}`);
      const g = r.normal();
      sum += g;
      sumSq += g * g;
      n++;
    }
    for (const h of hist) check(Math.abs(h - 2000) < 250, `uniform histogram ${hist} is not flat`);
    check(Math.abs(sum / n) < 0.03, `normal mean ${sum / n}`);
    check(Math.abs(sumSq / n - 1) < 0.05, `normal variance ${sumSq / n}`);
    throws(() => r.int(0), "int(0)");
    throws(() => rngFor(1.5), "rngFor(1.5)");
  },

  /** Parse errors name the field. */
  "parse errors name the field"(): void {
    const field = (config: unknown) => {
      try {
        parseSpatialTransforms(config);
      } catch (e) {
        check(isCellMapError(e, "argument"), `expected ArgumentError, got ${String(e)}`);
        return (e as unknown as { field: string }).field;
      }
      return undefined;
    };
    same(field({ mirror: { axes: { x: 1.5 } } }), "spatialTransforms.mirror.axes.x", "mirror p 1.5");
    same(field({ mirror: { axes: { w: 0.5 } } }), "spatialTransforms.mirror.axes", "mirror axis w");
    same(field({ transpose: { axes: ["x", "x"] } }), "spatialTransforms.transpose.axes", "transpose x, x");
    same(field({ rotate: { axes: { z: [10, -10] } } }), "spatialTransforms.rotate.axes.z", "rotate range [10, -10]");
    same(field({ rotate: {} }), "spatialTransforms.rotate", "rotate without axes");
    same(field({ elastic: { axes: {} } }), "spatialTransforms.elastic", "elastic");
    check(field(undefined) === undefined, "undefined config should parse");
    same(parseSpatialTransforms(null).steps, [], "steps of null");
  },

  /** Mirror with p = 1 flips that axis; p = 0 never. */
  "mirror with p = 1 flips that axis; p = 0 never"(): void {
    const t = parseSpatialTransforms({ mirror: { axes: { x: 1, y: 0 } } });
    for (let s = 0; s < 20; s++) same(Array.from(drawSpatialMatrix(t, rngFor(s))), [1, 0, 0, 0, 1, 0, 0, 0, -1], `matrix for seed ${s}`);
    const frequent = parseSpatialTransforms({ mirror: { axes: { z: 0.25 } } });
    let flips = 0;
    for (let s = 0; s < 4000; s++) flips += drawSpatialMatrix(frequent, rngFor(s))[0] === -1 ? 1 : 0;
    check(Math.abs(flips / 4000 - 0.25) < 0.03, `z flipped in ${flips} of 4000 draws, expected about 1000`);
  },

  /** Transpose permutes only the listed axes, each permutation about equally often. */
  "transpose permutes only the listed axes, each permutation about equally often"(): void {
    const t = parseSpatialTransforms({ transpose: { axes: ["x", "y"] } });
    let swaps = 0;
    for (let s = 0; s < 2000; s++) {
      const m = drawSpatialMatrix(t, rngFor(s));
      if (isIdentity3(m)) continue;
      same(Array.from(m), [1, 0, 0, 0, 0, 1, 0, 1, 0], `matrix for seed ${s}`);
      swaps++;
    }
    check(Math.abs(swaps / 2000 - 0.5) < 0.05, `x and y swapped in ${swaps} of 2000 draws, expected about 1000`);
    const all = parseSpatialTransforms({ transpose: { axes: ["z", "y", "x"] } });
    const seen = new Set<string>();
    for (let s = 0; s < 200; s++) {
      const m = drawSpatialMatrix(all, rngFor(s));
      same(m.reduce((a, b) => a + b, 0), 3, `sum of the permutation matrix for seed ${s}`);
      seen.add(Array.from(m).join());
    }
    same(seen.size, 6, "distinct permutations of z, y, x");
  },

  /** Rotations are right-handed in (x, y, z) and proper. */
  "rotations are right-handed in (x, y, z) and proper"(): void {
    check(close(apply(rotationMatrix(0, 90), X), Y), "about z: x should turn to y");
    check(close(apply(rotationMatrix(1, 90), Z), X), "about y: z should turn to x");
    check(close(apply(rotationMatrix(2, 90), Y), Z), "about x: y should turn to z");
    const t = parseSpatialTransforms({ rotate: { axes: { z: [-180, 180], y: [-30, 30], x: [-30, 30] } } });
    for (let s = 0; s < 50; s++) {
      const m = drawSpatialMatrix(t, rngFor(s));
      // Orthonormal with determinant 1.
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
        const dot = m[i]! * m[j]! + m[3 + i]! * m[3 + j]! + m[6 + i]! * m[6 + j]!;
        check(Math.abs(dot - (i === j ? 1 : 0)) < 5e-13, `seed ${s}: columns ${i} and ${j} have dot product ${dot}`);
      }
      const det = m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) - m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) + m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!);
      check(Math.abs(det - 1) < 5e-13, `seed ${s}: determinant ${det}`);
    }
    // A fixed range gives exactly that angle.
    const fixed = drawSpatialMatrix(parseSpatialTransforms({ rotate: { axes: { z: [90, 90] } } }), rngFor(1));
    check(close(apply(fixed, X), Y), "a fixed 90 degree rotation about z should turn x to y");
  },

  /** Transforms compose in the order the config lists them. */
  "transforms compose in the order the config lists them"(): void {
    const mirrorThenRotate = drawSpatialMatrix(parseSpatialTransforms({ mirror: { axes: { x: 1 } }, rotate: { axes: { z: [90, 90] } } }), rngFor(0));
    // x -> -x (mirror), then -x -> -y (rotation about z).
    check(close(apply(mirrorThenRotate, X), [0, -1, 0]), `mirror then rotate sends x to ${apply(mirrorThenRotate, X)}, expected -y`);
    const rotateThenMirror = drawSpatialMatrix(parseSpatialTransforms({ rotate: { axes: { z: [90, 90] } }, mirror: { axes: { x: 1 } } }), rngFor(0));
    // x -> y (rotation), then the x mirror leaves y alone.
    check(close(apply(rotateThenMirror, X), Y), `rotate then mirror sends x to ${apply(rotateThenMirror, X)}, expected y`);
  },
} satisfies Cases;
