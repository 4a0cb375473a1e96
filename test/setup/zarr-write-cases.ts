// OME-NGFF metadata written by the zarr writer and read back by zarrita: bodies run from the case
// registry (test/setup/cases.ts), in memory; Node writes the groups to a folder instead
// (test/zarr-write.test.ts). Expected values are written out by hand.

import * as zarr from "zarrita";
import { createMemoryTarget, multiscalesAttributes, pyramidLevels, type WriteTarget, writeGroup } from "../../src/zarr-write/index.ts";
import { check, same } from "./assert.ts";
import type { Cases } from "./cases.ts";

/** Where the groups are written (`target`) and read back from (`store`, rooted at the same place). */
export interface MetadataPlace {
  target: WriteTarget;
  store: zarr.Readable;
}

/** An in-memory place: zarrita reads the memory target through its `get`. */
export function memoryMetadataPlace(): MetadataPlace {
  const target = createMemoryTarget();
  return { target, store: target };
}

/** NGFF 0.4 multiscales in .zattrs of a v2 group; 0.5 under attributes.ome of a v3 group. */
export async function ngffGroups(place: MetadataPlace = memoryMetadataPlace()): Promise<void> {
  const levels = pyramidLevels(2, [8, 4, 4]);
  await writeGroup(place.target, "ngff-v2.zarr", { zarrFormat: 2, attributes: multiscalesAttributes("0.4", { name: "raw", levels }) });
  await writeGroup(place.target, "ngff-v3.zarr", { zarrFormat: 3, attributes: multiscalesAttributes("0.5", { name: "raw", levels }) });
  const g2 = await zarr.open.v2(zarr.root(place.store).resolve("ngff-v2.zarr"), { kind: "group" });
  const g3 = await zarr.open.v3(zarr.root(place.store).resolve("ngff-v3.zarr"), { kind: "group" });
  const ms2 = (g2.attrs as { multiscales: { version: string; axes: unknown[]; datasets: unknown[] }[] }).multiscales[0]!;
  same(ms2.version, "0.4", "v2 version");
  same(ms2.axes, [
    { name: "z", type: "space", unit: "nanometer" },
    { name: "y", type: "space", unit: "nanometer" },
    { name: "x", type: "space", unit: "nanometer" },
  ], "v2 axes");
  const ome = (g3.attrs as { ome: { version: string; multiscales: { datasets: unknown[] }[] } }).ome;
  check(ome !== undefined, "the v3 group has no attributes.ome");
  same(ome.version, "0.5", "v3 version");
  same(ome.multiscales[0]!.datasets[1], {
    path: "s1",
    coordinateTransformations: [{ type: "scale", scale: [16, 8, 8] }, { type: "translation", translation: [4, 2, 2] }],
  }, "v3 level s1");
  const zgroup = await place.store.get("/ngff-v2.zarr/.zgroup");
  check(zgroup !== undefined, "no .zgroup");
  check(new TextDecoder().decode(zgroup).includes('"zarr_format": 2'), ".zgroup lacks zarr_format 2");
}

export const zarrWriteCases = {
  /** Level k doubles the scale and shifts the translation by half of level k's voxel minus level 0's. */
  "computes pyramid levels with half-voxel shifted translations"(): void {
    same(pyramidLevels(3, [8, 4, 4], [100, 0, 0]), [
      { path: "s0", scale: [8, 4, 4], translation: [100, 0, 0] },
      { path: "s1", scale: [16, 8, 8], translation: [104, 2, 2] },
      { path: "s2", scale: [32, 16, 16], translation: [112, 6, 6] },
    ], "levels");
  },

  "writes 0.4 multiscales in .zattrs and 0.5 under attributes.ome": () => ngffGroups(),
} satisfies Cases;
