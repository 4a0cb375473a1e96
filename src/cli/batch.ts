/**
 * `cellmap-data batch`: open a dataset from a JSON config, draw one batch as the loader would
 * feed a network (with the sampler of `--sampler`), and write it out: one float32 `.npy` per
 * array (`[B, C, ...]`), `batch.json` (sampler, indices, centers and each sample's drawn plan)
 * and, with `--png`, the batch figure.
 * @module
 */

import { rngFor } from "../augment/rng.ts";
import { CellMapDataLoader } from "../dataset/dataloader.ts";
import type { SamplerKind } from "../dataset/samplers.ts";
import { CellMapDataset, type SamplePlan } from "../dataset/dataset.ts";
import type { ArrayData } from "../dataset/types.ts";
import { ArgumentError } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";
import { GpuContext } from "../gpu/context.ts";
import { encodeNpy } from "../io/npy.ts";
import { imageGrid } from "../viz/image-grid.ts";
import { encodePng } from "../viz/png.ts";
import { numberList, rejectUnknown, stringOption, type ParsedArgs } from "./args.ts";
import { readBatchConfig } from "./batch-config.ts";
import type { CliIo } from "./io.ts";
import { nodeFs, nodePath } from "./node-fs.ts";

/** Options of `batch` known on the command line. */
export const BATCH_OPTIONS = ["config", "batch-size", "seed", "epoch", "index", "sampler", "device", "out-dir", "png"] as const;

/** The values of `--sampler`: the `sampler` option of `CellMapDataLoader`. */
export const SAMPLERS: readonly SamplerKind[] = ["random", "sequential", "weighted", "classBalanced"];

/** Voxel fractions of one class in a batch. */
export interface ClassFractions {
  foreground: number;
  background: number;
  unknown: number;
}

/**
 * Per class, the fraction of a target batch's voxels that are foreground (`x > 0`), background
 * (`x <= 0`) and unknown (NaN, or `emptyValue` when it is a number other than 0).
 *
 * @param data A target array `[B, C, ...]`, C in the order of `classes`.
 * @example
 * ```ts
 * classFractions(new Float32Array([1, 0, NaN, 0]), [1, 1, 2, 2], ["mito"], NaN);
 * // { mito: { foreground: 0.25, background: 0.5, unknown: 0.25 } }
 * ```
 */
export function classFractions(data: Float32Array, shape: readonly number[], classes: readonly string[], emptyValue: number): Record<string, ClassFractions> {
  const B = shape[0]!;
  const C = shape[1]!;
  const n = shape.slice(2).reduce((a, b) => a * b, 1);
  const out: Record<string, ClassFractions> = {};
  const unknownValue = Number.isNaN(emptyValue) || emptyValue === 0 ? undefined : emptyValue;
  for (let c = 0; c < C; c++) {
    let fg = 0;
    let unknown = 0;
    for (let b = 0; b < B; b++) {
      const base = (b * C + c) * n;
      for (let i = 0; i < n; i++) {
        const v = data[base + i]!;
        if (Number.isNaN(v) || v === unknownValue) unknown++;
        else if (v > 0) fg++;
      }
    }
    const total = B * n;
    out[classes[c]!] = { foreground: fg / total, background: (total - fg - unknown) / total, unknown: unknown / total };
  }
  return out;
}

function intOption(args: ParsedArgs, name: string, min: number): number | undefined {
  const text = stringOption(args, name, false);
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === "" || !Number.isSafeInteger(v) || v < min) throw new ArgumentError(`--${name}`, `must be an integer >= ${min}`, text);
  return v;
}

/** A JSON-safe copy: NaN and infinities as strings (JSON has none), typed arrays as lists, no functions. */
function plain(v: unknown): unknown {
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>, plain);
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x !== "function" && x !== undefined).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

