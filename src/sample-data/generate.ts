/**
 * Generate the sample dataset: render the scene once, then write it as zarr v3 sharded
 * (OME-NGFF 0.5) and zarr v2 blosc (OME-NGFF 0.4) copies plus a `manifest.json`.
 * @module
 */

import { ArgumentError, throwIfAborted } from "../errors.ts";
import { jsonBytes, writeArray } from "../zarr-write/array.ts";
import type { CodecSpec } from "../zarr-write/codecs.ts";
import { writeGroup } from "../zarr-write/group.ts";
import { multiscalesAttributes, ngffVersionFor } from "../zarr-write/ngff-meta.ts";
import { joinKey, type WriteTarget } from "../zarr-write/target.ts";
import {
  type CropLayout,
  DEFAULT_SIZE,
  type LevelInfo,
  RAW_PATH,
  SAMPLE_CLASSES,
  type SampleClass,
  sampleLayout,
  type SampleLayout,
  type WorldBox,
} from "./layout.ts";
import { buildScene } from "./place.ts";
import { CLASS_ID } from "./scene.ts";
import { countZeros, downsampleMajority, downsampleMean, maskOf, pyramid, renderClassIds, renderRaw, type Volume } from "./volumes.ts";

/** Options of {@link generateSampleDataset}. */
export interface SampleDatasetOptions {
  /** Prefix of the copies' folder names: `<name>_v3.zarr`, `<name>_v2.zarr` (default "sample"). */
  readonly name?: string;
  /** Seed of the scene and texture (default 1); the same seed writes the same bytes. */
  readonly seed?: number;
  /** Raw s0 shape z, y, x (default [96, 192, 192]: 768 nm per axis at 8 x 4 x 4 nm). */
  readonly size?: readonly number[];
  /** Pyramid levels per array (default 3: s0, s1, s2). */
  readonly levels?: number;
  /** Which copies to write (default [3, 2]). */
  readonly formats?: readonly (2 | 3)[];
  readonly signal?: AbortSignal;
  /** Progress: a stage, a message and the overall fraction done (0..1). */
  readonly onProgress?: (progress: SampleProgress) => void;
}

/** One progress report. */
export interface SampleProgress {
  readonly stage: "raw" | "labels" | "write" | "done";
  readonly message: string;
  readonly fraction: number;
}

/** How one copy is stored. */
export interface SampleCopy {
  /** Folder of the copy relative to the target root, e.g. `sample_v3.zarr`. */
  readonly path: string;
  readonly zarrFormat: 2 | 3;
  readonly ngffVersion: "0.4" | "0.5";
  readonly codec: CodecSpec;
  /** Chunk shape (inner chunk shape when sharded). */
  readonly chunks: readonly number[];
  readonly shards?: readonly number[];
}

/** One annotated crop as described in the manifest. */
export interface SampleCropManifest {
  readonly name: string;
  /** Path inside each copy, e.g. `recon-1/labels/groundtruth/crop1`; class arrays at `<path>/<class>/s<k>`. */
  readonly path: string;
  readonly classes: readonly SampleClass[];
  readonly dtype: "uint8";
  readonly encoding: { readonly absent: 0; readonly present: 1 };
  readonly levels: readonly LevelInfo[];
  /** World box covered (voxel edges), nm. */
  readonly box: WorldBox;
  /** Voxel counts per class at s0. */
  readonly counts: Readonly<Record<string, { readonly present: number; readonly absent: number }>>;
}

/** The `manifest.json` written next to the copies. */
export interface SampleManifest {
  readonly name: string;
  readonly seed: number;
  readonly generator: string;
  readonly axes: readonly ["z", "y", "x"];
  readonly unit: "nanometer";
  readonly copies: readonly SampleCopy[];
  readonly raw: { readonly path: string; readonly dtype: "uint8"; readonly levels: readonly LevelInfo[]; readonly box: WorldBox };
  readonly crops: readonly SampleCropManifest[];
  /** Every class annotated in at least one crop. */
  readonly classes: readonly SampleClass[];
}

