/**
 * Loading the scipy-made conformance fixtures (test/fixtures/make_fixtures.py)
 * and comparing a resampled output against them. Used by
 * test/conformance.test.ts; usable by any test that produces a case's output
 * some other way (library API, GPU pipeline directly).
 *
 * Comparison rules (see test/fixtures/README.md):
 * - voxels the DESIGN rule pads (the case's `.pad.npy`) must equal the pad
 *   value exactly (NaN matches NaN);
 * - linear: over the other voxels that are not ambiguous (tie code 0), max abs
 *   error <= 1 gray level and mean abs error <= 0.05 gray level, where a gray
 *   level is 1 for uint8 and (value range / 255) otherwise;
 * - nearest: >= 99.9% of the voxels with tie code 0 or 2 identical to the
 *   reference (scipy's output for code 0, the DESIGN-rule output for code 2,
 *   the half-voxel border band where scipy pads and we read the edge voxel).
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeNpy } from "../../src/io/npy.ts";

/** One entry of cases.json. */
export interface ConformanceCase {
  name: string;
  /** Path of the multiscale group, relative to the fixture folder. */
  group: string;
  center: [number, number, number];
  shape: [number, number, number];
  scale: [number, number, number];
  /** Augmentation matrix, 9 numbers row-major (z, y, x). */
  matrix: number[];
  interp: "linear" | "nearest";
  pad: number | "NaN";
  /** The level index the level rule chooses. */
  level: number;
  expected: string;
  tie: string;
  padMask: string;
  /** Nearest only: the output under the DESIGN rule everywhere. */
  design?: string;
  tieTolerance: number;
  dtype: string;
  /** Raw volumes: max - min of the chosen level; null for labels. */
  valueRange: number | null;
  levelShape: number[];
  levelScale: number[];
  levelTranslation: number[];
  stats: { voxels: number; padded: number; ties: number; band: number };
}

/** One level of a group in manifest.json. */
export interface ManifestLevel {
  path: string;
  shape: number[];
  chunks: number[];
  dtype: string;
  zarrDtype: string;
  compressor: { id: string; [k: string]: unknown };
  scale: number[];
  translation: number[];
  fillValue: number;
  dimensionSeparator: "." | "/";
  missingChunks: string[];
  valueMin: number;
  valueMax: number;
}

/** One group in manifest.json. */
export interface ManifestGroup {
  name: string;
  path: string;
  kind: "raw" | "labels";
  zarrFormat: number;
  ngffVersion: string;
  axes: string[];
  units: string[];
  levels: ManifestLevel[];
  ids?: number[];
}

export interface Manifest {
  seed: number;
  groups: ManifestGroup[];
}

/** The thresholds of the comparison. */
export const LIMITS = { maxGray: 1, meanGray: 0.05, nearestIdentical: 0.999 } as const;

export function loadCases(dir: string): ConformanceCase[] {
  return JSON.parse(readFileSync(join(dir, "cases.json"), "utf8")) as ConformanceCase[];
}

export function loadManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
}

export function readNpy(path: string): { data: ArrayLike<number>; shape: number[]; dtype: string } {
  return decodeNpy(new Uint8Array(readFileSync(path)));
}

/** The reference arrays of a case. */
export interface CaseArrays {
  expected: Float32Array;
  tie: Uint8Array;
  pad: Uint8Array;
  design: Float32Array | undefined;
}

export function loadCaseArrays(dir: string, c: ConformanceCase): CaseArrays {
  const f32 = (name: string): Float32Array => {
    const a = readNpy(join(dir, name));
    if (!(a.data instanceof Float32Array)) throw new Error(`${name}: expected float32, got ${a.dtype}`);
    return a.data;
  };
  const u8 = (name: string): Uint8Array => {
    const a = readNpy(join(dir, name));
    if (!(a.data instanceof Uint8Array)) throw new Error(`${name}: expected uint8, got ${a.dtype}`);
    return a.data;
  };
  return {
    expected: f32(c.expected),
    tie: u8(c.tie),
    pad: u8(c.padMask),
    design: c.design !== undefined && existsSync(join(dir, c.design)) ? f32(c.design) : undefined,
  };
}

/** The size of one gray level of a case's volume, in its value units. */
export function grayLevel(c: ConformanceCase): number {
  if (c.dtype === "uint8" || c.valueRange === null) return 1;
  return Math.max(c.valueRange / 255, Number.MIN_VALUE);
}

export function padValue(c: ConformanceCase): number {
  return c.pad === "NaN" ? NaN : c.pad;
}

