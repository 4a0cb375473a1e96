/**
 * `cellmap-data batch`: open a dataset, a multi-dataset (`datasets`) or one side of a split
 * (`split`, `--split`) from a JSON config, draw one batch as the loader would feed a network (with
 * the sampler of `--sampler`), and write it out: one float32 `.npy` per array (`[B, C, ...]`),
 * `batch.json` (sampler, datasets, indices, centers and each sample's dataset and drawn plan)
 * and, with `--png`, the batch figure.
 * @module
 */

import { rngFor } from "../augment/rng.ts";
import { CellMapDataLoader } from "../dataset/dataloader.ts";
import type { SamplerKind } from "../dataset/samplers.ts";
import type { CellMapDataset } from "../dataset/dataset.ts";
import type { ArrayData, DatasetItem, SampleSource } from "../dataset/types.ts";
import { ArgumentError } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";
import { encodeNpy } from "../io/npy.ts";
import { imageGrid } from "../viz/image-grid.ts";
import { encodePng } from "../viz/png.ts";
import { numberList, rejectUnknown, stringOption, type ParsedArgs } from "./args.ts";
import { readBatchConfig, type BatchDatasetEntry, type ParsedBatchConfig } from "./batch-config.ts";
import { classFractions, planJson, toJson, type ClassFractions } from "./batch-record.ts";
import { openBatchSource, type BatchSource } from "./batch-source.ts";
import { deviceOption, openDevice } from "./device.ts";
import type { CliIo } from "./io.ts";
import type { DeviceChoice } from "../array/device.ts";
import { nodeFs, nodePath } from "./node-fs.ts";

/** Options of `batch` known on the command line. */
export const BATCH_OPTIONS = ["config", "batch-size", "seed", "epoch", "index", "sampler", "split", "device", "out-dir", "png"] as const;

/** The values of `--sampler`: the `sampler` option of `CellMapDataLoader`. */
export const SAMPLERS: readonly SamplerKind[] = ["random", "sequential", "weighted", "classBalanced"];

function intOption(args: ParsedArgs, name: string, min: number): number | undefined {
  const text = stringOption(args, name, false);
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === "" || !Number.isSafeInteger(v) || v < min) throw new ArgumentError(`--${name}`, `must be an integer >= ${min}`, text);
  return v;
}

/** Tiles of the batch figure: the longest image side of any array, and at least 128 pixels. */
export function figureTileSize(shapes: readonly (readonly number[])[]): number {
  return Math.max(128, ...shapes.map((s) => Math.max(s[s.length - 1]!, s[s.length - 2]!)));
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, ""));


/** The options of the command line, checked. */
interface BatchArgs {
  configPath: string;
  indices: number[] | undefined;
  batchSize: number;
  seed: number | undefined;
  epoch: number;
  sampler: SamplerKind;
  split: "train" | "validate" | undefined;
  /** As asked; the command resolves "auto" once the adapter is known. */
  device: DeviceChoice;
  outDir: string;
  png: boolean;
}

