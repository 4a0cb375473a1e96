#!/usr/bin/env node
// `node bench/cpu-passes.mjs --data=<dir> [--repeats=2] [--batches=4] [--before=<index.js>]`: the
// passes of CPU batches (value ops, true negatives, cellpose flows) in the sample workers against
// the same build with everything on the calling thread (`cpuWorkers: 0`), side by side and
// alternating, on the standard workload's data (`make_bench_data.py --size 512 --out <dir>`, as
// for `npm run bench -- --peer`). With `--before`, against another build's dist/esm/index.js
// instead (both with default options), for a before/after in the same run. Needs `npm run build`
// first (it imports dist/esm/index.js).
//
// Workload: batch 8, raw 128³ at 8 nm with normalize and Gaussian noise, gt of mito, er, nucleus
// and ves at 64³ and 16 nm with true negatives of nucleus against mito and er, and a cellpose flow
// target of mito at 32³ and 32 nm; unaugmented. Each configuration reads one epoch (which fills
// its chunk caches) and then times a second one, so fetching and decoding stay out of the figure.
// Prints samples/s per run, the cores used, and the ratio of the medians.
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const data = arg("data", undefined);
if (!data) {
  console.error("usage: node bench/cpu-passes.mjs --data=<dir made by make_bench_data.py> [--repeats=2] [--batches=4]");
  process.exit(2);
}
const repeats = Number(arg("repeats", "2"));
const batches = Number(arg("batches", "4"));
const before = arg("before", undefined);
const thisBuild = await import(join(root, "dist", "esm", "index.js"));
const beforeBuild = before ? await import(before) : undefined;

const CLASSES = ["mito", "er", "nucleus", "ves"];
const base = join(data, "bench.zarr");

async function run(build, cpuWorkers) {
  const { CellMapDataLoader, CellMapDataset } = build;
  const ds = await CellMapDataset.open({
    inputPath: `${base}/recon-1/em/fibsem-uint8`,
    targetPath: `${base}/recon-1/labels/groundtruth/crop1/[${CLASSES.join(",")}]`,
    classes: CLASSES,
    inputArrays: { raw: { shape: [128, 128, 128], scale: [8, 8, 8] } },
    targetArrays: {
      gt: { shape: [64, 64, 64], scale: [16, 16, 16] },
      flows: { shape: [32, 32, 32], scale: [32, 32, 32], cellpose: { class: "mito" } },
    },
    valueTransforms: { raw: [{ normalize: {} }, { gaussianNoise: { std: 0.05 } }] },
    classRelationships: { nucleus: ["mito", "er"] },
    pad: true,
    isTrain: true,
    seed: 3,
    device: "cpu",
    ...(cpuWorkers === undefined ? {} : { cpuWorkers }),
  });
  try {
    const loader = new CellMapDataLoader(ds, { batchSize: 8, iterationsPerEpoch: batches, seed: 3 });
    for await (const b of loader) b.release();
    loader.refresh();
    const cpu = process.cpuUsage();
    const t = performance.now();
    let n = 0;
    for await (const b of loader) {
      n += 8;
      b.release();
    }
    const s = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    return { samplesPerS: n / s, cores: (used.user + used.system) / 1e6 / s };
  } finally {
    ds.destroy();
  }
}

const workers = `sample workers (default, ${cpus().length} cores)`;
const configs = beforeBuild
  ? [[`before: ${workers}`, beforeBuild, undefined], [`this build: ${workers}`, thisBuild, undefined]]
  : [["calling thread (cpuWorkers: 0)", thisBuild, 0], [workers, thisBuild, undefined]];
const results = configs.map(() => []);
console.log(`CPU batch passes: ${configs[0][0]} vs ${configs[1][0]}; ${repeats} alternating runs of ${batches} warm batches of 8; load average ${loadavg()[0].toFixed(2)}`);
for (let r = 0; r < repeats; r++) {
  for (let c = 0; c < configs.length; c++) {
    const res = await run(configs[c][1], configs[c][2]);
    results[c].push(res);
    console.log(`${configs[c][0]}: ${res.samplesPerS.toFixed(2)} samples/s, ${res.cores.toFixed(2)} cores`);
  }
}
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rates = results.map((rs) => median(rs.map((x) => x.samplesPerS)));
console.log(`median samples/s: ${configs.map((c, k) => `${c[0]} ${rates[k].toFixed(2)}`).join("; ")}; second vs first ${(rates[1] / rates[0]).toFixed(2)}x; load average at end ${loadavg()[0].toFixed(2)}`);
process.exit(0);
