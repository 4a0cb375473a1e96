/**
 * Repeated timing with warm-up, and the summary every figure reports: the median of the
 * repeats with their spread (quartiles, min, max).
 * @module
 */

/** Summary of repeated measurements of one quantity. */
export interface Stat {
  /** Median of the repeats. */
  median: number;
  /** First and third quartiles (linear interpolation). */
  q1: number;
  q3: number;
  min: number;
  max: number;
  /** Number of repeats (warm-up runs excluded). */
  n: number;
}

/** Median, quartiles and range of a list of numbers (at least one). */
export function summarize(values: readonly number[]): Stat {
  if (values.length === 0) throw new RangeError("summarize() needs at least one value");
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number): number => {
    const pos = (s.length - 1) * q;
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, s.length - 1);
    return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
  };
  return { median: at(0.5), q1: at(0.25), q3: at(0.75), min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

/** A stat mapped through a monotonic function (e.g. ms per run -> items per second). */
export function mapStat(s: Stat, f: (x: number) => number): Stat {
  const a = [f(s.min), f(s.q1), f(s.median), f(s.q3), f(s.max)];
  const sorted = [...a].sort((x, y) => x - y);
  return { median: f(s.median), q1: sorted[1]!, q3: sorted[3]!, min: sorted[0]!, max: sorted[4]!, n: s.n };
}

/** Options of {@link timeRuns}. */
export interface TimeOptions {
  /** Untimed runs first (default 1). */
  warmup?: number;
  /** Timed runs (default 5). */
  repeats?: number;
  /** Called before each run, untimed (e.g. to empty a cache). */
  before?: (run: number) => void | Promise<void>;
  /** Stop repeating once the timed runs took this long in total (at least 2 timed runs). */
  budgetMs?: number;
}

/** Milliseconds per run of `fn`, after warm-up, summarised. */
export async function timeRuns(fn: (run: number) => unknown | Promise<unknown>, options: TimeOptions = {}): Promise<Stat> {
  const warmup = options.warmup ?? 1;
  const repeats = options.repeats ?? 5;
  const times: number[] = [];
  let spent = 0;
  for (let i = 0; i < warmup + repeats; i++) {
    await options.before?.(i);
    const t0 = performance.now();
    await fn(i);
    const dt = performance.now() - t0;
    if (i >= warmup) {
      times.push(dt);
      spent += dt;
      if (options.budgetMs !== undefined && times.length >= 2 && spent >= options.budgetMs) break;
    }
  }
  return summarize(times);
}

/** Items per second from ms per run. */
export function perSecond(msPerRun: Stat, itemsPerRun: number): Stat {
  return mapStat(msPerRun, (ms) => (itemsPerRun * 1000) / ms);
}