async function batchArgs(args: ParsedArgs): Promise<BatchArgs> {
  rejectUnknown(args, BATCH_OPTIONS);
  if (args.positional.length > 1) throw new ArgumentError("arguments", "batch takes no words besides options", args.positional.slice(1));
  const png = args.options.get("png");
  if (png !== undefined && png !== true) throw new ArgumentError("--png", "takes no value", png);
  const configPath = stringOption(args, "config", true)!;
  const indexText = stringOption(args, "index", false);
  const batchSizeOpt = intOption(args, "batch-size", 1);
  const seed = intOption(args, "seed", -Number.MAX_SAFE_INTEGER);
  const epoch = intOption(args, "epoch", 0) ?? 0;
  let indices: number[] | undefined;
  if (indexText !== undefined) {
    const parts = indexText.split(",").map((s) => s.trim());
    indices = numberList("index", indexText, parts.length);
    if (!indices.every((i) => Number.isSafeInteger(i) && i >= 0)) throw new ArgumentError("--index", "must be non-negative integers", indexText);
    if (batchSizeOpt !== undefined && batchSizeOpt !== indices.length) {
      throw new ArgumentError("--batch-size", `is ${batchSizeOpt} but --index lists ${indices.length} samples (give one of them)`, batchSizeOpt);
    }
  }
  const samplerText = stringOption(args, "sampler", false);
  if (samplerText !== undefined && !(SAMPLERS as readonly string[]).includes(samplerText)) {
    throw new ArgumentError("--sampler", 'must be "random", "sequential", "weighted" or "classBalanced"', samplerText);
  }
  if (samplerText !== undefined && indices) throw new ArgumentError("--sampler", "cannot be given with --index, which names the samples itself", samplerText);
  const split = stringOption(args, "split", false);
  if (split !== undefined && split !== "train" && split !== "validate") throw new ArgumentError("--split", 'must be "train" or "validate"', split);
  const device = deviceOption(args);
  const path = await nodePath();
  return {
    configPath, indices, batchSize: indices?.length ?? batchSizeOpt ?? 4, seed, epoch, sampler: (samplerText ?? "random") as SamplerKind,
    split, device, outDir: path.resolve(stringOption(args, "out-dir", false) ?? "cellmap-batch"), png: png === true,
  };
}

/** Draw one batch: the arrays, and per sample its global index, center, dataset, local index and plan. */
async function drawBatch(source: SampleSource, a: BatchArgs, seed: number) {
  const arrays: Record<string, ArrayData> = {};
  const { epoch } = a;
  if (a.indices) {
    const items: DatasetItem[] = [];
    for (const i of a.indices) items.push(await source.get(i, { epoch }));
    for (const name of Object.keys(items[0]!).filter((k) => k !== "idx" && k !== "center")) {
      const parts = items.map((it) => (it as unknown as Record<string, ArrayData>)[name]!);
      const n = parts[0]!.data.length;
      const data = new Float32Array(n * parts.length);
      parts.forEach((p, b) => data.set(p.data, b * n));
      arrays[name] = { data, shape: [parts.length, ...parts[0]!.shape] };
    }
    // dataset.get(i) draws sample i's augmentation from (the dataset's seed, epoch, i).
    const samples = a.indices.map((i, b) => {
      const { dataset, index } = source.locate(i);
      return { idx: i, center: items[b]!.center, dataset, index, plan: dataset.plan(index, rngFor(dataset.seed, epoch, index)) };
    });
    return { arrays, samples };
  }
  const loader = new CellMapDataLoader(source, { batchSize: a.batchSize, seed, epoch, sampler: a.sampler, iterationsPerEpoch: 1, prefetch: 1 });
  // The loader reads stream positions 0..B-1 of batch 0 grouped by dataset (stable), and draws
  // position p's augmentation from (seed, epoch, p): replay that to know each sample's draws.
  const order = new Map(source.datasets.map((d, i) => [d, i]));
  const drawn = (await loader.indices(0)).map((idx, p) => ({ idx, p, ...source.locate(idx) }));
  drawn.sort((x, y) => order.get(x.dataset)! - order.get(y.dataset)! || x.p - y.p);
  let batch: Record<string, unknown> | undefined;
  for await (const b of loader) {
    batch = b as unknown as Record<string, unknown>;
    break;
  }
  const idx = batch!["idx"] as number[];
  const centers = batch!["center"] as Vec3[];
  if (idx.some((i, b) => drawn[b]!.idx !== i)) throw new Error(`internal: the loader's batch ${idx} is not the replayed draw ${drawn.map((d) => d.idx)}`);
  for (const [name, v] of Object.entries(batch!)) if (name !== "idx" && name !== "center" && name !== "release") arrays[name] = v as ArrayData;
  const samples = drawn.map((d, b) => ({ idx: d.idx, center: centers[b]!, dataset: d.dataset, index: d.index, plan: d.dataset.plan(d.index, rngFor(seed, epoch, d.p)) }));
  return { arrays, samples };
}

