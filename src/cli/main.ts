import { CellMapArray } from "../array/cellmap-array.ts";
import { openMultiscale, type OpenedMultiscale } from "../array/open-multiscale.ts";
import { ArgumentError, CellMapError } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";
import { isHttpUrl } from "../store/open.ts";
import { encodeNpy } from "../io/npy.ts";
import { numberList, padValue, parseArgs, rejectUnknown, stringOption, type ParsedArgs } from "./args.ts";
import { batchCommand } from "./batch.ts";
import type { CliIo } from "./io.ts";
import { deviceOption, openDevice } from "./device.ts";
import { linkCommand } from "./link.ts";

export type { CliIo } from "./io.ts";

export const USAGE = `cellmap-data: sample training and inspection patches from OME-NGFF zarr

Usage:
  cellmap-data info <url-or-path> [--json]
  cellmap-data sample <url-or-path> --center=z,y,x --shape=z,y,x --scale=z,y,x
                      [--matrix=a00,...,a22] [--interp=linear|nearest] [--pad=VALUE]
                      [--device=gpu|cpu|auto] [--cache-mb=N] [--workers=N] --out=FILE.npy
  cellmap-data batch --config=FILE.json [--batch-size=N] [--seed=S] [--epoch=E]
                     [--index=i,j,...] [--device=gpu|cpu|auto] [--out-dir=DIR] [--png]
                     [--sampler=random|sequential|weighted|classBalanced] [--split=train|validate]
  cellmap-data link <url> [--center=z,y,x] [--labels=url,...] [--base=URL]

<url-or-path> is a multiscale group, e.g. https://host/data.zarr/recon-1/em/fibsem-uint8.
Axes are z,y,x in world units (nanometers for CellMap data). --matrix is the
augmentation matrix A, row-major; --pad takes a number or NaN.

batch opens a dataset from a JSON file of CellMapDataset.open options (inputPath,
targetPath, classes, inputArrays, targetArrays, spatialTransforms, valueTransforms,
isTrain, pad, emptyValue as a number or "NaN", storeOptions: { headers, maxTries,
backoffMs, maxConcurrency }, ...; local paths relative to the file). With
"datasets": [{ inputPath, targetPath, ...overrides }, ...] it reads them as one
multi-dataset; with "split": { "train": [...], "validate": [...] } (or the path of a
datasplit CSV) it reads the side --split names (default train). It draws one batch as
the data loader does (--sampler, default random; --index reads those samples
instead). It writes DIR/<array>.npy (float32 [B, C, ...]), DIR/batch.json (datasets,
indices, centers, each sample's dataset, matrix, deformation and value ops) and, with
--png, DIR/batch.png; DIR defaults to ./cellmap-batch. Defaults: 4 samples, seed from
the config (else 0), epoch 0, gpu.

link prints a neuroglancer URL of an array served over HTTP, centered on --center
(default: the array's center), with each --labels array as a segmentation layer;
--base is the neuroglancer deployment (default https://neuroglancer-demo.appspot.com/).
`;

