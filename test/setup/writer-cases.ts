// CellMapDatasetWriter test bodies shared by the Node (vitest), Deno and Chromium (vitest browser
// mode) suites: plain async functions that throw on failure. Each is given a fresh temporary
// folder (Node, Deno: written through node:fs, loaded only then) or a {@link WriterPlace} such as
// {@link memoryPlace} (an in-memory target that zarrita reads back; any runtime).
//
// The "model" predicts f(class, world z, y, x) at every prediction voxel's world position
// (center + (j - (n - 1) / 2) * scale), so a read-back voxel i of a level must hold f at that
// level's translation + i * scale: any error in placement, cropping or clipping shows up.

import * as zarr from "zarrita";
import { CellMapDatasetWriter, type DatasetWriterOptions, type ReadWriteTarget } from "../../src/dataset/writer.ts";
import { createMemoryTarget, type MemoryTarget } from "../../src/zarr-write/index.ts";
import { isCellMapError } from "../../src/errors.ts";

type Vec3 = [number, number, number];

export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** The value the model predicts for class `c` at a world position. */
export const f = (c: number, z: number, y: number, x: number): number => 1000 * c + 0.5 * z + 0.25 * y + 0.125 * x;

/**
 * Two target arrays at different voxel sizes and bounds: pred4 is the finest (level s0); pred8 is
 * larger than the tile (center-cropped) and its z bounds start half a voxel off the tiles'
 * lattice (its grid is snapped, and its chunks straddle tiles, so they are read-modify-written);
 * pred4's y prediction is one voxel wider than the tile, which also forces a half-voxel snap.
 */
export function options(path: string, extra: Partial<DatasetWriterOptions> = {}): DatasetWriterOptions {
  return {
    path,
    classes: ["mito", "er"],
    targetArrays: {
      pred8: { shape: [6, 5, 6], scale: [8, 4, 2] },
      pred4: { shape: [8, 6, 10], scale: [4, 4, 2] },
    },
    targetBounds: {
      pred4: { z: [0, 80], y: [100, 150], x: [-10, 30] },
      pred8: { z: [12, 70], y: [100, 140], x: [-10, 26] },
    },
    ...extra,
  };
}

/** The model's predictions for a tile: `[C, z, y, x]` per target array. */
export function predict(o: DatasetWriterOptions, center: readonly number[]): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, spec] of Object.entries(o.targetArrays)) {
    const [nz, ny, nx] = spec.shape;
    const [sz, sy, sx] = spec.scale;
    const data = new Float32Array(o.classes.length * nz * ny * nx);
    let i = 0;
    for (let c = 0; c < o.classes.length; c++) {
      for (let z = 0; z < nz; z++) {
        for (let y = 0; y < ny; y++) {
          for (let x = 0; x < nx; x++) {
            data[i++] = f(c, center[0]! + (z - (nz - 1) / 2) * sz, center[1]! + (y - (ny - 1) / 2) * sy, center[2]! + (x - (nx - 1) / 2) * sx);
          }
        }
      }
    }
    out[name] = data;
  }
  return out;
}

/** Where a case writes its outputs and how it reads them back. */
export interface WriterPlace {
  /** Writer options for the output called `name` (a folder on disk, or a key prefix in a target). */
  options(name: string, extra?: Partial<DatasetWriterOptions>): DatasetWriterOptions;
  /** A target rooted at the output of `o` (key "zarr.json" is the output's root metadata). */
  target(o: DatasetWriterOptions): Promise<ReadWriteTarget>;
  /** A zarrita location at the output of `o`. */
  location(o: DatasetWriterOptions): Promise<zarr.Location<zarr.Readable>>;
}

/** A target that stores every key under `prefix` of another (keys may start with "/", as zarrita's do). */
function prefixed(inner: MemoryTarget, prefix: string): ReadWriteTarget {
  const key = (k: string) => [prefix, k.replace(/^\/+/, "")].filter((p) => p !== "").join("/");
  return { set: (k, bytes) => inner.set(key(k), bytes), get: (k) => inner.get(key(k)), delete: (k) => inner.delete!(key(k)) };
}

/** Outputs in one in-memory target (read back by zarrita through its get/getRange); any runtime. */
export function memoryPlace(memory: MemoryTarget = createMemoryTarget()): WriterPlace {
  return {
    options: (name, extra = {}) => options(name, { target: memory, ...extra }),
    target: (o) => Promise.resolve(prefixed(memory, o.path)),
    location: (o) => Promise.resolve(zarr.root(memory).resolve(o.path)),
  };
}

