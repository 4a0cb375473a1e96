/**
 * `deno task train-example`: a training prototype on the sample dataset. It iterates epochs of
 * GPU batches from a `CellMapDataLoader` (one dataset per ground-truth crop, rotations, mirrors,
 * intensity augmentation) and feeds each batch, still on the GPU, to a small WebGPU model
 * (demo/train/logistic.wgsl: per-voxel logistic regression, raw intensity -> class). Nothing is
 * read back while training; a progress bar shows samples/s and the chunk-cache hit rate.
 *
 *   deno task train-example [--data data] [--epochs 3] [--iterations 12] [--batch 8]
 *                           [--sampler classBalanced] [--seed 1] [--copy v3|v2] [--lr 2]
 *
 * The sample dataset is written into --data first when it is not there.
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import {
  CellMapDataLoader,
  CellMapDataset,
  CellMapMultiDataset,
  GpuContext,
  WorkerPool,
  type CellMapArray,
  type SamplerKind,
} from "../src/index.ts";
import { generateSampleDataset, type SampleManifest } from "../src/sample-data/index.ts";
import { createFsTarget } from "../src/zarr-write/fs-target.ts";
import { LogisticModel } from "./train/model.ts";

const USAGE = "usage: deno task train-example [--data DIR] [--epochs N] [--iterations N] [--batch N] [--sampler random|weighted|classBalanced] [--seed N] [--copy v3|v2] [--lr X]";

interface Options {
  data: string;
  epochs: number;
  iterations: number;
  batch: number;
  sampler: SamplerKind;
  seed: number;
  copy: "v3" | "v2";
  lr: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { data: "data", epochs: 3, iterations: 12, batch: 8, sampler: "classBalanced", seed: 1, copy: "v3", lr: 2 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[++i];
    if (a === "-h" || a === "--help") {
      console.log(USAGE);
      process.exit(0);
    }
    if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
    const int = (min: number) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`${a} must be an integer >= ${min} (got ${v})`);
      return n;
    };
    if (a === "--data") o.data = v;
    else if (a === "--epochs") o.epochs = int(1);
    else if (a === "--iterations") o.iterations = int(1);
    else if (a === "--batch") o.batch = int(1);
    else if (a === "--seed") o.seed = int(-(2 ** 31));
    else if (a === "--lr") o.lr = Number(v);
    else if (a === "--sampler" && (v === "random" || v === "weighted" || v === "classBalanced")) o.sampler = v;
    else if (a === "--copy" && (v === "v3" || v === "v2")) o.copy = v;
    else throw new Error(`unknown option or value: ${a} ${v}\n${USAGE}`);
  }
  return o;
}

async function ensureData(dir: string): Promise<SampleManifest> {
  const manifestPath = join(dir, "manifest.json");
  if (!existsSync(manifestPath)) {
    console.log(`writing the sample dataset to ${dir}/ ...`);
    await generateSampleDataset(createFsTarget(dir), {
      onProgress: (p) => {
        if (p.stage !== "write") console.log(`  [${String(Math.round(p.fraction * 100)).padStart(3)}%] ${p.message}`);
      },
    });
  }
  const { readFile } = await import("node:fs/promises");
  return JSON.parse(await readFile(manifestPath, "utf8")) as SampleManifest;
}

/** One line of progress: a bar, batches, samples/s and the cache hit rate. */
function progressLine(epoch: number, epochs: number, done: number, total: number, samplesPerSecond: number, hitRate: number): string {
  const width = 24;
  const filled = Math.round((width * done) / total);
  const bar = "█".repeat(filled) + "░".repeat(width - filled);
  return `epoch ${epoch + 1}/${epochs} ${bar} ${String(done).padStart(String(total).length)}/${total} batches  ${samplesPerSecond.toFixed(1).padStart(6)} samples/s  cache hit ${(100 * hitRate).toFixed(1).padStart(5)}%`;
}

