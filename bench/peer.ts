/**
 * `npm run bench -- --peer`: this library and the Python cellmap-data (the peer, `../shared/peer/`)
 * side by side on the same data and the peer's own workload: batch 8; `raw` 128³ at 8 nm; `gt`
 * of mito, er, nucleus and ves at 64³ and 16 nm; mirror z/y/x (p 0.5), transpose x/y and rotate z
 * in [-180°, 180°] when augmented; 1 warm-up batch, then 10 timed (cold: the first epoch). The
 * peer runs its configurations of 0 and 2 DataLoader workers; ours runs with default options
 * (`device: "auto"`), reading the files directly and over loopback HTTP, each configuration in its
 * own process so that its peak RSS is its own. Warm: ours goes on to a second epoch of the same
 * 11 batches (its chunk caches hold what the first read), timed whole; the peer runs again with
 * 11 warm-up batches before its 10 timed ones (it keeps no chunk cache, so its warm figure is its
 * cold one with the files in the page cache). The table gives samples/s and peak RSS as ratios to
 * the peer's best configuration of the same augmentation and temperature (above 1: ours is
 * better), and ours' peak RSS less the bytes its chunk caches held. Nothing tests this and CI does
 * not run it; it needs Debian's python3-torch, python3-torchvision and python3-zarr.
 *
 *   npm run bench -- --peer [--peer-dir=../shared/peer] [--peer-data=<dir>] [--peer-batches=10]
 *                           [--peer-before=<another build's bench/dist/bench.js>]
 *
 * `--peer-before` also runs ours from another build (e.g. an earlier commit's, bundled with
 * `node bench/build.mjs` in a copy of that commit), alternating with this one, for a before/after
 * in the same run.
 *
 * The data is the peer's `make_bench_data.py --size 512` (generated into `<dir>` when missing,
 * default `$TMPDIR/cellmap-bench`).
 * @module
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { CellMapDataLoader, CellMapDataset } from "../src/dataset/index.ts";
import { serveStatic } from "../src/serve/static-server.ts";
import { fmt } from "./lib/report.ts";

const CLASSES = ["mito", "er", "nucleus", "ves"] as const;
const RAW = "recon-1/em/fibsem-uint8";
const LABELS = "recon-1/labels/groundtruth/crop1";
const VOXELS_PER_SAMPLE = 128 ** 3 + CLASSES.length * 64 ** 3;

/** One configuration of ours, run in a child process. */
export interface OursConfig {
  /** bench.zarr as a path, or served over loopback HTTP from its folder. */
  data: string;
  http: boolean;
  aug: boolean;
  batchSize: number;
  warmup: number;
  batches: number;
  seed: number;
  /** Epochs of `warmup + batches` batches; the second (chunk caches warm) is timed whole. Default 1. */
  epochs?: number;
}

/** Rates of one stretch of batches. */
export interface OursRate {
  samplesPerS: number;
  /** Cores used by this process meanwhile (user + system CPU time / wall time). */
  cpuCores: number;
}

/** What a configuration of ours measured. */
export interface OursResult {
  samplesPerS: number;
  /** The first `warmup` batches (cold cache), seconds. */
  warmupS: number;
  batchSMedian: number;
  peakRssMb: number;
  device: string;
  /** Cores used by this process during the timed batches (user + system CPU time / wall time). */
  cpuCores: number;
  /** The second epoch, every batch timed: chunk caches hold what the first epoch read. */
  warm?: OursRate;
  /** Bytes the chunk caches of every array held at the end, MB (part of the peak RSS). */
  cacheResidentMb: number;
}

