// CellMapDatasetWriter test bodies shared by the Node (vitest), Deno and Chromium (vitest browser
// mode) suites: plain async functions that throw on failure. Each is given a fresh temporary
// folder (Node, Deno: written through node:fs, loaded only then) or a {@link WriterPlace} such as
// {@link memoryPlace} (an in-memory target that zarrita reads back; any runtime).
//
// The "model" predicts f(class, world z, y, x) at every prediction voxel's world position
// (center + (j - (n - 1) / 2) * scale), so a read-back voxel i of a level must hold f at that
// level's translation + i * scale: any error in placement, cropping or clipping shows up.

import * as zarr from "zarrita";
import { CellMapDatasetWriter, type DatasetWriterOptions, type ReadWriteTarget, type WriterProgress } from "../../src/dataset/writer.ts";
import type { WriterBatch } from "../../src/dataset/writer-loader.ts";
import { GpuContext } from "../../src/gpu/context.ts";
import { createMemoryTarget, type MemoryTarget } from "../../src/zarr-write/index.ts";
import { isCellMapError } from "../../src/errors.ts";
import { buildRawFixture, expectedRaw, type RawFixture } from "./writer-input-fixture.ts";
import { check, equal, same } from "./assert.ts";
import type { CaseContext, Cases } from "./cases.ts";

type Vec3 = [number, number, number];

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

/** {@link options} over 2 x 2 x 1 tiles instead of 3 x 3 x 4 (the writer-kill tests run it many times). */
export function smallOptions(path: string, extra: Partial<DatasetWriterOptions> = {}): DatasetWriterOptions {
  return options(path, {
    targetBounds: {
      pred4: { z: [0, 60], y: [100, 130], x: [-10, 0] },
      pred8: { z: [12, 50], y: [100, 130], x: [-10, 0] },
    },
    ...extra,
  });
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

/**
 * Read one class's multiscale group with zarrita (v2 or v3) and check every voxel against
 * `value` (default f) at its world position.
 */
export async function verifyClass(
  root: zarr.Location<zarr.Readable>,
  cls: string,
  c: number,
  o: DatasetWriterOptions,
  only?: (level: string, world: Vec3) => boolean,
  value: (c: number, z: number, y: number, x: number) => number = f,
): Promise<{ levels: Level[]; shapes: number[][]; checked: number }> {
  const group = await zarr.open(root.resolve(cls), { kind: "group" });
  const attrs = group.attrs as Record<string, unknown>;
  const v3 = (o.zarrFormat ?? 3) === 3;
  const ome = (v3 ? (attrs["ome"] as Record<string, unknown>) : attrs) as { version?: string; multiscales: Array<Record<string, unknown>> };
  check(ome !== undefined && Array.isArray(ome.multiscales), `${cls}: no multiscales attributes`);
  const ms = ome.multiscales[0]!;
  check((v3 ? ome.version : ms["version"]) === (v3 ? "0.5" : "0.4"), `${cls}: wrong NGFF version`);
  same((ms["axes"] as Array<{ name: string }>).map((a) => a.name), ["z", "y", "x"], `${cls}: axes`);
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
          const want = value(c, ...w);
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
    same(l.scale, spec.scale, `${l.path} scale ${l.scale}`);
    (["z", "y", "x"] as const).forEach((a, k) => {
      const lo = l.translation[k]! - l.scale[k]! / 2;
      const hi = lo + shapes[i]![k]! * l.scale[k]!;
      // The level covers its bounds, snapped by at most half a voxel.
      check(Math.abs(lo - b[a][0]) <= l.scale[k]! / 2 + 1e-9, `${l.path} ${a}: starts at ${lo}, bounds ${b[a]}`);
      check(hi >= b[a][1] - l.scale[k]! / 2 - 1e-9 && hi - b[a][1] < 1.5 * l.scale[k]!, `${l.path} ${a}: ends at ${hi}, bounds ${b[a]}`);
    });
  });
}

async function expectArgumentError(work: () => unknown, field: string): Promise<void> {
  try {
    await work();
  } catch (e) {
    check(isCellMapError(e, "argument"), `expected ArgumentError on ${field}, got ${String(e)}`);
    check((e as unknown as { field: string }).field === field, `expected ArgumentError on ${field}, got one on ${(e as unknown as { field: string }).field}`);
    return;
  }
  throw new Error(`expected ArgumentError on ${field}`);
}

