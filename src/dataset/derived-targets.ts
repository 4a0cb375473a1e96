/**
 * Derived targets: target arrays computed from a class's labels instead of holding the classes.
 * The one kind is cellpose flows, `targetArrays: { flows: { shape, scale, cellpose: { class } } }`
 * (Python's `CellposeFlow` target transform): `[3, z, y, x]` per sample, the unit vectors towards
 * each object's center (`src/kernels/cellpose/gpu.ts`, CPU twin `twin.ts` beside it). On a 2D
 * slice dataset (`slicingAxis`), cellpose's 2D flows (Python's `CellposeFlow(ndim=2)`): `[2, h, w]`
 * per sample, the components along the slice's rows and columns.
 *
 * The labels are read for the flow array like any target (nearest voxel, `emptyValue` where
 * unknown), then the class-relationship pass makes true negatives, then the flows are computed;
 * target value transforms do not apply. Only the flow class and the classes exclusive with it are
 * read: a flow array costs one resample call per such class per batch, plus the flow passes, all
 * in the batch's one command buffer on the GPU. This file parses the option and picks the labels
 * (planning); the batch's executors compute the flows (`src/batch/flows.ts`).
 * @module
 */

import { ArgumentError, isCellMapError } from "../errors.ts";
import { type CellposeMode, planCellpose } from "../kernels/cellpose/contract.ts";
import type { Axis } from "../augment/spatial.ts";
import type { CellMapDataset } from "./dataset.ts";
import { outputShape } from "./slicing.ts";
import type { ArraySpec } from "./types.ts";
import type { CellposeLabels, CellposeTargetSpec } from "../batch/types.ts";

export type { CellposeLabels, CellposeTargetSpec } from "../batch/types.ts";


const KEYS = new Set(["class", "mode", "iterations"]);

/**
 * Check `targetArrays.<name>.cellpose` against the dataset's classes.
 *
 * @param field the option's path, e.g. `"targetArrays.flows.cellpose"`
 * @param value the `cellpose` entry as given
 * @param spec the array's checked output grid
 * @param classes the dataset's classes
 * @param slicingAxis the axis a 2D slice dataset slices along (2D flows), or undefined (3D flows)
 * @throws {ArgumentError} naming the bad field
 * @example
 * ```ts
 * parseCellposeTarget("targetArrays.flows.cellpose", { class: "mito" }, { shape: [32, 32, 32], scale: [8, 8, 8] }, ["mito"], false);
 * // { shape: [32, 32, 32], scale: [8, 8, 8], class: "mito", mode: "binary", flowShape: [32, 32, 32] }
 * parseCellposeTarget("targetArrays.flows.cellpose", { class: "mito" }, { shape: [1, 64, 64], scale: [8, 8, 8] }, ["mito"], "z");
 * // flowShape: [64, 64], flows [2, 64, 64]
 * ```
 */
export function parseCellposeTarget(field: string, value: unknown, spec: ArraySpec, classes: readonly string[], slicingAxis: Axis | undefined): CellposeTargetSpec {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ArgumentError(field, 'must be an object { class, mode?, iterations? }, e.g. { class: "mito" }', value);
  }
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!KEYS.has(k)) throw new ArgumentError(`${field}.${k}`, "is not an option of cellpose targets (class, mode, iterations)", o[k]);
  }
  const cls = o["class"];
  if (typeof cls !== "string" || !classes.includes(cls)) {
    throw new ArgumentError(`${field}.class`, `must name one of the classes (${classes.join(", ")})`, cls);
  }
  const mode = o["mode"] ?? "binary";
  const iterations = o["iterations"];
  const flowShape = slicingAxis === undefined ? spec.shape : (outputShape(spec, slicingAxis) as unknown as readonly [number, number]);
  try {
    planCellpose({ batch: 1, shape: flowShape }, { mode: mode as CellposeMode, ...(iterations === undefined ? {} : { iterations: iterations as number }) });
  } catch (e) {
    if (!isCellMapError(e, "argument")) throw e;
    const f = (e as ArgumentError).field;
    const at = f === "shape" ? field.replace(/\.cellpose$/, ".shape") : `${field}.${f}`;
    throw new ArgumentError(at, e.message.slice(f.length + 1), (e as ArgumentError).value);
  }
  const it = iterations === undefined ? {} : { iterations: iterations as number };
  return { shape: spec.shape, scale: spec.scale, class: cls, mode: mode as CellposeMode, ...it, flowShape };
}


/**
 * The classes a flow target of class `cls` reads, for the datasets of one batch.
 *
 * @throws {ArgumentError} when the datasets' class relationships differ
 */
// deno-lint-ignore no-explicit-any
export function cellposeLabels(datasets: readonly CellMapDataset<any>[], cls: string): CellposeLabels {
  const first = datasets[0]!;
  const ref = JSON.stringify(first.exclusive);
  if (datasets.some((d) => JSON.stringify(d.exclusive) !== ref)) {
    throw new ArgumentError("classRelationships", "must be the same for every dataset of a batch");
  }
  const c = first.classes.indexOf(cls);
  const picked = [c, ...first.classes.map((_, d) => d).filter((d) => d !== c && first.exclusive[c]![d])];
  return {
    classes: picked.map((i) => first.classes[i]!),
    exclusive: picked.map((i) => picked.map((j) => first.exclusive[i]![j]!)),
  };
}