/** Outputs in folders below `dir`, through node:fs (Node and Deno); loaded only when called. */
async function filePlace(dir: string): Promise<WriterPlace> {
  // Variable specifiers keep bundlers for the browser from following them.
  const [fsTarget, storage] = ["../../src/zarr-write/fs-target.ts", "@zarrita/storage"];
  const { createFsTarget } = (await import(/* @vite-ignore */ fsTarget)) as typeof import("../../src/zarr-write/fs-target.ts");
  const { FileSystemStore } = (await import(/* @vite-ignore */ storage)) as typeof import("@zarrita/storage");
  return {
    options: (name, extra = {}) => options(`${dir}/${name}`, extra),
    target: (o) => Promise.resolve(createFsTarget(o.path)),
    location: (o) => Promise.resolve(zarr.root(new FileSystemStore(o.path))),
  };
}

const placeOf = (where: string | WriterPlace): Promise<WriterPlace> => (typeof where === "string" ? filePlace(where) : Promise.resolve(where));

interface Level {
  path: string;
  scale: Vec3;
  translation: Vec3;
}

/** Read one class's multiscale group with zarrita (v2 or v3) and check every voxel against f. */
export async function verifyClass(
  root: zarr.Location<zarr.Readable>,
  cls: string,
  c: number,
  o: DatasetWriterOptions,
  only?: (level: string, world: Vec3) => boolean,
): Promise<{ levels: Level[]; shapes: number[][]; checked: number }> {
  const group = await zarr.open(root.resolve(cls), { kind: "group" });
  const attrs = group.attrs as Record<string, unknown>;
  const v3 = (o.zarrFormat ?? 3) === 3;
  const ome = (v3 ? (attrs["ome"] as Record<string, unknown>) : attrs) as { version?: string; multiscales: Array<Record<string, unknown>> };
  check(ome !== undefined && Array.isArray(ome.multiscales), `${cls}: no multiscales attributes`);
  const ms = ome.multiscales[0]!;
  check((v3 ? ome.version : ms["version"]) === (v3 ? "0.5" : "0.4"), `${cls}: wrong NGFF version`);
  check(JSON.stringify((ms["axes"] as Array<{ name: string }>).map((a) => a.name)) === '["z","y","x"]', `${cls}: axes`);
  const levels = (ms["datasets"] as Array<{ path: string; coordinateTransformations: Array<Record<string, number[]>> }>).map((d) => ({
    path: d.path,
    scale: d.coordinateTransformations[0]!["scale"] as Vec3,
    translation: d.coordinateTransformations[1]!["translation"] as Vec3,
  }));
  const shapes: number[][] = [];
  let checked = 0;
  for (const level of levels) {
    const arr = await zarr.open(root.resolve(`${cls}/${level.path}`), { kind: "array" });
    check(arr.dtype === (o.dtype ?? "float32"), `${cls}/${level.path}: dtype ${arr.dtype}`);
    shapes.push(arr.shape);
    const { data } = (await zarr.get(arr)) as { data: Float32Array };
    const [nz, ny, nx] = arr.shape as Vec3;
    let i = 0;
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++, i++) {
          const w: Vec3 = [
            level.translation[0] + z * level.scale[0],
            level.translation[1] + y * level.scale[1],
            level.translation[2] + x * level.scale[2],
          ];
          if (only !== undefined && !only(level.path, w)) continue;
          const want = f(c, ...w);
          check(Math.abs(data[i]! - want) < 1e-3, `${cls}/${level.path} voxel [${z}, ${y}, ${x}] (world ${w}): ${data[i]}, expected ${want}`);
          checked++;
        }
      }
    }
  }
  return { levels, shapes, checked };
}

