/**
 * The progress record of a {@link CellMapDatasetWriter}: which tiles are finished (a bitmap, one
 * bit per tile), how many, and the progress file `<path>/.cellmap-progress.json` that stores them.
 * The file is rewritten after each finished tile; concurrent rewrites coalesce into at most one
 * more write.
 *
 * @example
 * ```ts
 * const progress = new ProgressRecord(target, "out.zarr/.cellmap-progress.json", fingerprint, new Uint8Array(1), 8);
 * const report = progress.markFinished(3); // { idx: 3, finished: 1, total: 8 }
 * await progress.flush();
 * ```
 * @module
 */

import { jsonBytes, type WriteTarget } from "../zarr-write/index.ts";
import type { WriterProgress } from "./writer-options.ts";
import { toBase64 } from "./writer-store.ts";

/** The finished tiles of one output, and the file that records them. */
export class ProgressRecord {
  readonly #target: WriteTarget;
  readonly #key: string;
  readonly #fingerprint: string;
  readonly #done: Uint8Array;
  readonly #total: number;
  #finished = 0;
  #flushing: Promise<void> | undefined;
  #dirty = false;

  /**
   * @param target where the progress file is written
   * @param key the progress file's key in `target`
   * @param fingerprint the options' fingerprint, stored with the bitmap
   * @param done the finished-tile bitmap (kept, not copied), e.g. read back from an earlier run
   * @param total the number of tiles
   */
  constructor(target: WriteTarget, key: string, fingerprint: string, done: Uint8Array, total: number) {
    this.#target = target;
    this.#key = key;
    this.#fingerprint = fingerprint;
    this.#done = done;
    this.#total = total;
    for (let i = 0; i < total; i++) if (this.isFinished(i)) this.#finished++;
  }

  /** Tiles recorded as finished. */
  get finished(): number {
    return this.#finished;
  }

  /** True when tile `idx` is recorded as finished. */
  isFinished(idx: number): boolean {
    return ((this.#done[idx >> 3] ?? 0) & (1 << (idx & 7))) !== 0;
  }

  /** Record tile `idx` as finished (in memory; {@link flush} stores it). */
  markFinished(idx: number): WriterProgress {
    if (!this.isFinished(idx)) this.#finished++;
    this.#done[idx >> 3]! |= 1 << (idx & 7);
    return { idx, finished: this.#finished, total: this.#total };
  }

  /** Write the progress file; concurrent calls coalesce into at most one more write. */
  async flush(): Promise<void> {
    this.#dirty = true;
    while (this.#flushing !== undefined) await this.#flushing;
    if (!this.#dirty) return;
    this.#dirty = false;
    const doc = {
      version: 1,
      fingerprint: this.#fingerprint,
      tiles: this.#total,
      finished: this.#finished,
      done: toBase64(this.#done),
    };
    this.#flushing = this.#target.set(this.#key, jsonBytes(doc)).finally(() => {
      this.#flushing = undefined;
    });
    await this.#flushing;
  }
}