/** Run one configuration of ours in this process (the child side of {@link peerMain}). */
export async function runOursConfig(cfg: OursConfig): Promise<OursResult> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  const server = cfg.http ? await serveStatic({ root: dirname(cfg.data) }) : undefined;
  const base = server ? `${server.url}/${cfg.data.split("/").pop()}` : cfg.data;
  try {
    const ds = await CellMapDataset.open({
      inputPath: `${base}/${RAW}`,
      targetPath: `${base}/${LABELS}/[${CLASSES.join(",")}]`,
      classes: [...CLASSES],
      inputArrays: { raw: { shape: [128, 128, 128], scale: [8, 8, 8] } },
      targetArrays: { gt: { shape: [64, 64, 64], scale: [16, 16, 16] } },
      ...(cfg.aug
        ? { spatialTransforms: { mirror: { axes: { z: 0.5, y: 0.5, x: 0.5 } }, transpose: { axes: ["x", "y"] }, rotate: { axes: { z: [-180, 180] } } } }
        : {}),
      pad: true,
      isTrain: true,
      seed: cfg.seed,
    });
    try {
      const loader = new CellMapDataLoader(ds, { batchSize: cfg.batchSize, iterationsPerEpoch: cfg.warmup + cfg.batches, seed: cfg.seed });
      const times: number[] = [];
      let t = performance.now();
      let cpu = process.cpuUsage();
      let warmupS = 0;
      let k = 0;
      for await (const b of loader) {
        b.release();
        const now = performance.now();
        if (k < cfg.warmup) {
          warmupS += (now - t) / 1000;
          if (k === cfg.warmup - 1) cpu = process.cpuUsage();
        } else {
          times.push((now - t) / 1000);
        }
        t = now;
        k++;
      }
      const used = process.cpuUsage(cpu);
      const total = times.reduce((a, b) => a + b, 0);
      times.sort((a, b) => a - b);
      let warm: OursRate | undefined;
      for (let e = 1; e < (cfg.epochs ?? 1); e++) {
        loader.refresh();
        const cpu2 = process.cpuUsage();
        const t2 = performance.now();
        let n = 0;
        for await (const b of loader) {
          b.release();
          n++;
        }
        const s = (performance.now() - t2) / 1000;
        const u = process.cpuUsage(cpu2);
        warm = { samplesPerS: (n * cfg.batchSize) / s, cpuCores: (u.user + u.system) / 1e6 / s };
      }
      peak = Math.max(peak, process.memoryUsage.rss());
      const arrays = [ds.input, ...CLASSES.map((c) => ds.classArray(c)).filter((a) => a !== undefined)];
      const cacheResident = arrays.reduce((sum, a) => sum + a.stats.bytesResident, 0);
      return {
        samplesPerS: (times.length * cfg.batchSize) / total,
        warmupS,
        batchSMedian: times[Math.floor(times.length / 2)] ?? NaN,
        peakRssMb: peak / 2 ** 20,
        device: ds.device,
        cpuCores: (used.user + used.system) / 1e6 / total,
        ...(warm ? { warm } : {}),
        cacheResidentMb: cacheResident / 2 ** 20,
      };
    } finally {
      ds.destroy();
    }
  } finally {
    clearInterval(timer);
    await server?.close();
  }
}

/** Parsed `--peer` options. */
export interface PeerOptions {
  peerDir?: string;
  data?: string;
  batches: number;
  out: string;
  /** Another build's bench.js, run as "before" beside this one. */
  before?: string;
}

/** The peer's folder: `--peer-dir`, else `shared/peer` in the repository's parent or grandparent. */
function findPeer(root: string, given?: string): string {
  const candidates = given ? [given] : [join(root, "..", "shared", "peer"), join(root, "..", "..", "shared", "peer")];
  const dir = candidates.find((d) => existsSync(join(d, "bench_cellmap_py.py")));
  if (!dir) throw new Error(`the peer (bench_cellmap_py.py) is not in ${candidates.join(" or ")}; pass --peer-dir=<dir>`);
  return resolve(dir);
}

/** Run a command; resolve with its stdout (stderr passes through). */
function run(cmd: string, args: string[], env: Record<string, string | undefined> = process.env): Promise<string> {
  return new Promise((ok, fail) => {
    const p = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.on("error", fail);
    p.on("close", (code) => (code === 0 ? ok(out) : fail(new Error(`${cmd} ${args.join(" ")} exited with ${code}`))));
  });
}