const writerBodies = {
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
    same(writer.tileExtent, [32, 20, 12], `tile extent ${writer.tileExtent}`);
    same(tiles[1]!.box.lo, [0, 100, 2], `tile 1 box ${JSON.stringify(tiles[1]!.box)}`);
    // All at once, in a scrambled order: tiles sharing a chunk contend for its lock.
    const order = tiles.map((_t, i) => tiles[(i * 7) % tiles.length]!);
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

// ---------------------------------------------------------------------------------------------
// The writer reads its inputs: test/setup/writer-input-fixture.ts holds a raw volume whose
// values are a linear function of the world position, so the expected input anywhere is a
// formula (rawValue inside a level's voxel-center extent, inputPad outside).

/** Where the input tests get the raw volume (built once per runtime). */
let rawFixture: Promise<RawFixture> | undefined;
const getRaw = (): Promise<RawFixture> => (rawFixture ??= buildRawFixture());

const INPUT_PAD = -2;
/** The model's threshold: raw values on voxel centers are multiples of 0.25, never this. */
const THRESHOLD = 100.5;

/**
 * A writer with inputs: one 4-voxel target array over 3 x 3 x 3 tiles, part of them past the raw
 * volume's edges (z and x), and a raw input one voxel wider than the tile on every side.
 */
export function inferenceOptions(place: WriterPlace, name: string, raw: RawFixture, extra: Partial<DatasetWriterOptions> = {}): DatasetWriterOptions {
  return place.options(name, {
    classes: ["fg", "half"],
    targetArrays: { pred: { shape: [4, 4, 4], scale: [4, 4, 4] } },
    targetBounds: { pred: { z: [0, 48], y: [-8, 40], x: [8, 56] } },
    inputPath: raw.url,
    inputArrays: { raw: { shape: [6, 6, 6], scale: [4, 4, 4] } },
    inputPad: INPUT_PAD,
    workers: 0,
    storeOptions: { fetch: raw.fetch },
    ...extra,
  });
}

/** The model applied to one input value: class 0 thresholds it, class 1 halves it. */
export const modelOf = (c: number, v: number): number => (c === 0 ? (v > THRESHOLD ? 1 : 0) : 0.5 * v);

/** The model on a batch: input `[B, 1, 6, 6, 6]` -> prediction `[B, 2, 4, 4, 4]` (center crop). */
export function runModel(input: Float32Array, B: number): Float32Array {
  const out = new Float32Array(B * 2 * 64);
  let i = 0;
  for (let b = 0; b < B; b++) for (let c = 0; c < 2; c++) {
    for (let z = 0; z < 4; z++) for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) {
      out[i++] = modelOf(c, input[b * 216 + ((z + 1) * 6 + (y + 1)) * 6 + (x + 1)]!);
    }
  }
  return out;
}

/** The expected output voxel of class c at world (z, y, x): the model on the formula's input there. */
const expectedOutput = (c: number, z: number, y: number, x: number): number => modelOf(c, expectedRaw(0, [z, y, x], INPUT_PAD)!);

/** Compare `got` (`[1, z, y, x]` of an array read around `center`) with the formula at every voxel. */
function checkInput(got: Float32Array, center: readonly number[], shape: Vec3, scale: Vec3, expect: (w: Vec3) => number | undefined, what: string): number {
  check(got.length === shape[0] * shape[1] * shape[2], `${what}: ${got.length} values`);
  let i = 0;
  let checked = 0;
  for (let z = 0; z < shape[0]; z++) for (let y = 0; y < shape[1]; y++) for (let x = 0; x < shape[2]; x++, i++) {
    const w = [z, y, x].map((j, k) => center[k]! + (j - (shape[k]! - 1) / 2) * scale[k]!) as Vec3;
    const want = expect(w);
    if (want === undefined) continue;
    check(Math.abs(got[i]! - want) <= 1e-3 * Math.max(1, Math.abs(want)), `${what} voxel [${z}, ${y}, ${x}] (world ${w}): ${got[i]}, expected ${want}`);
    checked++;
  }
  return checked;
}

/**
 * The expected `[binarize > 100, distance]` of the raw read around `center`: the world distance
 * from each foreground voxel to the nearest background voxel (brute force), 0 on background;
 * undefined when a voxel is too close to the threshold or an edge to tell.
 */
function expectedDistance(center: readonly number[], shape: Vec3, scale: Vec3): Float64Array | undefined {
  const pts: Vec3[] = [];
  const fg: boolean[] = [];
  for (let z = 0; z < shape[0]; z++) for (let y = 0; y < shape[1]; y++) for (let x = 0; x < shape[2]; x++) {
    const w = [z, y, x].map((j, k) => center[k]! + (j - (shape[k]! - 1) / 2) * scale[k]!) as Vec3;
    const v = expectedRaw(0, w, INPUT_PAD);
    if (v === undefined || Math.abs(v - 100) < 1e-3) return undefined;
    pts.push(w);
    fg.push(v > 100);
  }
  return Float64Array.from(pts, (p, i) => {
    if (!fg[i]) return 0;
    let best = Infinity;
    pts.forEach((q, j) => {
      if (!fg[j]) best = Math.min(best, Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]));
    });
    return best;
  });
}

