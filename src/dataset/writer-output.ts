/**
 * Setting up the output of a {@link CellMapDatasetWriter}, in the order `create` runs it: the
 * options checked and fingerprinted ({@link planWriter}), the output opened (an earlier run's
 * progress read back, temporary files of a killed run removed, or a foreign or different output
 * refused: {@link openOutput}), the output claimed by writing its progress file, and the zarr
 * layout written: the root group, one multiscale group per class and its arrays, one per target
 * array ({@link writeOutputLayout}).
 *
 * Kill safety: every file is written whole or not at all (temporary file + rename), the progress
 * file comes first and the layout is rewritten on every open, so a run killed at any point of
 * `create` leaves either nothing of its own, or a progress file with the fingerprint, from which
 * the next run with the same options completes the layout and resumes. A root group written by
 * this writer with no progress file (a run killed by an earlier version) is completed the same way.
 *
 * @example
 * ```ts
 * const plan = planWriter(options);
 * const { target, prefix, removeTemporaryFiles } = await openOutput(options, plan);
 * // ... claim the output (write the progress file), then:
 * await removeTemporaryFiles();
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
  /**
   * Delete the temporary files a killed run left in a filesystem output (none for other
   * targets); call it once the output is claimed. In a folder that held no output of this writer,
   * only the progress file's: the folder may hold other files that are none of its business.
   */
  removeTemporaryFiles(): Promise<number>;
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
  const fsTarget = options.target === undefined ? (await import("../zarr-write/fs-target.ts")).createFsTarget(options.path) : undefined;
  const target = options.target ?? fsTarget!;
  const prefix = options.target === undefined ? "" : options.path;
  const key = (...parts: string[]) => outputKey(prefix, ...parts);
  const tiles = geometry.counts[0] * geometry.counts[1] * geometry.counts[2];
  const done = new Uint8Array(Math.ceil(tiles / 8));

  const saved = await target.get(key(PROGRESS));
  const group = await target.get(key(zarrFormat === 3 ? "zarr.json" : ".zgroup"));
  const exists = saved !== undefined || group !== undefined;
  if (saved !== undefined && options.overwrite !== true) {
    const progress = parseProgress(saved, key(PROGRESS));
    if (progress.fingerprint !== fingerprint) {
      throw new ArgumentError("path", `holds an output written with other options (${key(PROGRESS)}); pass overwrite: true to replace it`, options.path);
    }
    done.set(progress.done.subarray(0, done.length));
  } else if (group !== undefined && options.overwrite !== true) {
    const started = await startedBy(target, key, zarrFormat, group);
    if (started === undefined) {
      throw new ArgumentError("path", "already holds a zarr group that this writer did not start; pass overwrite: true to replace it", options.path);
    }
    if (JSON.stringify(started) !== JSON.stringify(writerAttributes(options.classes, geometry))) {
      throw new ArgumentError("path", "holds an unfinished output started with other classes or arrays; pass overwrite: true to replace it", options.path);
    }
  }
  // What a killed run was writing when it died (the files it renamed into place are whole).
  const removeTemporaryFiles = () => fsTarget?.removeTemporaryFiles(exists ? undefined : PROGRESS) ?? Promise.resolve(0);
  return { target, prefix, done, saved, exists, removeTemporaryFiles };
}

/**
 * The `cellmap.writer` attributes of the root group, when this writer made it: then an output
 * whose `create` was killed before its progress file was written (by an earlier version, which
 * wrote the layout first). No tile was written to it, so completing it is safe.
 */
async function startedBy(target: ReadWriteTarget, key: (...parts: string[]) => string, zarrFormat: 2 | 3, group: Uint8Array): Promise<unknown> {
  const attrs = zarrFormat === 3 ? group : await target.get(key(".zattrs"));
  if (attrs === undefined) return undefined;
  try {
    const doc = JSON.parse(new TextDecoder().decode(attrs)) as { attributes?: { cellmap?: { writer?: unknown } }; cellmap?: { writer?: unknown } };
    const writer = zarrFormat === 3 ? doc.attributes?.cellmap?.writer : doc.cellmap?.writer;
    return writer !== null && typeof writer === "object" ? writer : undefined;
  } catch {
    return undefined;
  }
}

/** What the root group records of the writer: the classes, and each target array's level. */
function writerAttributes(classes: readonly string[], geometry: WriterGeometry): { classes: string[]; arrays: Array<{ name: string; level: string }> } {
  return { classes: [...classes], arrays: geometry.plans.map((p) => ({ name: p.name, level: p.level })) };
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
    attributes: { cellmap: { writer: writerAttributes(options.classes, geometry) } },
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
