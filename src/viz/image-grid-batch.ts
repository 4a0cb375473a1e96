/**
 * Which arrays of a batch {@link imageGrid} draws, and how: every array entry of the batch (or of
 * one dataset item) read as `[B, C, z, y, x]` (2D slices as `[B, C, 1, h, w]`), sorted into inputs,
 * targets and flows (from the options, else the dataset, else every array as an input), with the
 * predictions checked against their target's shape. Bad input is refused here with an
 * {@link ArgumentError} naming the field.
 *
 * @example
 * ```ts
 * const res = resolveGrid({ raw: { data: new Float32Array(2 * 16), shape: [2, 1, 1, 4, 4] } }, {});
 * res.inputs; // ["raw"]
 * res.arrays.get("raw")!.batch; // 2
 * ```
 * @module
 */

import { ArgumentError } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";
import type { GridArray, ImageGridOptions } from "./image-grid-options.ts";

/** One array of a batch, read as `[batch, channels, ...dims]`. */
export interface BatchArray {
  name: string;
  batch: number;
  channels: number;
  dims: Vec3;
  data: Float32Array;
}

function isArrayData(v: unknown): v is GridArray {
  return typeof v === "object" && v !== null && (v as GridArray).data instanceof Float32Array && Array.isArray((v as GridArray).shape);
}

/** `v` read as `[batch, channels, z, y, x]` (2D slices `planar`), its shape and length checked. */
function toBatchArray(name: string, v: unknown, field: string, planar = false): BatchArray {
  if (typeof v === "object" && v !== null && "buffer" in v && !("data" in v)) {
    throw new ArgumentError(field, "is on the GPU: read the batch with output \"cpu\"");
  }
  if (!isArrayData(v)) throw new ArgumentError(field, "must be { data: Float32Array, shape }", v);
  const s = v.shape;
  const d = planar ? 2 : 3;
  if (!(s.length === d + 1 || s.length === d + 2) || !s.every((n) => Number.isInteger(n) && n > 0)) {
    const what = planar ? "[B, C, h, w] or [C, h, w] (2D slices)" : "[B, C, z, y, x] or [C, z, y, x]";
    throw new ArgumentError(`${field}.shape`, `must be ${what} of positive integers`, s);
  }
  // A 2D slice is one plane: [.., h, w] reads as [.., 1, h, w].
  const spatial = planar ? [1, ...s.slice(-2)] : s.slice(-3);
  const full = [s.length === d + 1 ? 1 : s[0]!, s[s.length - d - 1]!, ...spatial];
  if (v.data.length !== full.reduce((a, b) => a * b, 1)) {
    throw new ArgumentError(`${field}.data`, `has ${v.data.length} values for shape [${s.join(", ")}]`);
  }
  return { name, batch: full[0]!, channels: full[1]!, dims: [full[2]!, full[3]!, full[4]!], data: v.data };
}

/** Every array entry of a batch (or a dataset item), by name; other fields (idx, center) are skipped. */
function arraysOf(batch: Readonly<Record<string, unknown>>, planar: boolean): Map<string, BatchArray> {
  if (typeof batch !== "object" || batch === null) throw new ArgumentError("batch", "must be an object of arrays", batch);
  const out = new Map<string, BatchArray>();
  for (const [name, v] of Object.entries(batch)) {
    if (isArrayData(v) || (typeof v === "object" && v !== null && "buffer" in v && "shape" in v)) out.set(name, toBatchArray(name, v, `batch.${name}`, planar));
  }
  return out;
}

/** The arrays to draw, sorted by how they are drawn. */
export interface ResolvedGrid {
  arrays: Map<string, BatchArray>;
  inputs: string[];
  targets: string[];
  flows: string[];
  predictions: Map<string, BatchArray>;
  overlayOn: string | undefined;
  /** The arrays are 2D slices (`[.., 1, h, w]` in the slice frame). */
  planar: boolean;
}

/**
 * The arrays of `batch` to draw under options `o`.
 *
 * @throws {ArgumentError} naming the bad field (GPU arrays, shapes, unknown names, predictions)
 */
export function resolveGrid(batch: Readonly<Record<string, unknown>>, o: ImageGridOptions): ResolvedGrid {
  if (o.spatialDims !== undefined && o.spatialDims !== 2 && o.spatialDims !== 3) throw new ArgumentError("spatialDims", "must be 2 or 3", o.spatialDims);
  const planar = (o.spatialDims ?? (o.dataset?.slicingAxis !== undefined ? 2 : 3)) === 2;
  const arrays = arraysOf(batch, planar);
  const names = (list: readonly string[] | undefined, field: string): string[] | undefined => {
    if (list === undefined) return undefined;
    if (!Array.isArray(list)) throw new ArgumentError(field, "must be an array of array names", list);
    for (const n of list) if (!arrays.has(n)) throw new ArgumentError(field, `names "${n}", which is not an array of the batch (${[...arrays.keys()].join(", ")})`, list);
    return [...list];
  };
  const ds = o.dataset;
  const targets = names(o.targets, "targets") ?? (ds ? Object.keys(ds.targetArrays).filter((n) => arrays.has(n)) : []);
  const flows = names(o.flows, "flows") ?? Object.keys(ds?.cellposeTargets ?? {}).filter((n) => arrays.has(n) && !targets.includes(n));
  for (const n of flows) {
    if (targets.includes(n)) throw new ArgumentError("flows", `names "${n}", which is also in targets: an array is drawn as classes or as flows`, o.flows);
    const c = arrays.get(n)!.channels;
    const want = planar ? 2 : 3;
    if (c !== want) {
      const what = planar ? "2 channels (rows, columns) on 2D slices" : "3 channels (z, y, x)";
      throw new ArgumentError(`batch.${n}.shape`, `is a flow array, which needs ${what}, not ${c}`, (batch[n] as GridArray).shape);
    }
  }
  const inputs = names(o.inputs, "inputs") ?? (ds ? Object.keys(ds.inputArrays).filter((n) => arrays.has(n)) : [...arrays.keys()].filter((n) => !targets.includes(n) && !flows.includes(n)));
  const predictions = new Map<string, BatchArray>();
  for (const [name, v] of Object.entries(o.predictions ?? {})) {
    const t = arrays.get(name);
    if (!t || !(targets.includes(name) || flows.includes(name))) throw new ArgumentError("predictions", `has "${name}", which is not a target or flow array (${[...targets, ...flows].join(", ") || "none"}); list it in targets or flows`, name);
    const p = toBatchArray(name, v, `predictions.${name}`, planar);
    if (p.batch !== t.batch || p.channels !== t.channels || p.dims.some((n, k) => n !== t.dims[k])) {
      throw new ArgumentError(`predictions.${name}.shape`, `must match the target's [${[t.batch, t.channels, ...t.dims].join(", ")}]`, v.shape);
    }
    predictions.set(name, p);
  }
  if (o.overlayOn !== undefined && !arrays.has(o.overlayOn)) throw new ArgumentError("overlayOn", "must name an array of the batch", o.overlayOn);
  return { arrays, inputs, targets, flows, predictions, overlayOn: o.overlayOn ?? inputs[0], planar };
}
