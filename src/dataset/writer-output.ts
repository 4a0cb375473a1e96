/**
 * Setting up the output of a {@link CellMapDatasetWriter}, in the order `create` runs it: the
 * options checked and fingerprinted ({@link planWriter}), the output opened (an earlier run's
 * progress read back, or a foreign or different output refused: {@link openOutput}), and the
 * zarr layout written: the root group, one multiscale group per class and its arrays, one per
 * target array ({@link writeOutputLayout}).
 *
 * @example
 * ```ts
 * const plan = planWriter(options);
 * const { target, prefix } = await openOutput(options, plan);
 * const arrays = await writeOutputLayout(target, prefix, options, plan.geometry, plan.zarrFormat);
 * arrays.get("mito/pred")!.path; // "mito/s0"
 * ```
 * @module
 */

import { ARRAY_OPEN_KEYS, checkArrayOpenOptions, checkOptions } from "../arguments.ts";
import { ArgumentError, throwIfAborted } from "../errors.ts";
import { createArray, multiscalesAttributes, ngffVersionFor, writeGroup, type ZarrArray } from "../zarr-write/index.ts";
import { planWriterGeometry, type WriterGeometry } from "./writer-geometry.ts";
import { type ResolvedWriterInputs, resolveWriterInputs, type WriterInputOptions } from "./writer-inputs.ts";
import type { DatasetWriterOptions, ReadWriteTarget } from "./writer-options.ts";
import { parseProgress, PROGRESS } from "./writer-store.ts";

/** What the options settle before anything is read or written. */
export interface WriterPlan {
  readonly zarrFormat: 2 | 3;
  readonly geometry: WriterGeometry;
  /** The input options, checked (undefined when the writer reads no inputs). */
  readonly inputs: ResolvedWriterInputs | undefined;
  /** The options that shape the output, as JSON: a rerun resumes only when they are the same. */
  readonly fingerprint: string;
}

/** The output as found: where it is, and the tiles an earlier run finished. */
export interface OutputState {
  readonly target: ReadWriteTarget;
  /** Key prefix of the output inside `target` ("" for a filesystem output). */
  readonly prefix: string;
  /** Finished-tile bitmap (one bit per tile), from the progress file or all clear. */
  readonly done: Uint8Array;
  /** The progress file's bytes, when there was one. */
  readonly saved: Uint8Array | undefined;
  /** True when the output already holds a progress file or a root group. */
  readonly exists: boolean;
}

/** The key of `parts` under the output's `prefix`. */
export function outputKey(prefix: string, ...parts: string[]): string {
  return [prefix, ...parts].filter((p) => p !== "").join("/");
}

/** Every option of {@link CellMapDatasetWriter.create}, for naming unknown keys. */
const WRITER_OPTION_KEYS: readonly string[] = [
  ...ARRAY_OPEN_KEYS, "path", "classes", "targetArrays", "targetBounds", "dtype", "zarrFormat", "codec", "fillValue", "overwrite",
  "target", "onProgress", "inputPath", "inputArrays", "valueTransforms", "inputPad", "seed",
];

/**
 * Check the options (classes, format, geometry, callback, inputs) and fingerprint them.
 *
 * @throws {ArgumentError} naming the bad option
 */
export function planWriter<I extends string>(options: DatasetWriterOptions<I>): WriterPlan {
  checkOptions("CellMapDatasetWriter.create", options, WRITER_OPTION_KEYS);
  checkArrayOpenOptions(options as unknown as Record<string, unknown>);
  if (typeof options.path !== "string" || (options.path === "" && options.target === undefined)) {
    throw new ArgumentError("path", "must be the output folder (or the key prefix within `target`)", options.path);
  }
  if (!Array.isArray(options.classes) || options.classes.length === 0) {
    throw new ArgumentError("classes", "must list at least one class", options.classes);
  }
  options.classes.forEach((c, i) => {
    if (typeof c !== "string" || !/^[A-Za-z0-9_.-]+$/.test(c) || c === PROGRESS || c.startsWith(".")) {
      throw new ArgumentError(`classes[${i}]`, "must be a name of letters, digits, '_', '-' or '.'", c);
    }
  });
  if (new Set(options.classes).size !== options.classes.length) throw new ArgumentError("classes", "must not repeat a name", options.classes);
  const zarrFormat = options.zarrFormat ?? 3;
  if (zarrFormat !== 2 && zarrFormat !== 3) throw new ArgumentError("zarrFormat", "must be 2 or 3", zarrFormat);
  const geometry = planWriterGeometry(options.targetArrays, options.targetBounds);
  if (options.onProgress !== undefined && typeof options.onProgress !== "function") {
    throw new ArgumentError("onProgress", "must be a function", options.onProgress);
  }
  const inputs = resolveWriterInputs(options as WriterInputOptions);
  const fingerprint = JSON.stringify({
    classes: options.classes,
    dtype: options.dtype ?? "float32",
    zarrFormat,
    fillValue: options.fillValue ?? 0,
    extent: geometry.extent,
    origin: geometry.origin,
    counts: geometry.counts,
    arrays: geometry.plans.map((p) => [p.name, p.level, p.shape, p.scale, p.outShape, p.translation]),
  });
  return { zarrFormat, geometry, inputs, fingerprint };
}

