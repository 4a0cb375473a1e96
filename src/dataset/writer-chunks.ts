/**
 * How a {@link CellMapDatasetWriter} stores one tile: for every target array and class, the
 * chunks the tile's output voxels touch. A chunk the tile covers whole is written as is; one it
 * covers in part is read back and laid over (read-modify-write), under a per-chunk lock so that
 * two tiles sharing a chunk never lose each other's voxels. Values are converted to the output's
 * type on the way ({@link toStored}).
 *
 * @example
 * ```ts
 * const chunks = new TileChunkWriter(target, "float32", arrays); // arrays: "<class>/<target array>" -> ZarrArray
 * await chunks.writeTile(geometry.plans, ["mito"], [0, 1, 0], { pred }); // pred: Float32Array [1, z, y, x]
 * ```
 * @module
 */

import * as zarr from "zarrita";
import { throwIfAborted } from "../errors.ts";
import { allocate, type DataType, type NumericArray, validShapeOf, writeChunk, type ZarrArray } from "../zarr-write/index.ts";
import type { ArrayPlan } from "./writer-geometry.ts";
import type { ReadWriteTarget } from "./writer-options.ts";
import { toStored } from "./writer-store.ts";

/** Writes tiles into the chunks of an output's arrays; owns the chunk locks and array readers. */
export class TileChunkWriter {
  readonly #target: ReadWriteTarget;
  readonly #dtype: DataType;
  readonly #arrays: ReadonlyMap<string, ZarrArray>;
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #readers = new Map<string, Promise<zarr.Array<zarr.DataType, zarr.Readable>>>();

  /**
   * @param target where the arrays are
   * @param dtype the arrays' stored type
   * @param arrays the output arrays by `"<class>/<target array>"`
   */
  constructor(target: ReadWriteTarget, dtype: DataType, arrays: ReadonlyMap<string, ZarrArray>) {
    this.#target = target;
    this.#dtype = dtype;
    this.#arrays = arrays;
  }

  /**
   * Store the tile at grid position `k` (z, y, x): of each plan's prediction (f32 `[C, z, y, x]`,
   * channel `c` for `classes[c]`), the voxels inside the tile's box, clipped to the array. Every
   * chunk write is started at once; this settles when all have, rejecting with the first failure.
   *
   * @param signal stops between chunks
   */
  async writeTile(
    plans: readonly ArrayPlan[],
    classes: readonly string[],
    k: readonly number[],
    predictions: Readonly<Record<string, Float32Array>>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const work: Promise<void>[] = [];
    for (const p of plans) {
      const lo = [0, 1, 2].map((a) => Math.max(0, k[a]! * p.q[a]! + p.base[a]!));
      const hi = [0, 1, 2].map((a) => Math.min(p.outShape[a]!, (k[a]! + 1) * p.q[a]! + p.base[a]!));
      if (lo.some((v, a) => v >= hi[a]!)) continue;
      const off = [0, 1, 2].map((a) => k[a]! * p.q[a]! + p.off0[a]!);
      classes.forEach((cls, c) => {
        const array = this.#arrays.get(`${cls}/${p.name}`)!;
        const first = [0, 1, 2].map((a) => Math.floor(lo[a]! / p.chunks[a]!));
        const last = [0, 1, 2].map((a) => Math.floor((hi[a]! - 1) / p.chunks[a]!));
        for (let cz = first[0]!; cz <= last[0]!; cz++) {
          for (let cy = first[1]!; cy <= last[1]!; cy++) {
            for (let cx = first[2]!; cx <= last[2]!; cx++) {
              const coords = [cz, cy, cx];
              work.push(this.#lock(`${array.path}/${coords.join(".")}`, () =>
                this.#writeChunk(array, p, coords, lo, hi, off, predictions[p.name]!, c, signal)));
            }
          }
        }
      });
    }
    const results = await Promise.allSettled(work);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  }

  /**
   * Store one chunk: the prediction's voxels inside [lo, hi) (output voxels), laid over the stored
   * values when the tile covers only part of the chunk (the caller holds the chunk's lock).
   */
  async #writeChunk(
    array: ZarrArray,
    p: ArrayPlan,
    coords: number[],
    lo: number[],
    hi: number[],
    off: number[],
    data: Float32Array,
    c: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    throwIfAborted(signal, `writing ${array.path}`);
    const valid = validShapeOf(array, coords);
    const start = coords.map((v, a) => v * p.chunks[a]!);
    const from = start.map((s, a) => Math.max(s, lo[a]!));
    const to = start.map((s, a) => Math.min(s + valid[a]!, hi[a]!));
    const whole = from.every((v, a) => v === start[a]) && to.every((v, a) => v === start[a]! + valid[a]!);
    const n = valid[0]! * valid[1]! * valid[2]!;
    // The prediction's rows inside the box, converted to the stored type.
    const patch = new Float32Array(n);
    const [, py, px] = p.shape;
    const channel = c * p.shape[0] * py * px;
    const row = (z: number, y: number) => ((z - start[0]!) * valid[1]! + (y - start[1]!)) * valid[2]! - start[2]!;
    for (let z = from[0]!; z < to[0]!; z++) {
      for (let y = from[1]!; y < to[1]!; y++) {
        const src = channel + ((z - off[0]!) * py + (y - off[1]!)) * px - off[2]!;
        patch.set(data.subarray(src + from[2]!, src + to[2]!), row(z, y) + from[2]!);
      }
    }
    const fresh = toStored(this.#dtype, patch);
    let stored = fresh;
    if (!whole) {
      stored = await this.#readValid(array, coords, valid);
      for (let z = from[0]!; z < to[0]!; z++) {
        for (let y = from[1]!; y < to[1]!; y++) {
          const r = row(z, y);
          (stored as Float32Array).set((fresh as Float32Array).subarray(r + from[2]!, r + to[2]!), r + from[2]!);
        }
      }
    }
    await writeChunk(this.#target, array, coords, stored, signal === undefined ? {} : { signal });
  }

  /** The stored values of a chunk's part inside the array (fill where it was never written). */
  async #readValid(array: ZarrArray, coords: number[], valid: number[]): Promise<NumericArray> {
    let reader = this.#readers.get(array.path);
    if (reader === undefined) {
      const location = zarr.root(this.#target as unknown as zarr.Readable).resolve(array.path);
      reader = (array.spec.zarrFormat === 3 ? zarr.open.v3(location, { kind: "array" }) : zarr.open.v2(location, { kind: "array" })) as Promise<
        zarr.Array<zarr.DataType, zarr.Readable>
      >;
      this.#readers.set(array.path, reader);
    }
    const chunk = await (await reader).getChunk(coords);
    const full = array.unitShape;
    const out = allocate(this.#dtype, valid[0]! * valid[1]! * valid[2]!);
    const src = chunk.data as unknown as ArrayLike<number>;
    for (let z = 0; z < valid[0]!; z++) {
      for (let y = 0; y < valid[1]!; y++) {
        for (let x = 0; x < valid[2]!; x++) {
          (out as Float32Array)[(z * valid[1]! + y) * valid[2]! + x] = src[(z * full[1]! + y) * full[2]! + x] as number;
        }
      }
    }
    return out;
  }

  /** Run `work` after every earlier holder of `key` (read-modify-write of a shared chunk). */
  #lock(key: string, work: () => Promise<void>): Promise<void> {
    const prev = this.#locks.get(key) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(work);
    this.#locks.set(key, next);
    const cleanup = () => {
      if (this.#locks.get(key) === next) this.#locks.delete(key);
    };
    next.then(cleanup, cleanup);
    return next;
  }
}
