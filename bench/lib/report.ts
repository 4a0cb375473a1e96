/**
 * Building rows (ratios oriented so above 1 is better) and printing the table.
 * @module
 */
import type { BenchResult, Figure, Ratio, Row } from "../schema.ts";
import type { Stat } from "./stats.ts";

/** `a` compared with `b`: above 1 when `a` is better. */
export function ratioOf(a: Stat, b: Stat, better: "higher" | "lower"): number {
  return better === "higher" ? a.median / b.median : b.median / a.median;
}

/** A row, with ratios against the given rows (measured in the same run). */
export function row(
  c: string,
  path: string,
  unit: string,
  better: "higher" | "lower",
  value: Stat,
  against: ReadonlyArray<Pick<Row, "path" | "value">> = [],
  more: { limit?: Row["limit"] | undefined; extra?: Row["extra"] | undefined } = {},
): Row {
  const ratios: Ratio[] = against.map((b) => ({ vs: b.path, ratio: ratioOf(value, b.value, better) }));
  const r: Row = { case: c, path, unit, better, value, ratios };
  if (more.limit) r.limit = more.limit;
  if (more.extra) r.extra = more.extra;
  return r;
}

/** A number with about 3 significant digits. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a === 0) return "0";
  if (a >= 1e6 || a < 1e-3) return x.toExponential(2);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

/** A ratio like "12.3x". */
export function fmtRatio(x: number): string {
  return `${fmt(x)}x`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

/** One figure as a plain-text table. */
export function figureTable(f: Figure): string {
  const head = ["case", "path", "unit", "median", "[q1 - q3]", "n", "vs baseline", "of limit"];
  const lines = f.rows.map((r) => [
    r.case,
    r.path,
    r.unit,
    fmt(r.value.median),
    `[${fmt(r.value.q1)} - ${fmt(r.value.q3)}]`,
    String(r.value.n),
    r.ratios.map((x) => `${fmtRatio(x.ratio)} vs ${x.vs}`).join("; "),
    r.limit ? `${(100 * r.limit.fraction).toPrecision(2)}% of ${r.limit.name}` : "",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const out = [`Figure ${f.id}: ${f.title}`, `  workload: ${f.workload}`];
  out.push("  " + head.map((h, i) => pad(h, widths[i]!)).join("  ").trimEnd());
  for (const l of lines) out.push("  " + l.map((c, i) => pad(c, widths[i]!)).join("  ").trimEnd());
  for (const t of f.targets) out.push(`  target: ${t.name}: ${t.goal}; measured ${t.measured} -> ${t.met === null ? "not decided here" : t.met ? "met" : "MISSED"}`);
  for (const n of f.notes) out.push(`  note: ${n}`);
  out.push(`  (${f.seconds.toFixed(1)} s)`);
  return out.join("\n");
}

/** The whole run as text: environment, then every figure. */
export function resultTable(r: BenchResult): string {
  const e = r.env;
  const a = r.adapter;
  const head = [
    `cellmap-data bench (${r.mode}): ${r.command}`,
    `  ${e.runtime} ${e.version} on ${e.platform}, ${e.cpus} x ${e.cpuModel}, ${(e.memoryBytes / 2 ** 30).toFixed(0)} GiB; load average ${e.loadAverage.start.map((x) => x.toFixed(1)).join(" ")} at start, ${e.loadAverage.end.map((x) => x.toFixed(1)).join(" ")} at end`,
    a ? `  adapter: ${[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(" / ")}${a.isSoftware ? " (software)" : ""}` : "  adapter: none (WGSL rows skipped)",
    `  dataset: ${r.dataset.source}`,
  ];
  return [...head, "", ...r.figures.map(figureTable).flatMap((t) => [t, ""]), `total ${r.seconds.toFixed(0)} s`].join("\n");
}
