/**
 * {@link CellMapSubset}: a view of some indices of a dataset or multi-dataset, as the Python
 * library's `CellMapSubset` (e.g. the validation tiles of a split).
 * @module
 */

import { ArgumentError } from "../errors.ts";
import type { ClassCounts } from "./class-counts.ts";
import type { CellMapDataset } from "./dataset.ts";
import type { IndexList } from "./sampling-geometry.ts";
import type { DatasetItem, GetOptions, SampleGroup, SampleSource } from "./types.ts";

/** Indices of a subset: a plain list, or a lazy `{ length, at(j) }`. */
export type SubsetIndices = readonly number[] | Uint32Array | Int32Array | Float64Array | IndexList;

function toList(indices: SubsetIndices): IndexList {
  if ("at" in indices && !ArrayBuffer.isView(indices) && !Array.isArray(indices)) return indices as IndexList;
  const arr = indices as ArrayLike<number>;
  return { length: arr.length, at: (j) => arr[j]! };
}

/**
 * Some indices of a source, in the given order. Class counts are the source's (as in Python).
 *
 * @example
 * ```ts
 * const firstHundred = new CellMapSubset(dataset, Array.from({ length: 100 }, (_, i) => i));
 * const tiles = new CellMapSubset(multi, multi.validationIndices); // lazy
 * ```
 */
export class CellMapSubset<N extends string = string> implements SampleSource<N> {
  readonly source: SampleSource<N>;
  readonly indices: IndexList;
  #groups: SampleGroup[] | undefined;

  constructor(source: SampleSource<N>, indices: SubsetIndices) {
    this.source = source;
    this.indices = toList(indices);
  }

  get length(): number {
    return this.indices.length;
  }

  get classes(): readonly string[] {
    return this.source.classes;
  }

  get datasets(): readonly CellMapDataset<N>[] {
    return this.source.datasets;
  }

  /** The source index of subset index `j`. */
  sourceIndex(j: number): number {
    if (!(Number.isInteger(j) && j >= 0 && j < this.length)) throw new ArgumentError("index", `must be an integer in [0, ${this.length})`, j);
    return this.indices.at(j);
  }

  locate(j: number): { dataset: CellMapDataset<N>; index: number } {
    return this.source.locate(this.sourceIndex(j));
  }

  /**
   * Runs of consecutive subset positions in one dataset. Built once by a pass over the indices
   * (cost proportional to the subset's length).
   */
  groups(): readonly SampleGroup[] {
    if (!this.#groups) {
      const out: SampleGroup[] = [];
      for (let j = 0; j < this.length; j++) {
        const d = this.locate(j).dataset;
        const last = out[out.length - 1];
        if (last && last.dataset === d) last.length++;
        else out.push({ start: j, length: 1, dataset: d });
      }
      this.#groups = out;
    }
    return this.#groups;
  }

  /** Sample `j` of the subset (its `idx` is `j`). */
  async get(j: number, options: GetOptions = {}): Promise<DatasetItem<N>> {
    const { dataset, index } = this.locate(j);
    const item = await dataset.get(index, options);
    item.idx = j;
    return item;
  }

  get classCounts(): Promise<ClassCounts> {
    return this.source.classCounts;
  }

  get classWeights(): Promise<Record<string, number>> {
    return this.source.classWeights;
  }
}