/** The result of comparing one output with a case's references. */
export interface CaseResult {
  name: string;
  interp: "linear" | "nearest";
  voxels: number;
  /** Voxels compared for value (not padded, not ambiguous). */
  compared: number;
  /** Linear: max / mean abs error in gray levels over the compared voxels. */
  maxErr: number;
  meanErr: number;
  /** Fraction of the compared voxels that are identical to the reference. */
  identical: number;
  /** Padded voxels (per DESIGN) whose value is not the pad value. */
  padMismatches: number;
  padded: number;
  /** Empty when the case passes. */
  failures: string[];
}

const same = (a: number, b: number): boolean => a === b || (Number.isNaN(a) && Number.isNaN(b));

/**
 * Compare `got` (the output of a case, C order) with its references.
 * `shape` and `dtype` are those of the produced array when known.
 */
export function compareCase(
  c: ConformanceCase,
  ref: CaseArrays,
  got: ArrayLike<number>,
  shape?: number[],
  dtype?: string,
): CaseResult {
  const failures: string[] = [];
  const n = c.shape[0] * c.shape[1] * c.shape[2];
  const result: CaseResult = {
    name: c.name,
    interp: c.interp,
    voxels: n,
    compared: 0,
    maxErr: 0,
    meanErr: 0,
    identical: 1,
    padMismatches: 0,
    padded: 0,
    failures,
  };
  if (shape !== undefined && shape.join(",") !== c.shape.join(",")) {
    failures.push(`shape [${shape.join(", ")}], expected [${c.shape.join(", ")}]`);
  }
  if (dtype !== undefined && dtype !== "<f4") failures.push(`dtype ${dtype}, expected <f4 (float32)`);
  if (got.length !== n) {
    failures.push(`${got.length} values, expected ${n}`);
    result.identical = 0;
    result.maxErr = Infinity;
    result.meanErr = Infinity;
    return result;
  }
  const pad = padValue(c);
  const gray = grayLevel(c);
  let sumErr = 0;
  let maxErr = 0;
  let identical = 0;
  let compared = 0;
  let firstPad = -1;
  let worst = -1;
  for (let i = 0; i < n; i++) {
    const g = got[i]!;
    if (ref.pad[i] === 1) {
      result.padded++;
      if (!same(g, pad)) {
        result.padMismatches++;
        if (firstPad < 0) firstPad = i;
      }
      continue;
    }
    const code = ref.tie[i]!;
    if (code === 1) continue;
    if (c.interp === "linear" && code !== 0) continue;
    const want = code === 2 && ref.design !== undefined ? ref.design[i]! : ref.expected[i]!;
    if (code === 2 && ref.design === undefined) continue;
    compared++;
    if (same(g, want)) identical++;
    const err = Number.isNaN(g) || Number.isNaN(want) ? (same(g, want) ? 0 : Infinity) : Math.abs(g - want) / gray;
    sumErr += err;
    if (worst < 0 || err > maxErr) {
      maxErr = Math.max(maxErr, err);
      worst = i;
    }
  }
  result.compared = compared;
  result.maxErr = maxErr;
  result.meanErr = compared > 0 ? sumErr / compared : 0;
  result.identical = compared > 0 ? identical / compared : 1;
  const at = (i: number): string => {
    const [, ny, nx] = c.shape;
    const z = Math.floor(i / (ny * nx));
    const y = Math.floor(i / nx) % ny;
    const x = i % nx;
    return `[${z}, ${y}, ${x}]`;
  };
  if (result.padMismatches > 0) {
    failures.push(
      `${result.padMismatches} of ${result.padded} padded voxels are not the pad value ${c.pad} ` +
        `(first at ${at(firstPad)}: got ${got[firstPad]})`,
    );
  }
  if (c.interp === "linear") {
    if (!(maxErr <= LIMITS.maxGray)) {
      failures.push(
        `max abs error ${fmt(maxErr)} gray levels > ${LIMITS.maxGray} ` +
          `(at ${at(worst)}: got ${got[worst]}, expected ${ref.expected[worst]})`,
      );
    }
    if (!(result.meanErr <= LIMITS.meanGray)) {
      failures.push(`mean abs error ${fmt(result.meanErr)} gray levels > ${LIMITS.meanGray}`);
    }
  } else if (!(result.identical >= LIMITS.nearestIdentical)) {
    failures.push(
      `${(100 * result.identical).toFixed(3)}% of ${compared} voxels identical < ${100 * LIMITS.nearestIdentical}%`,
    );
  }
  return result;
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return x === 0 ? "0" : x < 1e-3 ? x.toExponential(2) : x.toFixed(4);
}

