/**
 * Samplers: which source index sits at each position of an epoch's sample stream. A stream is a
 * pure function of (seed, epoch, position), so the loader can shard it across ranks (rank r
 * takes positions r, r + worldSize, ...) and prefetch it in any order, and nothing is ever
 * materialised per index (DESIGN section 6).
 *
 * - `"random"`: a keyed permutation of `[0, length)` (a Feistel network with cycle walking),
 *   a fresh one for each pass over the data; positions past `length` start the next pass. No
 *   index repeats within a pass.
 * - `"weighted"`: with replacement; a leaf-dataset run is drawn with probability proportional to
 *   its class-weighted foreground volume `sum_c fg_c * w_c` (as the Python library's dataset
 *   weights), then an index uniformly inside it.
 * - `"classBalanced"`: with replacement; each position takes the class seen least so far (ties
 *   drawn at random), a run whose dataset has that class's foreground (drawn by length), and an
 *   index inside it; every class the chosen dataset holds then counts as seen once. Sequential by
 *   nature: positions must be asked for in increasing order (asking for an earlier one replays
 *   the epoch from its start).
 * @module
 */

import { mix32, rngFor, type Rng } from "../augment/rng.ts";
import { ArgumentError } from "../errors.ts";
import type { ClassCounts } from "./class-counts.ts";
import type { SampleGroup, SampleSource } from "./types.ts";

/** The sampler kinds. */
export type SamplerKind = "random" | "sequential" | "weighted" | "classBalanced";

/**
 * A keyed pseudo-random permutation of `[0, n)` computed one element at a time.
 *
 * @example
 * ```ts
 * const p = new Permutation(10, rngFor(1, 0));
 * p.at(0); // some index in [0, 10); all of p.at(0..9) are distinct
 * ```
 */
export class Permutation {
  readonly n: number;
  readonly #half: number;
  readonly #keys: number[];

  constructor(n: number, rng: Rng) {
    if (!(Number.isSafeInteger(n) && n > 0)) throw new ArgumentError("n", "must be a positive integer", n);
    this.n = n;
    let bits = Math.max(2, Math.ceil(Math.log2(n)));
    if (bits % 2) bits++;
    this.#half = 2 ** (bits / 2);
    this.#keys = [0, 1, 2, 3].map(() => rng.nextUint32());
  }

  #encrypt(x: number): number {
    const h = this.#half;
    let left = Math.floor(x / h);
    let right = x % h;
    for (const k of this.#keys) {
      const f = mix32((right ^ k) >>> 0) % h;
      const next = (left ^ f) >>> 0;
      left = right;
      right = next % h;
    }
    return left * h + right;
  }

  /** The element at position `i` (`0 <= i < n`). */
  at(i: number): number {
    if (!(Number.isInteger(i) && i >= 0 && i < this.n)) throw new ArgumentError("position", `must be an integer in [0, ${this.n})`, i);
    if (this.n === 1) return 0;
    let x = this.#encrypt(i);
    // Cycle walking: the domain is < 4n, so few steps are needed on average.
    while (x >= this.n) x = this.#encrypt(x);
    return x;
  }
}

/** Position -> source index for one epoch. */
export type IndexStream = (position: number) => number;

/** What a stream needs besides the source. */
export interface StreamOptions {
  seed: number;
  epoch: number;
}

function pickByWeight(weights: readonly number[], cumulative: readonly number[], u: number): number {
  const total = cumulative[cumulative.length - 1]!;
  const target = u * total;
  let lo = 0;
  let hi = weights.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! > target) hi = mid;
    else lo = mid + 1;
  }
  while (weights[lo] === 0 && lo > 0) lo--;
  return lo;
}

function cumulate(weights: readonly number[]): number[] {
  let s = 0;
  return weights.map((w) => (s += w));
}