/** Run `cellmap-data batch`; resolves with the exit code. */
export async function batchCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const a = await batchArgs(args);
  const path = await nodePath();
  const config = await readBatchConfig(a.configPath);
  if (a.split !== undefined && config.form !== "split") throw new ArgumentError("--split", "applies only to a config with a split ({ split: { train, validate } })", a.split);
  if (a.split === "validate" && !config.entries.some((e) => e.usage === "validate")) throw new ArgumentError("--split", "is validate but the config's split has no validate datasets", a.split);
  const seed = a.seed ?? config.seed ?? 0;
  const { device, gpu } = await openDevice(a.device, "cellmap-data batch");
  a.device = device;
  let opened: BatchSource | undefined;
  try {
    opened = await openBatchSource(config, { seed, device, ...(gpu ? { gpu } : {}), ...(a.split ? { split: a.split } : {}) });
    const { source: ds, entryOf } = opened;
    const first = ds.datasets[0];
    if (ds.length === 0 || !first) {
      const field = config.form === "dataset" ? (first?.hasData ? "inputArrays" : "classes") : config.form === "datasets" ? "datasets" : `split.${a.split ?? "train"}`;
      throw new ArgumentError(field, config.form !== "dataset"
        ? "leave no sample: no dataset's outputs fit in its arrays' common box with one of the classes annotated (set pad: true, or forceHasData: true)"
        : first?.hasData
        ? "leave no sample: the outputs do not fit in the arrays' common box (set pad: true to let them hang over)"
        : "are none of the classes the target path annotates (set forceHasData: true to sample anyway)");
    }
    for (const i of a.indices ?? []) if (i >= ds.length) throw new ArgumentError("--index", `must be below the dataset's length ${ds.length}`, i);
    const { arrays, samples } = await drawBatch(ds, a, seed);
    const idx = samples.map((s) => s.idx);
    const offsets = new Map(ds.groups().map((g) => [g.dataset, g.start]));
    const datasetJson = (d: CellMapDataset) => {
      const e = entryOf.get(d)!;
      return { index: e.index, ...(e.field ? { entry: e.field } : {}), ...(e.usage ? { usage: e.usage } : {}), inputPath: e.options.inputPath };
    };

    // Write the arrays, the record and the figure.
    const fs = await nodeFs();
    await fs.mkdir(a.outDir, { recursive: true });
    const written: string[] = [];
    const arrayInfo: Record<string, unknown> = {};
    for (const [name, arr] of Object.entries(arrays)) {
      const file = path.join(a.outDir, `${name}.npy`);
      await io.writeFile(file, encodeNpy(arr.data, arr.shape));
      written.push(file);
      const kind = name in first.inputArrays ? "input" : name in first.cellposeTargets ? "cellpose" : "target";
      arrayInfo[name] = {
        file: `${name}.npy`, shape: arr.shape, kind,
        ...(kind === "target" ? { classes: ds.classes } : kind === "cellpose" ? { class: first.cellposeTargets[name]!.class, channels: arr.shape.length === 4 ? ["rows", "columns"] : ["z", "y", "x"] } : {}),
      };
    }
    // Every dataset of a batch has the same classes and emptyValue (the batch reader checks it).
    const fractions: Record<string, Record<string, ClassFractions>> = {};
    for (const name of Object.keys(first.targetArrays)) fractions[name] = classFractions(arrays[name]!.data, arrays[name]!.shape, ds.classes, first.emptyValue);
    let pngInfo: { file: string; width: number; height: number; tileSize: number; columns: unknown } | undefined;
    if (a.png) {
      const tileSize = figureTileSize(Object.values(arrays).map((x) => x.shape));
      const grid = imageGrid(arrays, { dataset: first, tileSize });
      await io.writeFile(path.join(a.outDir, "batch.png"), await encodePng(grid));
      pngInfo = { file: "batch.png", width: grid.width, height: grid.height, tileSize, columns: grid.columns };
    }
    const jsonFile = path.join(a.outDir, "batch.json");
    await io.writeFile(jsonFile, new TextEncoder().encode(toJson({
      config: path.resolve(a.configPath),
      device,
      seed,
      epoch: a.epoch,
      sampler: a.indices ? "indices" : a.sampler,
      ...(config.form === "split" ? { split: a.split ?? "train" } : {}),
      batchSize: idx.length,
      length: ds.length,
      ...(config.form === "dataset" ? { grid: { dims: first.grid.dims, step: first.grid.step, origin: first.grid.origin, box: first.grid.box } } : {}),
      datasets: ds.datasets.map((d) => ({
        ...datasetJson(d),
        targetPath: entryOf.get(d)!.options.targetPath,
        offset: offsets.get(d) ?? null,
        length: d.length,
        grid: { dims: d.grid.dims, step: d.grid.step, origin: d.grid.origin, box: d.grid.box },
      })),
      classes: ds.classes,
      emptyValue: first.emptyValue,
      indices: idx,
      centers: samples.map((s) => s.center),
      samples: samples.map((s) => planJson(s.idx, s.plan, { ...datasetJson(s.dataset), sample: s.index })),
      arrays: arrayInfo,
      classFractions: fractions,
      ...(pngInfo ? { png: pngInfo } : {}),
    }) + "\n"));
    written.push(jsonFile);
    if (pngInfo) written.push(path.join(a.outDir, pngInfo.file));
    io.stdout(summary(ds, config.form, a, seed, samples.map((s) => ({ idx: s.idx, entry: entryOf.get(s.dataset)! })), arrays, fractions, entryOf, written.map((w) => path.basename(w))));
    return 0;
  } finally {
    opened?.destroy();
    gpu?.destroy();
  }
}

