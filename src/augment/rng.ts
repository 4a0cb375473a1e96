/**
 * A seeded, splittable, counter-based random number generator. A generator is a pure function
 * of its key (a seed and any number of integer or string parts), so a draw depends only on, say,
 * (seed, epoch, sample index), never on the order in which samples were fetched, the number of
 * workers or the prefetch depth. Integer and uniform draws use only 32-bit integer operations, so
 * every engine gives the same numbers; `normal()` also uses `Math.log` and `Math.cos`, whose last
 * bit may differ between engines (never between runs of one engine).
 *
 * @example
 * ```ts
 * const rng = rngFor(42, epoch, index);
 * const angle = rng.uniform(-180, 180);
 * const noise = rng.split("noise").normal();
 * ```
 * @module
 */

import { ArgumentError } from "../errors.ts";

/** One part of a generator's key: an integer (up to 2^53 in magnitude) or a string. */
export type RngKey = number | string;

/** A stream of random numbers, fully determined by its key. */
export interface Rng {
  /** The next uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** The next uniform number in [0, 1) with 53 random bits. */
  next(): number;
  /** A uniform number in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** A uniform integer in [0, n). */
  int(n: number): number;
  /** A standard normal number (Box-Muller). */
  normal(): number;
  /** An independent generator keyed by this one's key plus `keys`; does not advance this one. */
  split(...keys: RngKey[]): Rng;
}

const GOLDEN = 0x9e3779b9;

/** murmur3's 32-bit finaliser: a bijective avalanche mix of one word. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function absorb(state: [number, number], word: number): void {
  // Two lanes so that keys collide with probability ~2^-64, not 2^-32.
  state[0] = mix32((state[0] ^ word) + GOLDEN + (state[1] << 6) + (state[1] >>> 2));
  state[1] = mix32(state[1] + Math.imul(word ^ 0x5bd1e995, 0x27d4eb2f) + state[0]);
}

function absorbKey(state: [number, number], key: RngKey): void {
  if (typeof key === "number") {
    if (!Number.isSafeInteger(key)) throw new ArgumentError("rng key", "must be a safe integer or a string", key);
    const neg = key < 0;
    const mag = Math.abs(key);
    absorb(state, neg ? 1 : 0);
    absorb(state, mag >>> 0);
    absorb(state, Math.floor(mag / 4294967296) >>> 0);
  } else {
    // FNV-1a over UTF-16 code units, tagged so that "1" and 1 differ.
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    absorb(state, 2);
    absorb(state, h >>> 0);
    absorb(state, key.length);
  }
}

class CounterRng implements Rng {
  readonly #a: number;
  readonly #b: number;
  #counter = 0;
  #spare: number | undefined;

  constructor(a: number, b: number) {
    this.#a = a;
    this.#b = b;
  }

  nextUint32(): number {
    const n = this.#counter++;
    return mix32(this.#a ^ mix32(this.#b + Math.imul(n, GOLDEN) + n));
  }

  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  int(n: number): number {
    if (!(Number.isSafeInteger(n) && n > 0)) throw new ArgumentError("n", "must be a positive integer", n);
    return Math.floor(this.next() * n);
  }

  normal(): number {
    if (this.#spare !== undefined) {
      const s = this.#spare;
      this.#spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  split(...keys: RngKey[]): Rng {
    const state: [number, number] = [this.#a, this.#b];
    absorb(state, 0xa5a5a5a5);
    for (const k of keys) absorbKey(state, k);
    return new CounterRng(state[0], state[1]);
  }
}

/**
 * The generator for a key: `rngFor(seed, ...keys)` always gives the same stream for the same
 * arguments, and unrelated streams for different ones.
 *
 * @param seed Any safe integer (or string).
 * @param keys More key parts, e.g. epoch and sample index.
 * @returns A fresh generator at the start of its stream.
 * @example
 * ```ts
 * rngFor(1, 0, 5).next() === rngFor(1, 0, 5).next(); // true
 * ```
 */
export function rngFor(seed: RngKey, ...keys: RngKey[]): Rng {
  const state: [number, number] = [0x243f6a88, 0x85a308d3];
  absorbKey(state, seed);
  for (const k of keys) absorbKey(state, k);
  return new CounterRng(state[0], state[1]);
}

/**
 * A 32-bit hash of a key, for seeding things that take one integer (e.g. a GPU noise seed).
 *
 * @example
 * ```ts
 * const gpuSeed = hashKey(seed, epoch, batch, "raw");
 * ```
 */
export function hashKey(seed: RngKey, ...keys: RngKey[]): number {
  return rngFor(seed, ...keys).nextUint32();
}