/** A fixed-width table of results, one row per (case, label). */
export function formatTable(rows: Array<{ label: string; result: CaseResult | undefined; error?: string }>): string {
  const header = ["case", "interp", "voxels", "padded", "max err", "mean err", "% identical", "status"];
  const lines = rows.map(({ label, result, error }) => {
    if (result === undefined) return [label, "", "", "", "", "", "", `ERROR ${error ?? ""}`.slice(0, 120)];
    return [
      label,
      result.interp,
      String(result.voxels),
      String(result.padded),
      fmt(result.maxErr),
      fmt(result.meanErr),
      (100 * result.identical).toFixed(3),
      result.failures.length === 0 ? "ok" : "FAIL",
    ];
  });
  const widths = header.map((h, k) => Math.max(h.length, ...lines.map((l) => l[k]!.length)));
  const row = (cells: string[]) => cells.map((s, k) => (k === 0 || k === 7 ? s.padEnd(widths[k]!) : s.padStart(widths[k]!))).join("  ");
  return [row(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(row)].join("\n");
}

/** The command line of a case, without --device and --out. */
export function sampleArgs(c: ConformanceCase, fixtures: string): string[] {
  const list = (v: readonly number[]) => v.map((x) => String(x)).join(",");
  return [
    "sample",
    join(fixtures, c.group),
    `--center=${list(c.center)}`,
    `--shape=${list(c.shape)}`,
    `--scale=${list(c.scale)}`,
    `--matrix=${list(c.matrix)}`,
    `--interp=${c.interp}`,
    `--pad=${c.pad === "NaN" ? "NaN" : String(c.pad)}`,
  ];
}

// --- info --json --------------------------------------------------------------

type Json = Record<string, unknown>;

function pickField(obj: Json, names: string[]): unknown {
  for (const n of names) if (obj[n] !== undefined) return obj[n];
  return undefined;
}

const DTYPE_ALIASES: Record<string, string> = {
  "|u1": "uint8", "<u1": "uint8", "<u2": "uint16", "<f4": "float32", "<u8": "uint64",
  u1: "uint8", u2: "uint16", f4: "float32", u8: "uint64",
};

function normaliseDtype(d: unknown): unknown {
  return typeof d === "string" ? (DTYPE_ALIASES[d] ?? d) : d;
}

function closeTo(a: unknown, b: readonly number[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((x, i) => typeof x === "number" && Math.abs(x - b[i]!) <= 1e-9 * Math.max(1, Math.abs(b[i]!)));
}

/** Mismatches between `info --json` output and the manifest entry of a group. */
export function compareInfo(info: unknown, group: ManifestGroup): string[] {
  const problems: string[] = [];
  const levels = (info as Json | null)?.levels;
  if (!Array.isArray(levels)) return [`no "levels" array in the JSON (got keys ${Object.keys((info as Json) ?? {}).join(", ")})`];
  if (levels.length !== group.levels.length) problems.push(`${levels.length} levels, expected ${group.levels.length}`);
  group.levels.forEach((want, i) => {
    const got = levels[i] as Json | undefined;
    if (got === undefined) return;
    const where = `level ${i} (${want.path})`;
    const path = pickField(got, ["path", "name"]);
    if (path !== undefined && String(path).replace(/^\/+|\/+$/g, "") !== want.path) problems.push(`${where}: path ${String(path)}, expected ${want.path}`);
    const shape = pickField(got, ["shape"]);
    if (!closeTo(shape, want.shape)) problems.push(`${where}: shape ${JSON.stringify(shape)}, expected ${JSON.stringify(want.shape)}`);
    const scale = pickField(got, ["scale", "voxelSize", "voxel_size", "resolution"]);
    if (!closeTo(scale, want.scale)) problems.push(`${where}: voxel size ${JSON.stringify(scale)}, expected ${JSON.stringify(want.scale)}`);
    const translation = pickField(got, ["translation", "offset"]);
    if (!closeTo(translation, want.translation)) problems.push(`${where}: translation ${JSON.stringify(translation)}, expected ${JSON.stringify(want.translation)}`);
    const dtype = normaliseDtype(pickField(got, ["dtype", "dataType", "data_type"]));
    if (dtype !== want.dtype) problems.push(`${where}: dtype ${JSON.stringify(dtype)}, expected ${want.dtype}`);
    const chunks = pickField(got, ["chunks", "chunkShape", "chunk_shape"]);
    if (!closeTo(chunks, want.chunks)) problems.push(`${where}: chunk shape ${JSON.stringify(chunks)}, expected ${JSON.stringify(want.chunks)}`);
    const codecs = pickField(got, ["codecs", "compressor", "compressors"]);
    if (codecs === undefined) problems.push(`${where}: no codecs`);
    else if (!JSON.stringify(codecs).toLowerCase().includes(want.compressor.id.toLowerCase())) {
      problems.push(`${where}: codecs ${JSON.stringify(codecs)} do not name ${want.compressor.id}`);
    }
    const fill = pickField(got, ["fillValue", "fill_value"]);
    if (fill !== undefined && Number(fill) !== want.fillValue) problems.push(`${where}: fill value ${JSON.stringify(fill)}, expected ${want.fillValue}`);
  });
  return problems;
}