/** Chunking and codec of each copy. */
export const SAMPLE_COPIES: Readonly<Record<2 | 3, Omit<SampleCopy, "path">>> = {
  3: { zarrFormat: 3, ngffVersion: "0.5", codec: { name: "zstd", level: 3 }, chunks: [32, 32, 32], shards: [64, 64, 64] },
  2: {
    zarrFormat: 2,
    ngffVersion: "0.4",
    codec: { name: "blosc", cname: "lz4", clevel: 5, shuffle: "shuffle" },
    chunks: [32, 32, 32],
  },
};

const ENCODING = { absent: 0, present: 1 } as const;

interface RenderedCrop {
  readonly layout: CropLayout;
  readonly classes: { readonly name: SampleClass; readonly levels: Volume[]; readonly absent: number[] }[];
}

/**
 * Write the sample dataset to `target` and return its manifest (also written as `manifest.json`).
 * Deterministic for a seed; about 3 to 6 s for both copies at the default size on two cores.
 * @example
 * ```ts
 * import { createFsTarget } from "../zarr-write/fs-target.ts";
 * const manifest = await generateSampleDataset(createFsTarget("data"), { seed: 1 });
 * // data/sample_v3.zarr/recon-1/em/fibsem-uint8/s0 ... data/manifest.json
 * ```
 */
export async function generateSampleDataset(target: WriteTarget, options: SampleDatasetOptions = {}): Promise<SampleManifest> {
  const name = options.name ?? "sample";
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new ArgumentError("name", "must be letters, digits, '_', '-' or '.'", name);
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new ArgumentError("seed", "must be an integer", seed);
  const formats = options.formats ?? [3, 2];
  if (formats.length === 0 || formats.some((f) => f !== 2 && f !== 3)) {
    throw new ArgumentError("formats", "must list 2 and/or 3", formats);
  }
  const levels = options.levels ?? 3;
  const layout = sampleLayout(options.size ?? DEFAULT_SIZE, levels);
  const { signal, onProgress } = options;
  const report = (stage: SampleProgress["stage"], message: string, fraction: number) =>
    onProgress?.({ stage, message, fraction: Math.min(1, Math.max(0, fraction)) });

  throwIfAborted(signal, "sample dataset generation");
  const scene = buildScene(seed, layout);
  let lastTenth = -1;
  const raw = renderRaw(scene, layout.raw.grid, (done, total) => {
    const tenth = Math.floor((10 * done) / total);
    if (tenth !== lastTenth) {
      lastTenth = tenth;
      report("raw", `raw s0 ${layout.raw.grid.shape.join("x")}: ${done}/${total} slices`, 0.6 * (done / total));
    }
  });
  const rawLevels = pyramid(raw, levels, downsampleMean);
  throwIfAborted(signal, "sample dataset generation");

  const crops: RenderedCrop[] = layout.crops.map((crop, c) => {
    report("labels", `labels ${crop.name} ${crop.grid.shape.join("x")}: ${crop.classes.join(", ")}`, 0.6 + 0.1 * (c / layout.crops.length));
    const ids = renderClassIds(scene, crop.grid);
    return {
      layout: crop,
      classes: crop.classes.map((cls) => {
        const { volume } = maskOf(ids, CLASS_ID[cls]);
        const lv = pyramid(volume, levels, downsampleMajority);
        return { name: cls, levels: lv, absent: lv.map(countZeros) };
      }),
    };
  });

  const copies: SampleCopy[] = formats.map((f) => ({ path: `${name}_v${f}.zarr`, ...SAMPLE_COPIES[f] }));
  const manifest = makeManifest(name, seed, layout, copies, crops);
  const arraysPerCopy = levels * (1 + crops.reduce((n, c) => n + c.classes.length, 0));
  let written = 0;
  const total = arraysPerCopy * copies.length;
  const tick = (what: string) => {
    written++;
    report("write", `wrote ${what}`, 0.7 + 0.3 * (written / total));
  };
  for (const copy of copies) {
    await writeCopy(target, copy, layout, rawLevels, crops, tick, signal);
  }
  await target.set("manifest.json", jsonBytes(manifest));
  report("done", `wrote ${copies.map((c) => c.path).join(" and ")} and manifest.json`, 1);
  return manifest;
}

