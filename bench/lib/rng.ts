/**
 * Seeded random numbers and the spatial augmentations of the standard workload: random rotation,
 * mirror and transpose, composed into one 3x3 matrix (row-major z, y, x) per sample.
 * @module
 */

/** A seeded uniform generator on [0, 1) (mulberry32). */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Multiply two row-major 3x3 matrices. */
export function mul3(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const r = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) r[i * 3 + j] = a[i * 3]! * b[j]! + a[i * 3 + 1]! * b[3 + j]! + a[i * 3 + 2]! * b[6 + j]!;
  }
  return r;
}

/** A uniformly random rotation (from a random unit quaternion, Shoemake's method). */
export function randomRotation(rand: () => number): Float64Array {
  const u1 = rand(), u2 = rand() * 2 * Math.PI, u3 = rand() * 2 * Math.PI;
  const a = Math.sqrt(1 - u1), b = Math.sqrt(u1);
  const w = a * Math.sin(u2), x = a * Math.cos(u2), y = b * Math.sin(u3), z = b * Math.cos(u3);
  return Float64Array.of(
    1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
    2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
    2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
  );
}

/** A mirror: each axis flipped with probability 1/2. */
export function randomMirror(rand: () => number): Float64Array {
  const m = new Float64Array(9);
  for (let k = 0; k < 3; k++) m[k * 4] = rand() < 0.5 ? -1 : 1;
  return m;
}

/** A transpose: a uniformly random permutation of the three axes. */
export function randomTranspose(rand: () => number): Float64Array {
  const p = [0, 1, 2];
  for (let i = 2; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  const m = new Float64Array(9);
  for (let r = 0; r < 3; r++) m[r * 3 + p[r]!] = 1;
  return m;
}

/** Rotation · mirror · transpose: the augmentation matrix of one sample. */
export function randomAugment(rand: () => number): Float64Array {
  return mul3(randomRotation(rand), mul3(randomMirror(rand), randomTranspose(rand)));
}
