/**
 * The JSON a benchmark run writes to bench/results/, and a checker for it (used by
 * test/bench.test.ts). Every measured row carries its median and spread; rows compared with a
 * baseline carry the ratio, oriented so that above 1 means better than the baseline.
 * @module
 */
import type { AdapterInfo, EnvInfo } from "./lib/env.ts";
import type { Stat } from "./lib/stats.ts";

export const SCHEMA = "cellmap-data-bench/1";

/** One ratio against a path measured in the same run. */
export interface Ratio {
  /** The `path` of the row compared with. */
  vs: string;
  /** Above 1: this row is better (faster, or smaller for memory/time units) by that factor. */
  ratio: number;
}

/** A measured row of a figure. */
export interface Row {
  /** The case, e.g. "linear 64³ x8". */
  case: string;
  /** What was measured, e.g. "wgsl sample()", "zarrita baseline". */
  path: string;
  unit: string;
  /** Whether a higher value is better (throughput) or a lower one (time, bytes). */
  better: "higher" | "lower";
  value: Stat;
  ratios: Ratio[];
  /** The physical limit that binds this path (figure 6), and the fraction of it reached. */
  limit?: { name: string; value: number; unit: string; fraction: number };
  /** Anything else worth keeping (bytes moved, hit rates, max difference from the baseline). */
  extra?: Record<string, number | string | boolean>;
}

/** A goal of the issue, checked against this run. */
export interface Target {
  name: string;
  goal: string;
  measured: string;
  /** null when this run cannot decide it (e.g. the H100 target without a GPU). */
  met: boolean | null;
}

/** One figure of the suite. */
export interface Figure {
  id: number;
  key: string;
  title: string;
  /** The workload in one line. */
  workload: string;
  rows: Row[];
  targets: Target[];
  notes: string[];
  seconds: number;
}

/** A whole run. */
export interface BenchResult {
  schema: typeof SCHEMA;
  startedAt: string;
  command: string;
  quick: boolean;
  mode: "tiny" | "quick" | "full";
  env: EnvInfo & { loadAverage: { start: number[]; end: number[] } };
  adapter: AdapterInfo | null;
  dataset: { source: string; generated: boolean; details: Record<string, number | string> };
  figures: Figure[];
  seconds: number;
}

function fail(path: string, what: string): never {
  throw new Error(`bench result ${path}: ${what}`);
}

function checkStat(path: string, s: unknown): void {
  if (typeof s !== "object" || s === null) fail(path, "is not a stat object");
  const o = s as Record<string, unknown>;
  for (const k of ["median", "q1", "q3", "min", "max", "n"]) {
    if (typeof o[k] !== "number" || !Number.isFinite(o[k])) fail(`${path}.${k}`, `must be a finite number, got ${String(o[k])}`);
  }
  const st = o as unknown as Stat;
  if (!(st.min <= st.q1 && st.q1 <= st.median && st.median <= st.q3 && st.q3 <= st.max)) fail(path, "quantiles are out of order");
  if (!(st.n >= 1)) fail(`${path}.n`, "must be at least 1");
}

/**
 * Check a parsed result file: the schema tag, every figure's rows (finite stats in order,
 * finite positive ratios, limit fractions finite and positive) and targets.
 *
 * @throws Error naming the first field that is wrong
 */
export function checkResult(doc: unknown): BenchResult {
  if (typeof doc !== "object" || doc === null) fail("", "is not an object");
  const r = doc as BenchResult;
  if (r.schema !== SCHEMA) fail("schema", `must be ${SCHEMA}, got ${String(r.schema)}`);
  if (!Array.isArray(r.figures) || r.figures.length === 0) fail("figures", "must be a non-empty array");
  if (typeof r.env?.runtime !== "string") fail("env.runtime", "is missing");
  r.figures.forEach((f, i) => {
    const p = `figures[${i}]`;
    if (!Number.isInteger(f.id)) fail(`${p}.id`, "must be an integer");
    if (typeof f.title !== "string" || typeof f.workload !== "string") fail(p, "needs title and workload");
    if (!Array.isArray(f.rows) || f.rows.length === 0) fail(`${p}.rows`, "must be a non-empty array");
    f.rows.forEach((row, j) => {
      const q = `${p}.rows[${j}]`;
      if (typeof row.case !== "string" || typeof row.path !== "string" || typeof row.unit !== "string") fail(q, "needs case, path and unit");
      if (row.better !== "higher" && row.better !== "lower") fail(`${q}.better`, "must be higher or lower");
      checkStat(`${q}.value`, row.value);
      if (!Array.isArray(row.ratios)) fail(`${q}.ratios`, "must be an array");
      for (const [k, ratio] of row.ratios.entries()) {
        if (typeof ratio.vs !== "string") fail(`${q}.ratios[${k}].vs`, "must be a string");
        if (!(Number.isFinite(ratio.ratio) && ratio.ratio > 0)) fail(`${q}.ratios[${k}].ratio`, `must be finite and positive, got ${ratio.ratio}`);
      }
      if (row.limit !== undefined && !(Number.isFinite(row.limit.fraction) && row.limit.fraction > 0)) {
        fail(`${q}.limit.fraction`, `must be finite and positive, got ${row.limit.fraction}`);
      }
    });
    for (const [k, t] of (f.targets ?? []).entries()) {
      if (typeof t.name !== "string" || !(t.met === null || typeof t.met === "boolean")) fail(`${p}.targets[${k}]`, "needs name and met (boolean or null)");
    }
  });
  return r;
}