async function withGpu<T>(device: "cpu" | "gpu", work: (gpu: GpuContext | undefined) => Promise<T>): Promise<T> {
  const gpu = device === "gpu" ? await GpuContext.create() : undefined;
  try {
    return await work(gpu);
  } finally {
    gpu?.destroy();
  }
}

/** Read every batch of a loader into plain arrays (reading GPU buffers back). */
async function collect(loader: AsyncIterable<Pick<WriterBatch, "idx" | "center" | "release">>, gpu: GpuContext | undefined): Promise<Array<{ idx: number[]; center: Vec3[]; arrays: Record<string, { data: Float32Array; shape: number[] }> }>> {
  const out = [];
  for await (const batch of loader) {
    const arrays: Record<string, { data: Float32Array; shape: number[] }> = {};
    for (const [name, a] of Object.entries(batch)) {
      if (name === "idx" || name === "center" || name === "release") continue;
      const v = a as unknown as { data?: Float32Array; buffer?: GPUBuffer; byteLength?: number; shape: number[] };
      arrays[name] = v.buffer !== undefined
        ? { data: new Float32Array(await gpu!.readBuffer(v.buffer, 0, v.byteLength!)), shape: v.shape }
        : { data: v.data!, shape: v.shape };
    }
    batch.release();
    out.push({ idx: batch.idx, center: batch.center, arrays });
  }
  return out;
}

/** Buffer usage bits (numbers, so that no runtime needs the GPUBufferUsage global). */
const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;

/**
 * A WebGPU "model" written independently of the library: one compute pass that applies
 * {@link modelOf} to the center 4³ of each `[1, 6, 6, 6]` input, `[B, 2, 4, 4, 4]` f32 out, into
 * `output` from word `outWord` on.
 */
const GPU_MODEL = /* wgsl */ `
struct Params { count: u32, outWord: u32 }
@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = id.x;
  if (i >= params.count) { return; }
  let x = i % 4u;
  let y = (i / 4u) % 4u;
  let z = (i / 16u) % 4u;
  let c = (i / 64u) % 2u;
  let b = i / 128u;
  let v = input[b * 216u + ((z + 1u) * 6u + (y + 1u)) * 6u + (x + 1u)];
  var r = 0.5 * v;
  if (c == 0u) { r = select(0.0, 1.0, v > ${THRESHOLD}); }
  output[params.outWord + i] = r;
}`;

/** Run {@link GPU_MODEL} on a batch's input buffer; the predictions land in `output` at byte `outByte`. */
function runGpuModel(gpu: GpuContext, input: GPUBuffer, B: number, output: GPUBuffer, outByte: number): void {
  const device = gpu.device;
  const module = device.createShaderModule({ label: "test model", code: GPU_MODEL });
  const pipeline = device.createComputePipeline({ label: "test model", layout: "auto", compute: { module, entryPoint: "main" } });
  const params = device.createBuffer({ label: "test model params", size: 16, usage: USAGE.UNIFORM | USAGE.COPY_DST });
  device.queue.writeBuffer(params, 0, new Uint32Array([B * 128, outByte / 4, 0, 0]));
  const bind = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: input } }, { binding: 1, resource: { buffer: output } }, { binding: 2, resource: { buffer: params } }],
  });
  const encoder = device.createCommandEncoder({ label: "test model" });
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(Math.ceil((B * 128) / 64));
  pass.end();
  device.queue.submit([encoder.finish()]);
  params.destroy();
}

