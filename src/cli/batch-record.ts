/**
 * The pieces of `batch.json`, the record `cellmap-data batch` writes: JSON-safe values, indented
 * JSON with vectors on one line, each sample's drawn plan, and per-class voxel fractions.
 * @module
 */

import type { SamplePlan } from "../dataset/dataset.ts";

/** A JSON-safe copy: NaN and infinities as strings (JSON has none), typed arrays as lists, no functions. */
export function plain(v: unknown): unknown {
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>, plain);
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x !== "function" && x !== undefined).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

/**
 * Indented JSON with lists of plain values (vectors, matrix rows) kept on one line.
 *
 * @example
 * ```ts
 * toJson({ center: [1, 2, NaN] }); // '{\n  "center": [1, 2, "NaN"]\n}'
 * ```
 */
export function toJson(value: unknown, indent = ""): string {
  const v = indent === "" ? plain(value) : value;
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x !== "object" || x === null)) return `[${v.map((x) => JSON.stringify(x)).join(", ")}]`;
    const inner = indent + "  ";
    return `[\n${v.map((x) => inner + toJson(x, inner)).join(",\n")}\n${indent}]`;
  }
  if (typeof v === "object" && v !== null) {
    const entries = Object.entries(v);
    if (entries.length === 0) return "{}";
    const inner = indent + "  ";
    return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${toJson(x, inner)}`).join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(v);
}

/** A sample's plan as `batch.json` records it; `from` says which dataset it came from. */
export function planJson(index: number, plan: SamplePlan, from: Record<string, unknown>) {
  const a = plan.augment ?? [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const d = plan.deform;
  let maxDisplacement = 0;
  if (d) for (const v of d.values) maxDisplacement = Math.max(maxDisplacement, Math.abs(v));
  return {
    index,
    dataset: from,
    center: plan.center,
    matrix: [0, 1, 2].map((r) => [a[r * 3]!, a[r * 3 + 1]!, a[r * 3 + 2]!]),
    augmented: plan.augment !== undefined,
    deformed: d !== undefined,
    ...(d ? { deform: { dims: d.dims, spacing: d.spacing, maxDisplacement } } : {}),
    inputOps: plan.inputOps,
    targetOps: plan.targetOps,
  };
}

/** Voxel fractions of one class in a batch. */
export interface ClassFractions {
  foreground: number;
  background: number;
  unknown: number;
}

/**
 * Per class, the fraction of a target batch's voxels that are foreground (`x > 0`), background
 * (`x <= 0`) and unknown (NaN, or `emptyValue` when it is a number other than 0).
 *
 * @param data A target array `[B, C, ...]`, C in the order of `classes`.
 * @example
 * ```ts
 * classFractions(new Float32Array([1, 0, NaN, 0]), [1, 1, 2, 2], ["mito"], NaN);
 * // { mito: { foreground: 0.25, background: 0.5, unknown: 0.25 } }
 * ```
 */
export function classFractions(data: Float32Array, shape: readonly number[], classes: readonly string[], emptyValue: number): Record<string, ClassFractions> {
  const B = shape[0]!;
  const C = shape[1]!;
  const n = shape.slice(2).reduce((a, b) => a * b, 1);
  const out: Record<string, ClassFractions> = {};
  const unknownValue = Number.isNaN(emptyValue) || emptyValue === 0 ? undefined : emptyValue;
  for (let c = 0; c < C; c++) {
    let fg = 0;
    let unknown = 0;
    for (let b = 0; b < B; b++) {
      const base = (b * C + c) * n;
      for (let i = 0; i < n; i++) {
        const v = data[base + i]!;
        if (Number.isNaN(v) || v === unknownValue) unknown++;
        else if (v > 0) fg++;
      }
    }
    const total = B * n;
    out[classes[c]!] = { foreground: fg / total, background: (total - fg - unknown) / total, unknown: unknown / total };
  }
  return out;
}