/** Run the command line; resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv);
  const [command, target, ...extra] = args.positional;
  try {
    if (command === undefined || args.options.has("help") || command === "help") {
      io.stdout(USAGE);
      return command === undefined && !args.options.has("help") ? 2 : 0;
    }
    if (!["info", "sample", "batch", "link"].includes(command)) throw new ArgumentError("command", 'must be "info", "sample", "batch" or "link"', command);
    for (const [k, v] of args.options) {
      if (v === true && k !== "json" && k !== "png") stringOption(args, k, false);
    }
    if (command === "batch") return await batchCommand(args, io);
    if (target === undefined) throw new ArgumentError(command === "link" ? "<url>" : "<url-or-path>", "is required");
    if (extra.length) throw new ArgumentError("arguments", "has unexpected extra words", extra);
    if (command === "info") return await info(target, args, io);
    if (command === "link") return await linkCommand(target, args, io);
    return await sample(target, args, io);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    io.stderr(`cellmap-data: error: ${msg.replace(/\s*\n\s*/g, " ")}\n`);
    return e instanceof ArgumentError ? 2 : 1;
  }
}

async function info(target: string, args: ParsedArgs, io: CliIo): Promise<number> {
  rejectUnknown(args, ["json"]);
  const ms = await openMultiscale(target);
  const classes = await findLabelClasses(ms);
  if (args.options.has("json")) {
    io.stdout(JSON.stringify({
      url: ms.url,
      version: ms.multiscale.version,
      axes: ms.multiscale.axes,
      unit: ms.multiscale.unit ?? null,
      levels: ms.levels.map((l) => ({
        path: l.path,
        shape: l.shape,
        scale: l.scale,
        translation: l.translation,
        dtype: l.dtype,
        chunks: l.chunks,
        shards: l.shards ?? null,
        codecs: l.codecs,
        fillValue: l.fillValue,
        zarrFormat: l.zarrFormat,
      })),
      annotation: ms.annotation ?? null,
      classes,
    }, null, 2) + "\n");
    return 0;
  }
  const unit = ms.multiscale.unit ?? "units";
  const lines = [`${ms.url}`, `OME-NGFF ${ms.multiscale.version}, axes ${ms.multiscale.axes.map((a) => a.name).join(",")}, ${unit}`];
  const rows = [["level", "shape (z,y,x)", "voxel size", "translation", "dtype", "chunks", "codecs"]];
  for (const l of ms.levels) {
    rows.push([
      l.path,
      l.shape.join("x"),
      l.scale.join(","),
      l.translation.join(","),
      l.dtype,
      l.chunks.join("x") + (l.shards ? ` in shards ${l.shards.join("x")}` : ""),
      l.codecs.join(" + ") || "none",
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) lines.push(r.map((s, c) => s.padEnd(widths[c]!)).join("  ").trimEnd());
  if (ms.annotation) {
    lines.push(`label class: ${ms.annotation.className} (${ms.annotation.annotationType ?? "annotation"})` +
      (ms.annotation.complementCounts ? `, complement counts ${JSON.stringify(ms.annotation.complementCounts)}` : ""));
  }
  if (classes.length) lines.push(`label classes: ${classes.join(", ")}`);
  io.stdout(lines.join("\n") + "\n");
  return 0;
}

/**
 * Label classes of a CellMap layout. Over HTTP folders cannot be listed, so only this group's own
 * annotation is reported; for a local `.../recon-N/em/<name>` group, the sibling
 * `labels/groundtruth/crop*` folders are listed too, as `crop/class`.
 */
async function findLabelClasses(ms: OpenedMultiscale): Promise<string[]> {
  const found = ms.annotation ? [ms.annotation.className] : [];
  if (isHttpUrl(ms.url)) return found;
  const m = /^(.*\/recon-[^/]+)\/em\/[^/]+$/.exec(ms.url.replace(/\/+$/, ""));
  if (!m) return found;
  const specifier = "node:fs/promises";
  const fs = (await import(/* @vite-ignore */ specifier)) as typeof import("node:fs/promises");
  const gt = `${m[1]}/labels/groundtruth`;
  try {
    for (const crop of (await fs.readdir(gt)).sort()) {
      let entries: string[];
      try {
        entries = (await fs.readdir(`${gt}/${crop}`)).sort();
      } catch {
        continue;
      }
      for (const cls of entries) {
        if (cls.startsWith(".") || cls === "zarr.json") continue;
        found.push(`${crop}/${cls}`);
      }
    }
  } catch {
    // No ground truth next to this group.
  }
  return found;
}

async function sample(target: string, args: ParsedArgs, io: CliIo): Promise<number> {
  rejectUnknown(args, ["center", "shape", "scale", "matrix", "interp", "pad", "device", "out", "cache-mb", "workers"]);
  const center = numberList("center", stringOption(args, "center", true)!, 3) as Vec3;
  const shape = numberList("shape", stringOption(args, "shape", true)!, 3) as Vec3;
  if (!shape.every((n) => Number.isInteger(n) && n > 0)) throw new ArgumentError("--shape", "must be 3 positive integers", shape.join(","));
  const scale = numberList("scale", stringOption(args, "scale", true)!, 3) as Vec3;
  if (!scale.every((n) => n > 0)) throw new ArgumentError("--scale", "must be 3 positive numbers", scale.join(","));
  const m = stringOption(args, "matrix", false);
  const matrix = m === undefined ? undefined : numberList("matrix", m, 9);
  const interp = stringOption(args, "interp", false) ?? "linear";
  if (interp !== "linear" && interp !== "nearest") throw new ArgumentError("--interp", 'must be "linear" or "nearest"', interp);
  const padText = stringOption(args, "pad", false);
  const pad = padText === undefined ? 0 : padValue(padText);
  const choice = deviceOption(args);
  const out = stringOption(args, "out", true)!;
  if (!out.endsWith(".npy")) throw new ArgumentError("--out", "must name a .npy file", out);
  const cacheMb = stringOption(args, "cache-mb", false);
  const workers = stringOption(args, "workers", false);

  const { device, gpu } = await openDevice(choice, "cellmap-data cli");
  let array: CellMapArray | undefined;
  try {
    const opts: Parameters<typeof CellMapArray.open>[1] = { device };
    if (gpu) opts.gpu = gpu;
    if (cacheMb !== undefined) opts.cacheBytes = numberList("cache-mb", cacheMb, 1)[0]! * 1024 * 1024;
    if (workers !== undefined) opts.workers = numberList("workers", workers, 1)[0]!;
    array = await CellMapArray.open(target, opts);
    const spec = matrix ? { center, augment: matrix } : { center };
    const data = await array.sample([spec], { shape, scale, interp, pad });
    await io.writeFile(out, encodeNpy(data, shape));
    const t = array.transformer({ shape, scale }, interp);
    const s = array.stats;
    io.stderr(`wrote ${out}: ${shape.join("x")} float32 from level ${array.levels[t.level]!.path} ` +
      `(${s.misses} chunks, ${s.bytesFetched} bytes fetched, ${device})\n`);
    return 0;
  } finally {
    array?.destroy();
    gpu?.destroy();
  }
}

export { CellMapError };
