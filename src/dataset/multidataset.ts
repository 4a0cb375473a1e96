/**
 * {@link CellMapMultiDataset}: several datasets (crops) read as one, by concatenation, with
 * aggregated class counts and weights, as the Python library's `CellMapMultiDataset`.
 * @module
 */

import { ArgumentError } from "../errors.ts";
import { addCounts, classWeightsFrom, type ClassCounts } from "./class-counts.ts";
import type { CellMapDataset } from "./dataset.ts";
import type { IndexList } from "./sampling-geometry.ts";
import type { DatasetItem, GetOptions, SampleGroup, SampleSource } from "./types.ts";

/**
 * Datasets concatenated: index `i` belongs to the first dataset whose cumulative length exceeds
 * it. All datasets must output the same classes and arrays.
 *
 * @example
 * ```ts
 * const multi = new CellMapMultiDataset([crop1, crop2]);
 * multi.length === crop1.length + crop2.length;
 * const weights = await multi.classWeights;
 * ```
 */
export class CellMapMultiDataset<N extends string = string> implements SampleSource<N> {
  readonly datasets: readonly CellMapDataset<N>[];
  readonly classes: readonly string[];
  readonly #ends: number[];
  readonly #onDestroy: (() => void)[];
  #counts: Promise<ClassCounts> | undefined;

  /**
   * @param datasets The datasets, in order (multi-datasets are flattened, and keep their
   *   `onDestroy`).
   * @param options `classes` for an empty multi-dataset; `onDestroy`, run once by `destroy()`
   *   after the datasets (e.g. to terminate a worker pool they share).
   * @throws {ArgumentError} when the datasets' classes or array names differ.
   */
  constructor(datasets: readonly (CellMapDataset<N> | CellMapMultiDataset<N>)[], options: { classes?: readonly string[]; onDestroy?: () => void } = {}) {
    const flat = datasets.flatMap((d) => (d instanceof CellMapMultiDataset ? d.datasets : [d]));
    this.#onDestroy = datasets.flatMap((d) => (d instanceof CellMapMultiDataset ? d.#onDestroy : []));
    const hook = options.onDestroy;
    let done = false;
    if (hook) this.#onDestroy.push(() => void (done || ((done = true), hook())));
    this.datasets = Object.freeze([...flat]);
    const first = flat[0];
    this.classes = Object.freeze([...(first?.classes ?? options.classes ?? [])]);
    const key = (d: CellMapDataset<N>) =>
      JSON.stringify([d.classes, Object.keys(d.inputArrays).sort(), Object.keys(d.targetArrays).sort()]);
    for (const d of flat) {
      if (key(d) !== key(first!)) {
        throw new ArgumentError("datasets", `must all have the same classes and array names (${d.inputPath} differs from ${first!.inputPath})`);
      }
    }
    let s = 0;
    this.#ends = flat.map((d) => (s += d.length));
  }

  /** Total number of samples. */
  get length(): number {
    return this.#ends[this.#ends.length - 1] ?? 0;
  }

  /** Index of the first sample of each dataset. */
  get offsets(): number[] {
    return this.datasets.map((_, i) => (i === 0 ? 0 : this.#ends[i - 1]!));
  }

  locate(i: number): { dataset: CellMapDataset<N>; index: number } {
    if (!(Number.isInteger(i) && i >= 0 && i < this.length)) throw new ArgumentError("index", `must be an integer in [0, ${this.length})`, i);
    let lo = 0;
    let hi = this.#ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#ends[mid]! > i) hi = mid;
      else lo = mid + 1;
    }
    return { dataset: this.datasets[lo]!, index: i - (lo === 0 ? 0 : this.#ends[lo - 1]!) };
  }

  groups(): readonly SampleGroup[] {
    const offsets = this.offsets;
    return this.datasets.flatMap((d, i) => (d.length > 0 ? [{ start: offsets[i]!, length: d.length, dataset: d }] : []));
  }

  /** Sample `i` of the concatenation (its `idx` is `i`). */
  async get(i: number, options: GetOptions = {}): Promise<DatasetItem<N>> {
    const { dataset, index } = this.locate(i);
    const item = await dataset.get(index, options);
    item.idx = i;
    return item;
  }

  /** Class counts summed over the datasets. */
  get classCounts(): Promise<ClassCounts> {
    this.#counts ??= Promise.all(this.datasets.map((d) => d.classCounts)).then((all) => {
      const out: ClassCounts = Object.fromEntries(this.classes.map((c) => [c, { foreground: 0, background: 0 }]));
      for (const c of all) addCounts(out, c);
      return out;
    });
    const counts = this.#counts;
    counts.catch(() => {
      if (this.#counts === counts) this.#counts = undefined;
    });
    return counts;
  }

  /** `background / foreground` per class over all datasets. */
  get classWeights(): Promise<Record<string, number>> {
    return this.classCounts.then((c) => classWeightsFrom(c, this.classes));
  }

  /**
   * Per dataset, `sum_c foreground_c * weight_c / length` (the Python library's
   * `dataset_weights`: a per-sample weight).
   */
  get datasetWeights(): Promise<number[]> {
    return Promise.all([this.classWeights, ...this.datasets.map((d) => d.classCounts)]).then(([w, ...counts]) =>
      this.datasets.map((d, i) => {
        if (d.length === 0) return 0;
        if (this.classes.length === 0) return 1;
        const c = counts[i] as ClassCounts;
        return this.classes.reduce((a, cls) => a + (c[cls]?.foreground ?? 0) * ((w as Record<string, number>)[cls] ?? 1), 0) / d.length;
      })
    );
  }

  /** Indices tiling every dataset without overlap (lazy). */
  get validationIndices(): IndexList {
    const lists = this.datasets.map((d) => d.validationIndices);
    const offsets = this.offsets;
    const ends: number[] = [];
    let s = 0;
    for (const l of lists) ends.push((s += l.length));
    return {
      length: s,
      at: (j) => {
        if (!(Number.isInteger(j) && j >= 0 && j < s)) throw new ArgumentError("tile", `must be an integer in [0, ${s})`, j);
        let k = 0;
        while (ends[k]! <= j) k++;
        return offsets[k]! + lists[k]!.at(j - (k === 0 ? 0 : ends[k - 1]!));
      },
    };
  }

  /** Destroy every dataset (then run the `onDestroy` hooks, once). */
  destroy(): void {
    for (const d of this.datasets) d.destroy();
    for (const f of this.#onDestroy.splice(0)) f();
  }
}