/**
 * Open the output (`target`, or the folder `path`) and read back an earlier run's progress.
 *
 * @throws {ArgumentError} naming `path` when the output holds a run with other options, or a zarr
 *   group this writer did not start, and `overwrite` is not set
 * @throws {MetadataError} when the progress file is not readable
 */
export async function openOutput<I extends string>(options: DatasetWriterOptions<I>, plan: WriterPlan): Promise<OutputState> {
  const { geometry, zarrFormat, fingerprint } = plan;
  const target = options.target ?? (await import("../zarr-write/fs-target.ts")).createFsTarget(options.path);
  const prefix = options.target === undefined ? "" : options.path;
  const key = (...parts: string[]) => outputKey(prefix, ...parts);
  const tiles = geometry.counts[0] * geometry.counts[1] * geometry.counts[2];
  const done = new Uint8Array(Math.ceil(tiles / 8));

  const saved = await target.get(key(PROGRESS));
  const exists = saved !== undefined || (await target.get(key(zarrFormat === 3 ? "zarr.json" : ".zgroup"))) !== undefined;
  if (saved !== undefined && options.overwrite !== true) {
    const progress = parseProgress(saved, key(PROGRESS));
    if (progress.fingerprint !== fingerprint) {
      throw new ArgumentError("path", `holds an output written with other options (${key(PROGRESS)}); pass overwrite: true to replace it`, options.path);
    }
    done.set(progress.done.subarray(0, done.length));
  } else if (exists && options.overwrite !== true) {
    throw new ArgumentError("path", "already holds a zarr group that this writer did not start; pass overwrite: true to replace it", options.path);
  }
  return { target, prefix, done, saved, exists };
}

/**
 * Write the root group, the class groups and their arrays (metadata only; no chunk yet).
 *
 * @returns the arrays by `"<class>/<target array>"`
 */
export async function writeOutputLayout<I extends string>(
  target: ReadWriteTarget,
  prefix: string,
  options: DatasetWriterOptions<I>,
  geometry: WriterGeometry,
  zarrFormat: 2 | 3,
): Promise<Map<string, ZarrArray>> {
  const { signal } = options;
  const key = (...parts: string[]) => outputKey(prefix, ...parts);
  const arrays = new Map<string, ZarrArray>();
  const version = ngffVersionFor(zarrFormat);
  await writeGroup(target, key(), {
    zarrFormat,
    attributes: { cellmap: { writer: { classes: [...options.classes], arrays: geometry.plans.map((p) => ({ name: p.name, level: p.level })) } } },
  });
  for (const cls of options.classes) {
    throwIfAborted(signal, "CellMapDatasetWriter.create");
    const levels = geometry.plans.map((p) => ({ path: p.level, scale: p.scale, translation: p.translation }));
    await writeGroup(target, key(cls), { zarrFormat, attributes: multiscalesAttributes(version, { name: cls, levels }) });
    for (const p of geometry.plans) {
      const array = await createArray(target, key(cls, p.level), {
        shape: p.outShape,
        chunks: p.chunks,
        dtype: options.dtype ?? "float32",
        zarrFormat,
        fillValue: options.fillValue ?? 0,
        ...(options.codec === undefined ? {} : { codec: options.codec }),
        ...(zarrFormat === 3 ? { dimensionNames: ["z", "y", "x"] } : {}),
      });
      arrays.set(`${cls}/${p.name}`, array);
    }
  }
  return arrays;
}