interface PeerConfigResult {
  ok: boolean;
  samples_per_s?: number;
  peak_tree_rss_sum_mb?: number;
  peak_rss_self_mb?: number;
  cpu?: { cpu_own_cores: number; cpu_other_cores: number };
  error?: string;
}

/** The `--peer` run: the peer's configurations, then ours, then the table; returns the JSON path. */
export async function peerMain(options: PeerOptions, command: string, log: (line: string) => void): Promise<string> {
  const root = process.cwd();
  const peerDir = findPeer(root, options.peerDir);
  const dataDir = resolve(options.data ?? join(tmpdir(), "cellmap-bench"));
  const zarr = join(dataDir, "bench.zarr");
  const py = "/usr/bin/python3";
  if (!existsSync(join(zarr, RAW))) {
    log(`generating the peer's dataset in ${dataDir} (about a minute) ...`);
    await run(py, [join(peerDir, "make_bench_data.py"), "--size", "512", "--out", dataDir]);
  }
  const loadStart = loadavg();
  const configs = ["aug_w0", "aug_w2", "noaug_w0", "noaug_w2"];
  await mkdir(options.out, { recursive: true });
  // Cold: 1 warm-up batch, then the timed ones. Warm: timed after a whole epoch's batches (1 +
  // batches), as ours' second epoch is. No waiting for a quiet machine: the figures are read as
  // ratios measured in the same run.
  const peer: { results: Record<string, PeerConfigResult>; versions?: unknown } = { results: {} };
  for (const [label, warmup] of [["", 1], ["warm ", 1 + options.batches]] as const) {
    log(`peer${label ? ` (${label.trim()})` : ""}: ${configs.join(", ")} ...`);
    const peerJson = join(options.out, `peer-${Date.now()}.json`);
    await run(py, [join(peerDir, "bench_cellmap_py.py"), "--data", zarr, "--configs", configs.join(","), "--warmup", String(warmup), "--batches", String(options.batches), "--quiet-max-wait", "0", "--retries", "0", "--out-json", peerJson]);
    const got = JSON.parse(await readFile(peerJson, "utf8")) as { results: Record<string, PeerConfigResult>; versions?: unknown };
    for (const [k, r] of Object.entries(got.results)) peer.results[`${label}${k}`] = r;
    peer.versions ??= got.versions;
  }

  const ours: Record<string, OursResult & { config: OursConfig }> = {};
  const builds: [string, string][] = [["", process.argv[1]!], ...(options.before ? [["before ", resolve(options.before)] as [string, string]] : [])];
  for (const http of [false, true]) {
    for (const aug of [true, false]) {
      for (const [label, script] of builds) {
        const cfg: OursConfig = { data: zarr, http, aug, batchSize: 8, warmup: 1, batches: options.batches, seed: 0, epochs: 2 };
        const name = `${label}${aug ? "aug" : "noaug"}_${http ? "http" : "files"}`;
        log(`ours: ${name} ...`);
        const out = await run(process.execPath, [...process.execArgv, script, `--peer-child=${JSON.stringify(cfg)}`], { ...process.env, CELLMAP_BENCH_MAIN: "1" });
        const line = out.split("\n").find((l) => l.startsWith("PEER_CHILD "));
        if (!line) throw new Error(`ours ${name} printed no result`);
        ours[name] = { ...(JSON.parse(line.slice("PEER_CHILD ".length)) as OursResult), config: cfg };
      }
    }
  }
  const loadEnd = loadavg();

  /** The peer's best configuration of an augmentation, cold or warm. */
  const best = (aug: boolean, warm: boolean) => {
    const prefix = `${warm ? "warm " : ""}${aug ? "aug_" : "noaug_"}`;
    const rs = Object.entries(peer.results).filter(([k, r]) => k.startsWith(prefix) && r.ok && r.samples_per_s);
    rs.sort((a, b) => b[1].samples_per_s! - a[1].samples_per_s!);
    return rs[0];
  };
  const lines: string[] = [];
  lines.push(`ours vs the Python cellmap-data (peer): same data (${zarr}), same workload`);
  lines.push(`load average ${loadStart.map((x) => x.toFixed(1)).join(" ")} at start, ${loadEnd.map((x) => x.toFixed(1)).join(" ")} at end`);
  // Samples per CPU-second of the configuration's own processes: what a contended machine distorts least.
  const perCpu = (sps: number, cores: number | undefined) => (cores ? sps / cores : NaN);
  lines.push(["config", "samples/s", "Mvox/s", "peak RSS MB", "RSS less cache MB", "cores (own/other)", "samples per CPU-s", "samples/s vs peer best", "peak RSS vs peer best", "less cache vs peer best", "per CPU-s vs the same"].join("\t"));
  for (const [k, r] of Object.entries(peer.results)) {
    if (!r.ok) {
      lines.push([`peer ${k}`, `FAILED ${r.error ?? ""}`].join("\t"));
      continue;
    }
    lines.push([`peer ${k}`, fmt(r.samples_per_s!), fmt((r.samples_per_s! * VOXELS_PER_SAMPLE) / 1e6), fmt(r.peak_tree_rss_sum_mb!), "", `${r.cpu?.cpu_own_cores ?? "?"}/${r.cpu?.cpu_other_cores ?? "?"}`, fmt(perCpu(r.samples_per_s!, r.cpu?.cpu_own_cores)), "", "", "", ""].join("\t"));
  }
  const ratios: Record<string, { samplesPerS: number; peakRss: number; peakRssLessCache: number; peer: string; samplesPerCpuSecond: number }> = {};
  for (const [k, r] of Object.entries(ours)) {
    const rows: Array<[string, OursRate, boolean]> = [[k, r, false], ...(r.warm ? [[`warm ${k}`, r.warm, true] as [string, OursRate, boolean]] : [])];
    for (const [name, rate, warm] of rows) {
      const b = best(r.config.aug, warm);
      const lessCache = r.peakRssMb - r.cacheResidentMb;
      // Above 1 is better for ours: samples/s ours / peer, peak RSS peer / ours.
      const sRatio = b ? rate.samplesPerS / b[1].samples_per_s! : NaN;
      const mRatio = b ? b[1].peak_tree_rss_sum_mb! / r.peakRssMb : NaN;
      const lRatio = b ? b[1].peak_tree_rss_sum_mb! / lessCache : NaN;
      const cpuRatio = b ? perCpu(rate.samplesPerS, rate.cpuCores) / perCpu(b[1].samples_per_s!, b[1].cpu?.cpu_own_cores) : NaN;
      if (b) ratios[name] = { samplesPerS: sRatio, peakRss: mRatio, peakRssLessCache: lRatio, peer: b[0], samplesPerCpuSecond: cpuRatio };
      lines.push([`ours ${name} (${r.device})`, fmt(rate.samplesPerS), fmt((rate.samplesPerS * VOXELS_PER_SAMPLE) / 1e6), fmt(r.peakRssMb), fmt(lessCache), `${rate.cpuCores.toFixed(2)}/-`, fmt(perCpu(rate.samplesPerS, rate.cpuCores)), b ? `${fmt(sRatio)}x vs ${b[0]}` : "-", b ? `${fmt(mRatio)}x smaller` : "-", b ? `${fmt(lRatio)}x smaller` : "-", b ? `${fmt(cpuRatio)}x` : "-"].join("\t"));
    }
  }
  lines.push(`cold: 1 warm-up batch, then ${options.batches} timed; warm: ${options.batches} timed after ${1 + options.batches} batches (ours: the second epoch, every batch timed). Peak RSS: the peer's whole process tree (main + DataLoader workers), ours the one process (fetch and sample workers are threads in it); "less cache" subtracts the bytes ours' chunk caches held at the end. Ratios above 1 favour ours. The machine is shared: compare ratios, not absolute rates.`);
  const table = lines.join("\n");
  console.log(table);
  const file = join(options.out, `${new Date().toISOString().replace(/[:.]/g, "-")}-peer.json`);
  await writeFile(file, JSON.stringify({ command, loadAverage: { start: loadStart, end: loadEnd }, data: zarr, peer, ours, ratios, table }, null, 2) + "\n");
  return file;
}