/** Indented JSON with lists of plain values (vectors, matrix rows) kept on one line. */
function toJson(value: unknown, indent = ""): string {
  const v = indent === "" ? plain(value) : value;
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x !== "object" || x === null)) return `[${v.map((x) => JSON.stringify(x)).join(", ")}]`;
    const inner = indent + "  ";
    return `[\n${v.map((x) => inner + toJson(x, inner)).join(",\n")}\n${indent}]`;
  }
  if (typeof v === "object" && v !== null) {
    const entries = Object.entries(v);
    if (entries.length === 0) return "{}";
    const inner = indent + "  ";
    return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${toJson(x, inner)}`).join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(v);
}

/** A sample's plan as `batch.json` records it. */
function planJson(index: number, plan: SamplePlan) {
  const a = plan.augment ?? [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const d = plan.deform;
  let maxDisplacement = 0;
  if (d) for (const v of d.values) maxDisplacement = Math.max(maxDisplacement, Math.abs(v));
  return {
    index,
    center: plan.center,
    matrix: [0, 1, 2].map((r) => [a[r * 3]!, a[r * 3 + 1]!, a[r * 3 + 2]!]),
    augmented: plan.augment !== undefined,
    deformed: d !== undefined,
    ...(d ? { deform: { dims: d.dims, spacing: d.spacing, maxDisplacement } } : {}),
    inputOps: plan.inputOps,
    targetOps: plan.targetOps,
  };
}

/** Tiles of the batch figure: the longest image side of any array, and at least 128 pixels. */
export function figureTileSize(shapes: readonly (readonly number[])[]): number {
  return Math.max(128, ...shapes.map((s) => Math.max(s[s.length - 1]!, s[s.length - 2]!)));
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, ""));

/** Run `cellmap-data batch`; resolves with the exit code. */
export async function batchCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  rejectUnknown(args, BATCH_OPTIONS);
  if (args.positional.length > 1) throw new ArgumentError("arguments", "batch takes no words besides options", args.positional.slice(1));
  const png = args.options.get("png");
  if (png !== undefined && png !== true) throw new ArgumentError("--png", "takes no value", png);
  const configPath = stringOption(args, "config", true)!;
  const indexText = stringOption(args, "index", false);
  const batchSizeOpt = intOption(args, "batch-size", 1);
  const seedOpt = intOption(args, "seed", -Number.MAX_SAFE_INTEGER);
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
  const batchSize = indices?.length ?? batchSizeOpt ?? 4;
  const samplerText = stringOption(args, "sampler", false);
  if (samplerText !== undefined && !(SAMPLERS as readonly string[]).includes(samplerText)) {
    throw new ArgumentError("--sampler", 'must be "random", "sequential", "weighted" or "classBalanced"', samplerText);
  }
  if (samplerText !== undefined && indices) throw new ArgumentError("--sampler", "cannot be given with --index, which names the samples itself", samplerText);
  const sampler = (samplerText ?? "random") as SamplerKind;
  const device = stringOption(args, "device", false) ?? "gpu";
  if (device !== "gpu" && device !== "cpu") throw new ArgumentError("--device", 'must be "gpu" or "cpu"', device);
  const path = await nodePath();
  const outDir = path.resolve(stringOption(args, "out-dir", false) ?? "cellmap-batch");
  const config = await readBatchConfig(configPath);
  const seed = seedOpt ?? config.seed ?? 0;

  const gpu = device === "gpu" ? await GpuContext.create({ label: "cellmap-data batch" }) : undefined;
  let dataset: CellMapDataset | undefined;
  try {
    dataset = await CellMapDataset.open({ ...config, seed, device, ...(gpu ? { gpu } : {}) });
    const ds = dataset;
    if (ds.length === 0) {
      throw new ArgumentError(ds.hasData ? "inputArrays" : "classes", ds.hasData
        ? "leave no sample: the outputs do not fit in the arrays' common box (set pad: true to let them hang over)"
        : "are none of the classes the target path annotates (set forceHasData: true to sample anyway)");
    }
    for (const i of indices ?? []) if (i >= ds.length) throw new ArgumentError("--index", `must be below the dataset's length ${ds.length}`, i);

    // Draw the batch, and the plan of each sample from the same generator key as the reader.
    let idx: number[];
    let centers: Vec3[];
    const arrays: Record<string, ArrayData> = {};
    let plans: SamplePlan[];
    if (indices) {
      const items = [];
      for (const i of indices) items.push(await ds.get(i, { epoch }));
      idx = [...indices];
      centers = items.map((it) => it.center);
      for (const name of Object.keys(items[0]!).filter((k) => k !== "idx" && k !== "center")) {
        const parts = items.map((it) => (it as unknown as Record<string, ArrayData>)[name]!);
        const n = parts[0]!.data.length;
        const data = new Float32Array(n * parts.length);
        parts.forEach((p, b) => data.set(p.data, b * n));
        arrays[name] = { data, shape: [parts.length, ...parts[0]!.shape] };
      }
      plans = indices.map((i) => ds.plan(i, rngFor(seed, epoch, i)));
    } else {
      const loader = new CellMapDataLoader(ds, { batchSize, seed, epoch, sampler, iterationsPerEpoch: 1, prefetch: 1 });
      let batch: Record<string, unknown> | undefined;
      for await (const b of loader) {
        batch = b as unknown as Record<string, unknown>;
        break;
      }
      idx = batch!["idx"] as number[];
      centers = batch!["center"] as Vec3[];
      for (const [name, v] of Object.entries(batch!)) if (name !== "idx" && name !== "center" && name !== "release") arrays[name] = v as ArrayData;
      // One dataset: the loader keeps position order, and sample j's draws come from (seed, epoch, j).
      plans = idx.map((i, j) => ds.plan(i, rngFor(seed, epoch, j)));
    }

    // Write the arrays, the record and the figure.
    const fs = await nodeFs();
    await fs.mkdir(outDir, { recursive: true });
    const written: string[] = [];
    const arrayInfo: Record<string, unknown> = {};
    for (const [name, a] of Object.entries(arrays)) {
      const file = path.join(outDir, `${name}.npy`);
      await io.writeFile(file, encodeNpy(a.data, a.shape));
      written.push(file);
      const kind = name in ds.inputArrays ? "input" : name in ds.cellposeTargets ? "cellpose" : "target";
      arrayInfo[name] = {
        file: `${name}.npy`, shape: a.shape, kind,
        ...(kind === "target" ? { classes: ds.classes } : kind === "cellpose" ? { class: ds.cellposeTargets[name]!.class, channels: a.shape.length === 4 ? ["rows", "columns"] : ["z", "y", "x"] } : {}),
      };
    }
    const fractions: Record<string, Record<string, ClassFractions>> = {};
    for (const name of Object.keys(ds.targetArrays)) fractions[name] = classFractions(arrays[name]!.data, arrays[name]!.shape, ds.classes, ds.emptyValue);
    let pngInfo: { file: string; width: number; height: number; tileSize: number; columns: unknown } | undefined;
    if (png) {
      const grid = imageGrid(arrays, { dataset: ds, tileSize: figureTileSize(Object.values(arrays).map((a) => a.shape)) });
      const file = path.join(outDir, "batch.png");
      await io.writeFile(file, await encodePng(grid));
      pngInfo = { file: "batch.png", width: grid.width, height: grid.height, tileSize: figureTileSize(Object.values(arrays).map((a) => a.shape)), columns: grid.columns };
    }
    const jsonFile = path.join(outDir, "batch.json");
    await io.writeFile(jsonFile, new TextEncoder().encode(toJson({
      config: path.resolve(configPath),
      device,
      seed,
      epoch,
      sampler: indices ? "indices" : sampler,
      batchSize: idx.length,
      length: ds.length,
      grid: { dims: ds.grid.dims, step: ds.grid.step, origin: ds.grid.origin, box: ds.grid.box },
      classes: ds.classes,
      emptyValue: ds.emptyValue,
      indices: idx,
      centers,
      samples: idx.map((i, b) => planJson(i, plans[b]!)),
      arrays: arrayInfo,
      classFractions: fractions,
      ...(pngInfo ? { png: pngInfo } : {}),
    }) + "\n"));
    written.push(jsonFile);
    if (pngInfo) written.push(path.join(outDir, pngInfo.file));

    // The summary.
    const g = ds.grid;
    const lines = [
      `dataset: ${ds.length} samples on a ${g.dims.join(" x ")} grid (z, y, x), step ${g.step.map(fmt).join(", ")}`,
      `batch: ${idx.length} samples (${indices ? "--index" : `${sampler} sampler, seed ${seed}`}, epoch ${epoch}, ${device}): indices ${idx.join(", ")}`,
    ];
    for (const [name, a] of Object.entries(arrays)) {
      let lo = Infinity;
      let hi = -Infinity;
      let nan = 0;
      for (const v of a.data) {
        if (Number.isNaN(v)) nan++;
        else {
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
      lines.push(`  ${name} [${a.shape.join(", ")}]: min ${fmt(lo)}, max ${fmt(hi)}${nan ? `, ${nan} NaN` : ""}`);
      const f = fractions[name];
      if (!f) continue;
      const width = Math.max(5, ...ds.classes.map((c) => c.length));
      lines.push(`    ${"class".padEnd(width)}  foreground  background  unknown`);
      for (const c of ds.classes) {
        const r = f[c]!;
        lines.push(`    ${c.padEnd(width)}  ${r.foreground.toFixed(4).padEnd(10)}  ${r.background.toFixed(4).padEnd(10)}  ${r.unknown.toFixed(4)}`);
      }
    }
    lines.push(`wrote ${outDir}: ${written.map((w) => path.basename(w)).join(", ")}`);
    io.stdout(lines.join("\n") + "\n");
    return 0;
  } finally {
    dataset?.destroy();
    gpu?.destroy();
  }
}