const writerInputBodies = {
  /**
   * `get(idx)` and the loader read two input arrays around every tile center: one off the raw
   * voxel grid (s0, trilinear between voxels, padded past the edges), one at 8 nm (s1, the
   * coarser level) through a value transform; both equal the formula, pad included.
   */
  async inputsMatchFormula(where: string | WriterPlace, device: "cpu" | "gpu" = "cpu"): Promise<string> {
    const place = await placeOf(where);
    const raw = await getRaw();
    return withGpu(device, async (gpu) => {
      const o = inferenceOptions(place, `inputs-${device}.zarr`, raw, {
        inputArrays: { raw: { shape: [3, 5, 4], scale: [3, 2, 5] }, ctx: { shape: [2, 3, 3], scale: [8, 8, 8] }, dist: { shape: [4, 5, 6], scale: [3, 2, 5] } },
        valueTransforms: { ctx: [{ normalize: { mean: 100, std: 4 } }], dist: [{ binarize: { threshold: 100 } }, { distance: {} }] },
        ...(gpu ? { gpu } : {}),
      });
      const writer = await CellMapDatasetWriter.create(o);
      check(writer.device === device, `device ${writer.device}`);
      same(writer.inputArrays, o.inputArrays, `inputArrays ${JSON.stringify(writer.inputArrays)}`);
      const expectRaw = (w: Vec3) => expectedRaw(0, w, INPUT_PAD);
      const expectCtx = (w: Vec3) => {
        const v = expectedRaw(1, w, INPUT_PAD);
        return v === undefined ? undefined : (v - 100) / 4;
      };
      let checked = 0;
      let padded = 0;
      for (const idx of [0, 13, 26]) {
        const item = await writer.get(idx);
        check(item.idx === idx && equal(item.center, writer.tile(idx).center), `get(${idx}) idx/center`);
        const r = item["raw"]!;
        const c = item["ctx"]!;
        check(equal(r.shape, [1, 3, 5, 4]) && equal(c.shape, [1, 2, 3, 3]), `get shapes ${r.shape} ${c.shape}`);
        checked += checkInput(r.data, item.center, [3, 5, 4], [3, 2, 5], expectRaw, `get(${idx}).raw`);
        checked += checkInput(c.data, item.center, [2, 3, 3], [8, 8, 8], expectCtx, `get(${idx}).ctx`);
        padded += r.data.filter((v) => v === INPUT_PAD).length + c.data.filter((v) => v === (INPUT_PAD - 100) / 4).length;
      }
      // A distance transform measures in world units along each axis's voxel size.
      let distances = 0;
      let positive = 0;
      for (let idx = 0; idx < writer.length; idx++) {
        const want = expectedDistance(writer.tile(idx).center, [4, 5, 6], [3, 2, 5]);
        if (want === undefined) continue;
        const got = (await writer.get(idx))["dist"]!.data;
        want.forEach((d, i) => {
          check(d === Infinity ? got[i] === Infinity : Math.abs(got[i]! - d) <= 1e-3 * Math.max(1, d), `tile ${idx} dist[${i}]: ${got[i]}, expected ${d}`);
          if (d > 0 && d < Infinity) positive++;
        });
        distances += want.length;
      }
      check(distances >= 5 * 120 && positive > 20, `distances checked: ${distances} (${positive} inside)`);
      checked += distances;
      check(padded > 0, "the corner tiles read some pad");
      const loader = writer.loader({ batchSize: 4, ...(gpu ? { output: "gpu" as const } : {}) });
      check(loader.tiles === 27 && loader.length === 7, `loader: ${loader.tiles} tiles, ${loader.length} batches`);
      const batches = await collect(loader, gpu);
      check(loader.read === 27, `read ${loader.read}`);
      const seen = batches.flatMap((b) => b.idx);
      same(seen, [...Array(27).keys()], `loader order ${seen}`);
      for (const b of batches) {
        const B = b.idx.length;
        same(b.arrays["raw"]!.shape, [B, 1, 3, 5, 4], `batch raw shape ${b.arrays["raw"]!.shape}`);
        same(b.arrays["ctx"]!.shape, [B, 1, 2, 3, 3], `batch ctx shape ${b.arrays["ctx"]!.shape}`);
        b.idx.forEach((idx, j) => {
          const center = writer.tile(idx).center;
          same(b.center[j], center, `batch center of tile ${idx}`);
          checked += checkInput(b.arrays["raw"]!.data.subarray(j * 60, (j + 1) * 60), center, [3, 5, 4], [3, 2, 5], expectRaw, `loader tile ${idx} raw`);
          checked += checkInput(b.arrays["ctx"]!.data.subarray(j * 18, (j + 1) * 18), center, [2, 3, 3], [8, 8, 8], expectCtx, `loader tile ${idx} ctx`);
          const dist = expectedDistance(center, [4, 5, 6], [3, 2, 5]);
          const got = b.arrays["dist"]!.data.subarray(j * 120, (j + 1) * 120);
          dist?.forEach((d, i) => check(d === Infinity ? got[i] === Infinity : Math.abs(got[i]! - d) <= 1e-3 * Math.max(1, d), `loader tile ${idx} dist[${i}]: ${got[i]}, expected ${d}`));
        });
      }
      await writer.close();
      return `${checked} input voxels equal the formula (${device})`;
    });
  },

  /**
   * The inference loop: loader -> model -> write(batch.idx, ...), reading ahead. zarrita reads
   * back, at every output voxel, the model applied to the formula's input there; onProgress
   * counted every tile.
   */
  async inferenceLoop(where: string | WriterPlace, device: "cpu" | "gpu" = "cpu", zarrFormat: 2 | 3 = 3): Promise<string> {
    const place = await placeOf(where);
    const raw = await getRaw();
    return withGpu(device, async (gpu) => {
      const progress: WriterProgress[] = [];
      const o = inferenceOptions(place, `loop-${device}-v${zarrFormat}.zarr`, raw, { zarrFormat, onProgress: (p) => progress.push(p), ...(gpu ? { gpu } : {}) });
      const writer = await CellMapDatasetWriter.create(o);
      for await (const batch of writer.loader({ batchSize: 5, prefetch: 2 })) {
        await writer.write(batch.idx, { pred: runModel(batch["raw"]!.data, batch.idx.length) });
      }
      await writer.close();
      check(writer.finishedCount === 27, `finished ${writer.finishedCount}`);
      const counts = progress.map((p) => p.finished).sort((a, b) => a - b);
      check(progress.length === 27 && progress.every((p) => p.total === 27) && counts.every((n, i) => n === i + 1), `progress ${JSON.stringify(progress.slice(-2))}`);
      same(progress.map((p) => p.idx).sort((a, b) => a - b), [...Array(27).keys()], "progress names every tile once");
      let checked = 0;
      for (const [c, cls] of o.classes.entries()) checked += (await verifyClass(await place.location(o), cls, c, o, undefined, expectedOutput)).checked;
      check(checked === 2 * 12 * 12 * 12, `${checked} voxels checked`);
      return `${checked} output voxels equal the model on the input (${device}, v${zarrFormat})`;
    });
  },

  /**
   * A loop stopped early (batches 0 and 2 of 4 tiles written, then break): a new writer with the
   * same options resumes, and its loader visits exactly the pending tiles; `pendingOnly: false`
   * visits all.
   */
  async rerunVisitsPendingTiles(where: string | WriterPlace): Promise<string> {
    const place = await placeOf(where);
    const raw = await getRaw();
    const o = inferenceOptions(place, "rerun.zarr", raw);
    const first = await CellMapDatasetWriter.create(o);
    let k = 0;
    for await (const batch of first.loader({ batchSize: 4, prefetch: 3 })) {
      if (k !== 1) await first.write(batch.idx, { pred: runModel(batch["raw"]!.data, batch.idx.length) });
      if (++k === 3) break;
    }
    await first.close();
    const written = [0, 1, 2, 3, 8, 9, 10, 11];
    const second = await CellMapDatasetWriter.create(o);
    check(second.finishedCount === 8, `finished after the first run: ${second.finishedCount}`);
    const loader = second.loader({ batchSize: 4 });
    const want = [...Array(27).keys()].filter((i) => !written.includes(i));
    check(loader.tiles === 19 && loader.length === 5, `rerun loader: ${loader.tiles} tiles, ${loader.length} batches`);
    same([...loader.indices()], want, `rerun indices ${[...loader.indices()]}`);
    check(second.loader({ pendingOnly: false }).tiles === 27, "pendingOnly: false visits every tile");
    const visited: number[] = [];
    for await (const batch of loader) {
      visited.push(...batch.idx);
      await second.write(batch.idx, { pred: runModel(batch["raw"]!.data, batch.idx.length) });
    }
    same(visited, want, `the rerun visited ${visited}`);
    await second.close();
    let checked = 0;
    for (const [c, cls] of o.classes.entries()) checked += (await verifyClass(await place.location(o), cls, c, o, undefined, expectedOutput)).checked;
    const third = await CellMapDatasetWriter.create(o);
    const rest = third.loader();
    check(rest.tiles === 0 && rest.length === 0, `after completion: ${rest.tiles} tiles`);
    let batches = 0;
    for await (const _ of rest) batches++;
    check(batches === 0, "a finished output yields no batch");
    await third.close();
    return `rerun visited ${visited.length} pending tiles; ${checked} voxels correct`;
  },

  /** GPU batches stay on the device; read back, they equal the CPU twin's batches. */
  async gpuBatchesMatchCpu(where: string | WriterPlace): Promise<string> {
    const place = await placeOf(where);
    const raw = await getRaw();
    return withGpu("gpu", async (gpu) => {
      const extra = {
        inputArrays: { raw: { shape: [5, 6, 7], scale: [3, 2.5, 5] }, ctx: { shape: [3, 3, 3], scale: [8, 8, 8] } },
        valueTransforms: { raw: [{ normalize: { range: [0, 200] } }, { randomGamma: { range: [0.5, 2] } }], ctx: [{ gaussianBlur: { sigma: 0.8 } }] },
        seed: 5,
      } satisfies Partial<DatasetWriterOptions>;
      const onGpu = await CellMapDatasetWriter.create(inferenceOptions(place, "gpu.zarr", raw, { ...extra, gpu: gpu! }));
      const onCpu = await CellMapDatasetWriter.create(inferenceOptions(place, "cpu.zarr", raw, extra));
      const a = await collect(onGpu.loader({ batchSize: 6, output: "gpu" }), gpu);
      const b = await collect(onCpu.loader({ batchSize: 6 }), undefined);
      check(a.length === 5 && b.length === 5, `${a.length} and ${b.length} batches`);
      let compared = 0;
      let worst = 0;
      a.forEach((ba, k) => {
        const bb = b[k]!;
        same(ba.idx, bb.idx, `batch ${k} idx`);
        for (const name of ["raw", "ctx"]) {
          const x = ba.arrays[name]!.data;
          const y = bb.arrays[name]!.data;
          check(x.length === y.length, `batch ${k} ${name} length`);
          for (let i = 0; i < x.length; i++) {
            const d = Math.abs(x[i]! - y[i]!);
            worst = Math.max(worst, d);
            check(d <= 1e-4 * Math.max(1, Math.abs(y[i]!)), `batch ${k} ${name}[${i}]: GPU ${x[i]}, CPU ${y[i]}`);
            compared++;
          }
        }
      });
      // get(i) of a tile that leads a batch is that batch's first sample, on either device.
      const item = await onGpu.get(6);
      const first = b[1]!.arrays["raw"]!.data.subarray(0, 210);
      check(item["raw"]!.data.every((v, i) => Math.abs(v - first[i]!) <= 1e-4 * Math.max(1, Math.abs(v))), "get(6) equals the first tile of batch 1");
      await onGpu.close();
      await onCpu.close();
      return `${compared} values, GPU vs CPU max difference ${worst.toExponential(2)}`;
    });
  },

  /** Bad input options, loader options and batch writes raise ArgumentError naming the field. */
  async rejectsBadInputOptions(where: string | WriterPlace): Promise<void> {
    const place = await placeOf(where);
    const raw = await getRaw();
    const o = inferenceOptions(place, "bad-inputs.zarr", raw);
    const { inputPath: _p, ...noPath } = o;
    const { inputArrays: _a, ...noArrays } = o;
    await expectArgumentError(() => CellMapDatasetWriter.create(noPath), "inputPath");
    await expectArgumentError(() => CellMapDatasetWriter.create(noArrays), "inputArrays");
    await expectArgumentError(() => CellMapDatasetWriter.create({ ...o, inputArrays: { raw: { shape: [0, 4, 4], scale: [4, 4, 4] } } }), "inputArrays.raw.shape");
    await expectArgumentError(() => CellMapDatasetWriter.create({ ...o, inputArrays: { idx: { shape: [4, 4, 4], scale: [4, 4, 4] } } }), "inputArrays.idx");
    await expectArgumentError(() => CellMapDatasetWriter.create({ ...o, valueTransforms: { other: [{ normalize: {} }] } }), "valueTransforms.other");
    await expectArgumentError(() => CellMapDatasetWriter.create({ ...o, valueTransforms: { raw: [{ gaussianNoise: { std: -1 } }] } }), "valueTransforms.raw[0].gaussianNoise.std");
    const { inputPath: _q, inputArrays: _b, ...noInputs } = o;
    await expectArgumentError(() => CellMapDatasetWriter.create({ ...noInputs, valueTransforms: { raw: [{ normalize: {} }] } }), "valueTransforms");
    await expectArgumentError(() => CellMapDatasetWriter.create({ ...o, inputPad: "0" as unknown as number }), "inputPad");
    await expectArgumentError(() => CellMapDatasetWriter.create({ ...o, device: "gpu" }), "gpu");
    await expectArgumentError(() => CellMapDatasetWriter.create({ ...o, onProgress: 1 as unknown as () => void }), "onProgress");
    // A raw path that does not exist fails before anything is written.
    const { path: _path, ...rest } = o;
    const missing = place.options("missing.zarr", { ...rest, inputPath: `${raw.url}/nothing-here` });
    let failed: unknown;
    try {
      await CellMapDatasetWriter.create(missing);
    } catch (e) {
      failed = e;
    }
    check(failed !== undefined && isCellMapError(failed) && !isCellMapError(failed, "argument"), `a missing raw array: ${String(failed)}`);
    check((await (await place.target(missing)).get("zarr.json")) === undefined, "nothing was written for a missing raw array");

    const plain = await CellMapDatasetWriter.create(noInputs);
    await expectArgumentError(() => plain.get(0), "inputArrays");
    await expectArgumentError(() => plain.loader(), "inputArrays");
    check(plain.device === undefined && Object.keys(plain.inputArrays).length === 0, "a writer without inputs has none");
    const w = await CellMapDatasetWriter.create({ ...o, overwrite: true });
    await expectArgumentError(() => w.loader({ batchSize: 0 }), "batchSize");
    await expectArgumentError(() => w.loader({ output: "gpu" }), "output");
    await expectArgumentError(() => w.loader({ pendingOnly: "yes" as unknown as boolean }), "pendingOnly");
    await expectArgumentError(() => w.get(27), "idx");
    const pred = new Float32Array(2 * 128);
    await expectArgumentError(() => w.write([], { pred }), "idx");
    await expectArgumentError(() => w.write([0, 27], { pred }), "idx");
    await expectArgumentError(() => w.write([3, 3], { pred }), "idx");
    await expectArgumentError(() => w.write([0, 1], { pred: new Float32Array(128) }), "arrays.pred");
    await expectArgumentError(() => w.write([0, 1], { pred, other: pred }), "arrays.other");
    check(w.finishedCount === 0, "refused writes record nothing");
    // An aborted signal stops the loader with a typed error.
    const ac = new AbortController();
    ac.abort();
    let aborted: unknown;
    try {
      for await (const _ of w.loader({ signal: ac.signal })) throw new Error("a batch was read after abort");
    } catch (e) {
      aborted = e;
    }
    check(isCellMapError(aborted, "aborted"), `an aborted loader: ${String(aborted)}`);
    await w.close();
    await expectArgumentError(() => w.get(0), "writer");
  },

  /**
   * The inference loop with the model on the GPU: `output: "gpu"` batches go through a compute
   * shader whose output stays in a GPUBuffer, passed to `write` as it is (a batch from a
   * COPY_SRC buffer at a byte offset, a batch from a MAP_READ buffer, tiles one by one);
   * zarrita reads back the model on the formula's input at every voxel. Buffers the writer
   * cannot read give ArgumentErrors naming the field, and record nothing.
   */
  async gpuPredictions(where: string | WriterPlace): Promise<string> {
    const place = await placeOf(where);
    const raw = await getRaw();
    return withGpu("gpu", async (gpu) => {
      const ctx = gpu!;
      const device = ctx.device;
      const o = inferenceOptions(place, "gpu-pred.zarr", raw, { gpu: ctx });
      const writer = await CellMapDatasetWriter.create(o);
      const TILE_BYTES = 4 * 2 * 64; // [2, 4, 4, 4] f32
      const made: GPUBuffer[] = [];
      const buffer = (size: number, usage: number, label: string) => {
        const b = device.createBuffer({ label, size, usage });
        made.push(b);
        return b;
      };
      try {
        let k = 0;
        const modes: string[] = [];
        for await (const batch of writer.loader({ batchSize: 5, output: "gpu" })) {
          const B = batch.idx.length;
          const input = (batch["raw"] as unknown as { buffer: GPUBuffer }).buffer;
          check(input !== undefined && typeof input.mapAsync === "function", "an output: \"gpu\" batch holds no GPUBuffer");
          const mode = k % 3;
          if (mode === 0) {
            // A batch [B, 2, 4, 4, 4] at byte 256 of a larger COPY_SRC buffer.
            const out = buffer(256 + B * TILE_BYTES + 64, USAGE.STORAGE | USAGE.COPY_SRC, "model output");
            runGpuModel(ctx, input, B, out, 256);
            await writer.write(batch.idx, { pred: { buffer: out, byteOffset: 256 } });
            modes.push("batch, COPY_SRC");
          } else if (mode === 1) {
            // A MAP_READ buffer (no COPY_SRC) at byte 4, filled by copyBufferToBuffer.
            const out = buffer(B * TILE_BYTES, USAGE.STORAGE | USAGE.COPY_SRC, "model output");
            runGpuModel(ctx, input, B, out, 0);
            const mappable = buffer(4 + B * TILE_BYTES, USAGE.MAP_READ | USAGE.COPY_DST, "mappable output");
            const encoder = device.createCommandEncoder();
            encoder.copyBufferToBuffer(out, 0, mappable, 4, B * TILE_BYTES);
            device.queue.submit([encoder.finish()]);
            await writer.write(batch.idx, { pred: { buffer: mappable, byteOffset: 4 } });
            check(mappable.mapState === undefined || mappable.mapState === "unmapped", `the writer left the buffer ${mappable.mapState}`);
            modes.push("batch, MAP_READ");
          } else {
            // One tile at a time: [2, 4, 4, 4] each, at its own offset.
            const out = buffer(B * TILE_BYTES, USAGE.STORAGE | USAGE.COPY_SRC, "model output");
            runGpuModel(ctx, input, B, out, 0);
            for (const [b, idx] of batch.idx.entries()) await writer.write(idx, { pred: { buffer: out, byteOffset: b * TILE_BYTES } });
            modes.push("tiles, COPY_SRC");
          }
          batch.release();
          k++;
        }
        check(k === 6 && writer.finishedCount === 27, `${k} batches, ${writer.finishedCount} tiles finished`);
        await writer.close();
        let checked = 0;
        for (const [c, cls] of o.classes.entries()) checked += (await verifyClass(await place.location(o), cls, c, o, undefined, expectedOutput)).checked;
        check(checked === 2 * 12 * 12 * 12, `${checked} voxels checked`);

        // Buffers the writer cannot read: typed errors, nothing recorded.
        const fresh = await CellMapDatasetWriter.create({ ...o, path: `${o.path}-bad` });
        const ok = buffer(2 * TILE_BYTES, USAGE.STORAGE | USAGE.COPY_SRC, "good");
        await expectArgumentError(() => fresh.write(0, { pred: { buffer: buffer(TILE_BYTES, USAGE.STORAGE, "storage only"), byteOffset: 0 } }), "arrays.pred.buffer");
        await expectArgumentError(() => fresh.write(0, { pred: { buffer: buffer(TILE_BYTES - 4, USAGE.STORAGE | USAGE.COPY_SRC, "short") } }), "arrays.pred.buffer");
        await expectArgumentError(() => fresh.write(0, { pred: { buffer: ok, byteOffset: TILE_BYTES + 4 } }), "arrays.pred.buffer");
        await expectArgumentError(() => fresh.write([0, 1, 2], { pred: { buffer: ok } }), "arrays.pred.buffer");
        await expectArgumentError(() => fresh.write(0, { pred: { buffer: ok, byteOffset: 2 } }), "arrays.pred.byteOffset");
        await expectArgumentError(() => fresh.write(0, { pred: { buffer: ok, byteOffset: -4 } }), "arrays.pred.byteOffset");
        await expectArgumentError(() => fresh.write([0, 1], { pred: { buffer: ok }, other: { buffer: ok } }), "arrays.other");
        const mapped = buffer(TILE_BYTES, USAGE.MAP_READ | USAGE.COPY_DST, "mapped");
        await mapped.mapAsync(1);
        await expectArgumentError(() => fresh.write(0, { pred: { buffer: mapped } }), "arrays.pred.buffer");
        mapped.unmap();
        check(fresh.finishedCount === 0 && !fresh.isFinished(0), "refused GPU writes recorded a tile");
        await fresh.close();
        // A writer without a GpuContext cannot read a GPUBuffer.
        const { gpu: _g, device: _d, ...cpuOptions } = o;
        const noGpu = await CellMapDatasetWriter.create({ ...cpuOptions, path: `${o.path}-nogpu` } as DatasetWriterOptions);
        await expectArgumentError(() => noGpu.write(0, { pred: { buffer: ok } }), "gpu");
        check(noGpu.finishedCount === 0, "a refused write recorded a tile");
        await noGpu.close();
        return `${checked} output voxels equal the GPU model on the input (${modes.join("; ")})`;
      } finally {
        for (const b of made) b.destroy();
      }
    });
  },
};

