// Writer bodies that need neither a GPU nor a file system, run in Node, Deno and Chromium from
// the case registry (test/setup/cases.ts): the tile geometry, and an integer output written to a memory target and read back by
// zarrita. Expected values are hand computations.

import * as zarr from "zarrita";
import { CellMapDatasetWriter, type DatasetWriterOptions } from "../../src/dataset/writer.ts";
import { planWriterGeometry } from "../../src/dataset/writer-geometry.ts";
import { createMemoryTarget } from "../../src/zarr-write/index.ts";
import { check, same, sameValues } from "./assert.ts";
import type { Cases } from "./cases.ts";

export const writerLogicCases = {
  /**
   * 1000 nm bounds with 64-voxel tiles of 8 nm (512 nm): 2 tiles per axis, 125 voxels whose
   * first center is half a voxel inside the bound, chunks of one tile; a tile far larger than
   * its bounds on y and x gets chunks capped at the array's size.
   */
  "planWriterGeometry: tiles of the smallest extent cover the bounds"(): void {
    const g = planWriterGeometry({ pred: { shape: [64, 64, 64], scale: [8, 8, 8] } }, { pred: { z: [0, 1000], y: [0, 1000], x: [0, 1000] } });
    same(g.extent, [512, 512, 512], "extent");
    same(g.counts, [2, 2, 2], "tile counts");
    same(g.plans[0]!.outShape, [125, 125, 125], "output shape");
    same(g.plans[0]!.translation, [4, 4, 4], "translation");
    same(g.plans[0]!.chunks, [64, 64, 64], "chunks");
    const big = planWriterGeometry({ pred: { shape: [200, 1, 300], scale: [1, 1, 1] } }, { pred: { z: [0, 10], y: [0, 1], x: [0, 1] } });
    same(big.plans[0]!.chunks, [100, 1, 100], "chunks of a wide tile");
  },

  /** dtype uint8 to a memory target: values rounded and clamped to [0, 255], NaN stored as 0. */
  async "a memory target and an integer dtype: values rounded and clamped, NaN stored as 0"(): Promise<void> {
    const target = createMemoryTarget();
    const o = {
      path: "mem.zarr",
      classes: ["a"],
      targetArrays: { p: { shape: [4, 4, 4], scale: [1, 1, 1] } },
      targetBounds: { p: { z: [0, 8], y: [0, 4], x: [0, 4] } },
      dtype: "uint8",
      target,
    } satisfies DatasetWriterOptions;
    const w = await CellMapDatasetWriter.create(o);
    check(w.length === 2, `${w.length} tiles, expected 2`);
    same(w.tile(1), { idx: 1, center: [6, 2, 2], box: { lo: [4, 0, 0], hi: [8, 4, 4] } }, "tile 1");
    const first = new Float32Array(64).fill(7);
    first.set([-5, 3.4, 3.6, 300, NaN, 254.6]);
    await w.write(0, { p: first });
    await w.write(1, { p: new Float32Array(64).fill(9) });
    await w.close();
    check(target.map.has("mem.zarr/.cellmap-progress.json"), "no progress record");
    const arr = await zarr.open.v3(zarr.root(target).resolve("mem.zarr/a/s0"), { kind: "array" });
    same(arr.dtype, "uint8", "dtype");
    const { data } = (await zarr.get(arr)) as { data: Uint8Array };
    sameValues(data.subarray(0, 7), [0, 3, 4, 255, 0, 255, 7], "rounded and clamped values");
    check(data.subarray(64).every((v) => v === 9), "tile 1 is not all 9");
  },
} satisfies Cases;