/** The printed summary. */
function summary(
  ds: SampleSource, form: ParsedBatchConfig["form"], a: BatchArgs, seed: number, samples: ReadonlyArray<{ idx: number; entry: BatchDatasetEntry }>,
  arrays: Record<string, ArrayData>, fractions: Record<string, Record<string, ClassFractions>>, entryOf: ReadonlyMap<CellMapDataset, BatchDatasetEntry>,
  written: readonly string[],
): string {
  const grid = (d: CellMapDataset) => `${d.length} samples on a ${d.grid.dims.join(" x ")} grid (z, y, x), step ${d.grid.step.map(fmt).join(", ")}`;
  const lines = form === "dataset" ? [`dataset: ${grid(ds.datasets[0]!)}`] : [
    `datasets: ${ds.datasets.length}${form === "split" ? ` (split ${a.split ?? "train"})` : ""}, ${ds.length} samples`,
    ...ds.datasets.map((d) => `  ${entryOf.get(d)!.field}: ${entryOf.get(d)!.options.inputPath}: ${grid(d)}`),
  ];
  lines.push(`batch: ${samples.length} samples (${a.indices ? "--index" : `${a.sampler} sampler, seed ${seed}`}, epoch ${a.epoch}, ${a.device}): indices ${samples.map((s) => s.idx).join(", ")}`);
  if (form !== "dataset") lines.push(`  from ${samples.map((s) => s.entry.field).join(", ")}`);
  const classes = ds.classes;
  for (const [name, arr] of Object.entries(arrays)) {
    let lo = Infinity;
    let hi = -Infinity;
    let nan = 0;
    for (const v of arr.data) {
      if (Number.isNaN(v)) nan++;
      else {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    lines.push(`  ${name} [${arr.shape.join(", ")}]: min ${fmt(lo)}, max ${fmt(hi)}${nan ? `, ${nan} NaN` : ""}`);
    const f = fractions[name];
    if (!f) continue;
    const width = Math.max(5, ...classes.map((c) => c.length));
    lines.push(`    ${"class".padEnd(width)}  foreground  background  unknown`);
    for (const c of classes) {
      const r = f[c]!;
      lines.push(`    ${c.padEnd(width)}  ${r.foreground.toFixed(4).padEnd(10)}  ${r.background.toFixed(4).padEnd(10)}  ${r.unknown.toFixed(4)}`);
    }
  }
  lines.push(`wrote ${a.outDir}: ${written.join(", ")}`);
  return lines.join("\n") + "\n";
}