/** Check the geometry every output level must have against the options. */
function checkGeometry(o: DatasetWriterOptions, levels: Level[], shapes: number[][]): void {
  const names = ["pred4", "pred8"];
  check(levels.map((l) => l.path).join() === "s0,s1", `levels ${levels.map((l) => l.path)}`);
  levels.forEach((l, i) => {
    const spec = o.targetArrays[names[i]!]!;
    const b = o.targetBounds[names[i]!]!;
    check(JSON.stringify(l.scale) === JSON.stringify(spec.scale), `${l.path} scale ${l.scale}`);
    (["z", "y", "x"] as const).forEach((a, k) => {
      const lo = l.translation[k]! - l.scale[k]! / 2;
      const hi = lo + shapes[i]![k]! * l.scale[k]!;
      // The level covers its bounds, snapped by at most half a voxel.
      check(Math.abs(lo - b[a][0]) <= l.scale[k]! / 2 + 1e-9, `${l.path} ${a}: starts at ${lo}, bounds ${b[a]}`);
      check(hi >= b[a][1] - l.scale[k]! / 2 - 1e-9 && hi - b[a][1] < 1.5 * l.scale[k]!, `${l.path} ${a}: ends at ${hi}, bounds ${b[a]}`);
    });
  });
}

async function expectArgumentError(work: () => Promise<unknown>, field: string): Promise<void> {
  try {
    await work();
  } catch (e) {
    check(isCellMapError(e, "argument"), `expected ArgumentError on ${field}, got ${String(e)}`);
    check((e as unknown as { field: string }).field === field, `expected ArgumentError on ${field}, got one on ${(e as unknown as { field: string }).field}`);
    return;
  }
  throw new Error(`expected ArgumentError on ${field}`);
}