/** The class counts of every leaf dataset of the groups, fetched once. */
async function countsByDataset(groups: readonly SampleGroup[]): Promise<Map<SampleGroup["dataset"], ClassCounts>> {
  const out = new Map<SampleGroup["dataset"], ClassCounts>();
  await Promise.all([...new Set(groups.map((g) => g.dataset))].map(async (d) => out.set(d, await d.classCounts)));
  return out;
}

/**
 * Make the index stream of one epoch.
 *
 * @param source What to sample from.
 * @param kind The sampler.
 * @param options Seed and epoch.
 * @returns position -> index; for `"classBalanced"` ask positions in increasing order.
 */
export async function createIndexStream(source: SampleSource<string>, kind: SamplerKind, options: StreamOptions): Promise<IndexStream> {
  const n = source.length;
  if (n === 0) throw new ArgumentError("dataset", "has no samples");
  const { seed, epoch } = options;
  // In order, wrapping around: Python's shuffle=False, for validation and inference.
  if (kind === "sequential") return (p) => p % n;
  if (kind === "random") {
    const perms = new Map<number, Permutation>();
    return (p) => {
      const round = Math.floor(p / n);
      let perm = perms.get(round);
      if (!perm) {
        if (perms.size > 4) perms.clear();
        perm = new Permutation(n, rngFor(seed, epoch, round, "permutation"));
        perms.set(round, perm);
      }
      return perm.at(p - round * n);
    };
  }
  const groups = source.groups();
  const counts = await countsByDataset(groups);
  if (kind === "weighted") {
    const w = await source.classWeights;
    let weights = groups.map((g) => {
      const c = counts.get(g.dataset)!;
      const perDataset = source.classes.reduce((a, cls) => a + (c[cls]?.foreground ?? 0) * (w[cls] ?? 1), 0);
      return perDataset * (g.length / g.dataset.length);
    });
    if (!weights.some((x) => x > 0)) weights = groups.map((g) => g.length);
    const cumulative = cumulate(weights);
    return (p) => {
      const r = rngFor(seed, epoch, p, "weighted");
      const g = groups[pickByWeight(weights, cumulative, r.next())]!;
      return g.start + r.int(g.length);
    };
  }
  if (kind !== "classBalanced") throw new ArgumentError("sampler", 'must be "random", "sequential", "weighted" or "classBalanced"', kind);
  const classesOf = groups.map((g) => source.classes.filter((c) => (counts.get(g.dataset)![c]?.foreground ?? 0) > 0));
  const candidates = source.classes.filter((c) => classesOf.some((cs) => cs.includes(c)));
  if (candidates.length === 0) {
    // No foreground anywhere: uniform with replacement.
    return (p) => rngFor(seed, epoch, p, "balanced").int(n);
  }
  const byClass = new Map(candidates.map((c) => {
    const gs = groups.map((_, i) => i).filter((i) => classesOf[i]!.includes(c));
    const weights = gs.map((i) => groups[i]!.length);
    return [c, { gs, weights, cumulative: cumulate(weights) }] as const;
  }));
  let seen = new Map(candidates.map((c) => [c, 0]));
  let next = 0;
  let last = -1;
  const step = (p: number): number => {
    const r = rngFor(seed, epoch, p, "balanced");
    let least = Infinity;
    for (const c of candidates) least = Math.min(least, seen.get(c)!);
    const ties = candidates.filter((c) => seen.get(c) === least);
    const cls = ties[r.int(ties.length)]!;
    const { gs, weights, cumulative } = byClass.get(cls)!;
    const gi = gs[pickByWeight(weights, cumulative, r.next())]!;
    for (const c of classesOf[gi]!) seen.set(c, seen.get(c)! + 1);
    const g = groups[gi]!;
    return g.start + r.int(g.length);
  };
  return (p) => {
    if (!(Number.isInteger(p) && p >= 0)) throw new ArgumentError("position", "must be a non-negative integer", p);
    if (p < next) {
      if (p === next - 1) return last;
      seen = new Map(candidates.map((c) => [c, 0]));
      next = 0;
    }
    while (next <= p) {
      last = step(next);
      next++;
    }
    return last;
  };
}