/** Where a case writes: a fresh folder in Node and Deno, a memory target in Chromium. */
async function placeFor(ctx: CaseContext): Promise<string | WriterPlace> {
  return ctx.runtime === "chromium" ? memoryPlace() : await ctx.tempDir();
}

/** Every case, by title, for the case registry (test/setup/cases.ts). */
export const writerCases = {
  "v3 output reads back with zarrita: NGFF 0.5 levels, every voxel at its world position": async (ctx) => writerBodies.v3RoundTrip(await placeFor(ctx)),
  "a crash mid-tile leaves finished tiles intact and a rerun resumes (v2)": async (ctx) => writerBodies.resumeAfterCrash(await placeFor(ctx), 2),
  "a crash mid-tile leaves finished tiles intact and a rerun resumes (v3)": async (ctx) => writerBodies.resumeAfterCrash(await placeFor(ctx), 3),
  "an output made with other options is refused unless overwrite": async (ctx) => writerBodies.refusesForeignOutput(await placeFor(ctx)),
  "bad options raise ArgumentError naming the option": async (ctx) => writerBodies.rejectsBadOptions(await placeFor(ctx)),
  // The writer reads its inputs: the raw volume is served from memory.
  "inputs from get(idx) and the loader equal the formula: off-grid, coarser level, value transforms, pad (CPU)": async (ctx) =>
    writerInputBodies.inputsMatchFormula(await placeFor(ctx), "cpu"),
  "inputs from get(idx) and the loader equal the formula: off-grid, coarser level, value transforms, pad (GPU)": async (ctx) =>
    writerInputBodies.inputsMatchFormula(await placeFor(ctx), "gpu"),
  "inference loop: loader -> model -> write reads back as the model on the input at every voxel (CPU, v3)": async (ctx) =>
    writerInputBodies.inferenceLoop(await placeFor(ctx), "cpu", 3),
  "inference loop: loader -> model -> write reads back as the model on the input at every voxel (GPU, v2)": async (ctx) =>
    writerInputBodies.inferenceLoop(await placeFor(ctx), "gpu", 2),
  "a rerun after a partial loop visits only the pending tiles": async (ctx) => writerInputBodies.rerunVisitsPendingTiles(await placeFor(ctx)),
  "GPU input batches stay on the device and equal the CPU twin": async (ctx) => writerInputBodies.gpuBatchesMatchCpu(await placeFor(ctx)),
  "bad input options, loader options and batch writes raise ArgumentError naming the field": async (ctx) =>
    writerInputBodies.rejectsBadInputOptions(await placeFor(ctx)),
  "inference loop with a GPU model: predictions passed as GPUBuffers read back with zarrita at every voxel; unreadable buffers raise ArgumentError naming the field":
    async (ctx) => writerInputBodies.gpuPredictions(await placeFor(ctx)),
} satisfies Cases;