export const writerCases = {
  /**
   * Every tile written (all concurrently) into zarr v3: zarrita reads back NGFF 0.5
   * groups with one level per target array and every voxel at its world position.
   */
  async v3RoundTrip(where: string | WriterPlace): Promise<string> {
    const place = await placeOf(where);
    const o = place.options("out.zarr");
    const writer = await CellMapDatasetWriter.create(o);
    check(writer.ngffVersion === "0.5", "v3 writes NGFF 0.5");
    check(writer.length === [...writer.tiles()].length, "length counts the tiles");
    const tiles = [...writer.tiles()];
    // Tiles are non-overlapping and spaced by the extent.
    check(JSON.stringify(writer.tileExtent) === "[32,20,12]", `tile extent ${writer.tileExtent}`);
    check(JSON.stringify(tiles[1]!.box.lo) === JSON.stringify([0, 100, 2]), `tile 1 box ${JSON.stringify(tiles[1]!.box)}`);
    // All at once, in a scrambled order: tiles sharing a chunk contend for its lock.
    const order = tiles.map((t, i) => tiles[(i * 7) % tiles.length]!);
    check(new Set(order.map((t) => t.idx)).size === tiles.length, "the order visits every tile");
    await Promise.all(order.map((t) => writer.write(t.idx, predict(o, t.center))));
    await writer.close();
    check([...writer.pendingTiles()].length === 0, "all tiles finished");
    const rootBytes = await (await place.target(o)).get("zarr.json");
    check(rootBytes !== undefined, "no zarr.json at the output's root");
    const rootJson = JSON.parse(new TextDecoder().decode(rootBytes)) as { node_type: string };
    check(rootJson.node_type === "group", "root is a v3 group");
    let checked = 0;
    for (const [c, cls] of o.classes.entries()) {
      const r = await verifyClass(await place.location(o), cls, c, o);
      checkGeometry(o, r.levels, r.shapes);
      checked += r.checked;
    }
    return `${tiles.length} tiles, ${checked} voxels read back by zarrita`;
  },

  /**
   * A crash in the middle of a tile (the target throws on the 3rd chunk write of tile 4) leaves
   * the finished tiles intact and recorded; a rerun skips them and completes the output.
   */
  async resumeAfterCrash(where: string | WriterPlace, zarrFormat: 2 | 3 = 2): Promise<string> {
    const place = await placeOf(where);
    const o = place.options("crash.zarr", { zarrFormat });
    const root = await place.location(o);
    let chunkWrites = 0;
    let armed = false;
    const fsTarget = await place.target(o);
    const crashing: ReadWriteTarget = {
      async set(key, bytes) {
        const isChunk = !key.endsWith(".json") && !key.split("/").pop()!.startsWith(".");
        if (armed && isChunk && ++chunkWrites === 3) throw new Error("simulated crash");
        await fsTarget.set(key, bytes);
      },
      get: (key) => fsTarget.get(key),
      delete: (key) => fsTarget.delete!(key),
    };
    // The custom target is rooted at the output folder: path "" inside it.
    const first = await CellMapDatasetWriter.create({ ...o, path: "", target: crashing });
    const tiles = [...first.tiles()];
    for (const t of tiles.slice(0, 4)) await first.write(t.idx, predict(o, t.center));
    armed = true;
    let crashed = false;
    try {
      await first.write(4, predict(o, tiles[4]!.center));
    } catch (e) {
      crashed = String(e).includes("simulated crash");
    }
    check(crashed, "the write of tile 4 should have failed");

    // A new process: the same options, the plain target.
    const second = await CellMapDatasetWriter.create(o);
    const pending = [...second.pendingTiles()].map((t) => t.idx);
    check(pending[0] === 4 && pending.length === tiles.length - 4, `pending after the crash: ${pending.slice(0, 5)}... (${pending.length})`);
    // Finished tiles are intact, whatever tile 4 left behind.
    const inFinished = (w: number[]) =>
      tiles.slice(0, 4).some((t) => w.every((v, k) => v >= t.box.lo[k]! && v < t.box.hi[k]!));
    let intact = 0;
    for (const [c, cls] of o.classes.entries()) {
      intact += (await verifyClass(root, cls, c, o, (_l, w) => inFinished(w))).checked;
    }
    check(intact > 0, "the finished tiles cover some voxels");
    for (const idx of pending) await second.write(idx, predict(o, second.tile(idx).center));
    await second.close();
    let checked = 0;
    for (const [c, cls] of o.classes.entries()) checked += (await verifyClass(root, cls, c, o)).checked;
    const third = await CellMapDatasetWriter.create(o);
    check([...third.pendingTiles()].length === 0, "a rerun after completion has nothing to do");
    return `${intact} voxels of finished tiles intact after the crash; ${checked} correct after resuming`;
  },

  /** An existing output with other options, or not made by the writer, is refused unless overwrite. */
  async refusesForeignOutput(where: string | WriterPlace): Promise<void> {
    const o = (await placeOf(where)).options("foreign.zarr");
    const w = await CellMapDatasetWriter.create(o);
    const t = w.tile(0);
    await w.write(0, predict(o, t.center));
    await w.close();
    await expectArgumentError(() => CellMapDatasetWriter.create({ ...o, classes: ["mito"] }), "path");
    const again = await CellMapDatasetWriter.create({ ...o, classes: ["mito"], overwrite: true });
    check([...again.pendingTiles()].length === again.length, "overwrite starts over");
    await expectArgumentError(() => again.write(0, { pred4: new Float32Array(3), pred8: new Float32Array(3) }), "arrays.pred4");
  },

  /** Bad options raise ArgumentError naming the option. */
  async rejectsBadOptions(where: string | WriterPlace): Promise<void> {
    const o = (await placeOf(where)).options("bad.zarr");
    await expectArgumentError(() => CellMapDatasetWriter.create({ ...o, classes: [] }), "classes");
    await expectArgumentError(() => CellMapDatasetWriter.create({ ...o, classes: ["a/b"] }), "classes[0]");
    await expectArgumentError(() => CellMapDatasetWriter.create({ ...o, targetBounds: { pred4: o.targetBounds["pred4"]! } }), "targetBounds.pred8");
    await expectArgumentError(
      () => CellMapDatasetWriter.create({ ...o, targetBounds: { ...o.targetBounds, pred8: { z: [5, 5], y: [0, 1], x: [0, 1] } } }),
      "targetBounds.pred8.z",
    );
    await expectArgumentError(
      // x extents 20 and 15: a 15 nm tile is not a whole number of pred4's 2 nm voxels.
      () => CellMapDatasetWriter.create({ ...o, targetArrays: { ...o.targetArrays, pred8: { shape: [6, 5, 6], scale: [8, 4, 2.5] } } }),
      "targetArrays.pred4.scale",
    );
    await expectArgumentError(
      () => CellMapDatasetWriter.create({ ...o, targetArrays: { ...o.targetArrays, pred8: { shape: [6, 5, 6], scale: [4, 4, 2] } } }),
      "targetArrays.pred4.scale",
    );
    await expectArgumentError(() => CellMapDatasetWriter.create({ ...o, zarrFormat: 4 as 3 }), "zarrFormat");
    const w = await CellMapDatasetWriter.create(o);
    await expectArgumentError(() => w.write(w.length, predict(o, [0, 0, 0])), "idx");
  },
};