async function writeCopy(
  target: WriteTarget,
  copy: SampleCopy,
  layout: SampleLayout,
  rawLevels: readonly Volume[],
  crops: readonly RenderedCrop[],
  tick: (what: string) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const f = copy.zarrFormat;
  const ngff = ngffVersionFor(f);
  const at = (...parts: string[]) => joinKey(copy.path, ...parts);
  const opts = signal === undefined ? {} : { signal };
  const arraySpec = (shape: readonly number[], attributes: Record<string, unknown> | undefined) => ({
    shape,
    chunks: copy.chunks,
    ...(copy.shards === undefined ? {} : { shards: copy.shards }),
    dtype: "uint8" as const,
    codec: copy.codec,
    fillValue: 0,
    zarrFormat: f,
    ...(f === 3 ? { dimensionNames: ["z", "y", "x"] } : {}),
    ...(attributes === undefined ? {} : { attributes }),
  });

  for (const g of ["", "recon-1", "recon-1/em", "recon-1/labels", "recon-1/labels/groundtruth"]) {
    await writeGroup(target, at(g), { zarrFormat: f, ...opts });
  }
  await writeGroup(target, at(RAW_PATH), {
    zarrFormat: f,
    attributes: multiscalesAttributes(ngff, { name: "fibsem-uint8", levels: layout.raw.levels }),
    ...opts,
  });
  for (const [k, level] of layout.raw.levels.entries()) {
    await writeArray(target, at(RAW_PATH, level.path), arraySpec(level.shape, undefined), rawLevels[k]!.data, opts);
    tick(`${copy.path}/${RAW_PATH}/${level.path}`);
  }

  for (const crop of crops) {
    const c = crop.layout;
    await writeGroup(target, at(c.path), {
      zarrFormat: f,
      attributes: {
        cellmap: {
          annotation: {
            version: "0.1.1",
            name: c.name,
            description: "synthetic crop of the cellmap-data sample dataset",
            created_by: [],
            created_with: ["cellmap-data sample-data"],
            start_date: null,
            end_date: null,
            duration_days: null,
            protocol_uri: null,
            class_names: [...c.classes],
          },
        },
      },
      ...opts,
    });
    for (const cls of crop.classes) {
      const annotation = (absent: number) => ({
        cellmap: {
          annotation: {
            class_name: cls.name,
            annotation_type: { type: "semantic_segmentation", encoding: { ...ENCODING } },
            complement_counts: { absent },
          },
        },
      });
      await writeGroup(target, at(c.path, cls.name), {
        zarrFormat: f,
        attributes: {
          ...multiscalesAttributes(ngff, { name: cls.name, levels: c.levels }),
          ...annotation(cls.absent[0]!),
        },
        ...opts,
      });
      for (const [k, level] of c.levels.entries()) {
        await writeArray(target, at(c.path, cls.name, level.path), arraySpec(level.shape, annotation(cls.absent[k]!)), cls.levels[k]!.data, opts);
        tick(`${copy.path}/${c.path}/${cls.name}/${level.path}`);
      }
    }
  }
}

function makeManifest(
  name: string,
  seed: number,
  layout: SampleLayout,
  copies: readonly SampleCopy[],
  crops: readonly RenderedCrop[],
): SampleManifest {
  const used = new Set(crops.flatMap((c) => c.classes.map((k) => k.name)));
  return {
    name,
    seed,
    generator: "cellmap-data sample-data",
    axes: ["z", "y", "x"],
    unit: "nanometer",
    copies,
    raw: { path: layout.raw.path, dtype: "uint8", levels: layout.raw.levels, box: layout.raw.box },
    crops: crops.map((c) => ({
      name: c.layout.name,
      path: c.layout.path,
      classes: c.layout.classes,
      dtype: "uint8",
      encoding: ENCODING,
      levels: c.layout.levels,
      box: c.layout.box,
      counts: Object.fromEntries(c.classes.map((k) => {
        const n = k.levels[0]!.data.length;
        return [k.name, { present: n - k.absent[0]!, absent: k.absent[0]! }];
      })),
    })),
    classes: SAMPLE_CLASSES.filter((c) => used.has(c)),
  };
}