function hitRate(arrays: readonly CellMapArray[]): number {
  let hits = 0;
  let misses = 0;
  for (const a of arrays) {
    hits += a.stats.hits;
    misses += a.stats.misses;
  }
  return hits + misses > 0 ? hits / (hits + misses) : 0;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const manifest = await ensureData(o.data);
  const root = join(o.data, `${manifest.name}_${o.copy}.zarr`);
  const gpu = await GpuContext.create({ label: "train-example" });
  const pool = await WorkerPool.create();
  console.log(`GPU: ${gpu.adapterInfo.description || gpu.adapterInfo.vendor || "adapter"}${gpu.isSoftware ? " (software: slow, for correctness)" : ""}; ${pool.size} fetch workers`);
  const classes = [...manifest.classes];
  const shape: [number, number, number] = [8, 48, 48];
  const scale: [number, number, number] = [8, 8, 8];
  const datasets = await Promise.all(manifest.crops.map((crop) => CellMapDataset.open({
    inputPath: join(root, manifest.raw.path),
    targetPath: `${join(root, crop.path)}/[${crop.classes.join(",")}]`,
    classes,
    inputArrays: { raw: { shape, scale } },
    targetArrays: { gt: { shape, scale } },
    spatialTransforms: { mirror: { axes: { x: 0.5, y: 0.5 } }, transpose: { axes: ["x", "y"] }, rotate: { axes: { z: [-180, 180] } } },
    valueTransforms: { raw: [{ normalize: { range: [0, 255] } }, { randomContrast: { range: [0.8, 1.25], p: 0.5 } }] },
    isTrain: true,
    gpu,
    pool,
  })));
  const data = new CellMapMultiDataset(datasets);
  const arrays = datasets.flatMap((d) => [d.input, ...d.annotatedClasses.map((c) => d.classArray(c)!)]);
  const loader = new CellMapDataLoader(data, { batchSize: o.batch, iterationsPerEpoch: o.iterations, seed: o.seed, sampler: o.sampler, output: "gpu", prefetch: 2 });
  const model = await LogisticModel.create(gpu, classes.length, o.epochs);
  console.log(`${data.length.toLocaleString()} sample centers in ${datasets.length} crops; classes ${classes.join(", ")}; batches of ${o.batch} x [raw ${shape.join("x")}, gt ${classes.length}x${shape.join("x")}] @ ${scale.join("x")} nm, ${o.sampler} sampler`);

  const tty = process.stdout.isTTY === true;
  const started = performance.now();
  let samples = 0;
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      let k = 0;
      const epochStart = performance.now();
      let epochSamples = 0;
      for await (const batch of loader) {
        model.train(batch["raw"]!, batch["gt"]!, epoch, o.lr);
        batch.release();
        k++;
        epochSamples += o.batch;
        // Keep the GPU queue short without reading anything back.
        if (k % 4 === 0) await model.drain();
        const rate = epochSamples / ((performance.now() - epochStart) / 1000);
        const line = progressLine(epoch, o.epochs, k, loader.length, rate, hitRate(arrays));
        if (tty) process.stdout.write(`\r${line}`);
        else if (k === loader.length) console.log(line);
      }
      if (tty) process.stdout.write("\n");
      samples += epochSamples;
      loader.refresh();
    }
    await model.drain();
    const seconds = (performance.now() - started) / 1000;
    const r = await model.result();
    console.log(`trained on ${samples} samples in ${seconds.toFixed(1)} s (${(samples / seconds).toFixed(1)} samples/s), cache hit rate ${(100 * hitRate(arrays)).toFixed(1)}%`);
    console.log(`mean loss per epoch: ${r.loss.map((l) => l.toFixed(4)).join(" -> ")}`);
    for (let c = 0; c < classes.length; c++) console.log(`  ${classes[c]!.padEnd(8)} p = sigmoid(${r.weights[c]!.toFixed(3)} * raw + ${r.biases[c]!.toFixed(3)})`);
  } finally {
    model.destroy();
    for (const d of datasets) d.destroy();
    pool.terminate();
    gpu.destroy();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
