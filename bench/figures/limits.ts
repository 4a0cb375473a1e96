/**
 * Figure 6: the physical limits of the machine at hand, which figures 2 and 3 are read against:
 * memcpy bandwidth, GPU buffer-copy bandwidth (device memory; host memory on a software
 * adapter), loopback HTTP throughput, and single-thread decode speed per codec.
 * @module
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as zarr from "zarrita";
import { serveStatic } from "../../src/serve/static-server.ts";
import { createMemoryTarget, writeArray, type CodecSpec } from "../../src/zarr-write/index.ts";
import { bySize, repeatsFor, type BenchContext, type Limits } from "../context.ts";
import { render, STANDARD_DATASET } from "../dataset.ts";
import { copyBandwidth } from "../lib/kernel.ts";
import { row } from "../lib/report.ts";
import { createRng } from "../lib/rng.ts";
import { mapStat, perSecond, timeRuns } from "../lib/stats.ts";
import type { Figure, Row } from "../schema.ts";

/** The codecs whose decode speed is measured, by the names the limits use. */
export const CODECS: Record<string, CodecSpec> = {
  "blosc-lz4": { name: "blosc", cname: "lz4", clevel: 5, shuffle: "shuffle" },
  "blosc-zstd": { name: "blosc", cname: "zstd", clevel: 5, shuffle: "shuffle" },
  zstd: { name: "zstd", level: 3 },
  gzip: { name: "gzip" },
  none: { name: "none" },
};

const MB = 1e6;

/** Network errors retried by {@link fetchBytes} (the library's HTTP store retries them too). */
let retried = 0;

/** GET a URL's bytes, retrying a network error (e.g. a reset keep-alive connection) up to twice. */
async function fetchBytes(url: string, init?: RequestInit): Promise<ArrayBuffer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await (await fetch(url, init)).arrayBuffer();
    } catch (e) {
      if (attempt >= 3) throw e;
      retried++;
    }
  }
}

/** Measure the limits; returns figure 6 and the numbers the other figures use. */
export async function limitsFigure(ctx: Omit<BenchContext, "limits">): Promise<{ figure: Figure; limits: Limits }> {
  const t0 = performance.now();
  const { warmup, repeats } = repeatsFor(ctx);
  const rows: Row[] = [];
  const notes: string[] = [];

  // memcpy
  const memBytes = bySize(ctx, { tiny: 4 << 20, quick: 64 << 20, full: 256 << 20 });
  const src = new Uint8Array(memBytes).fill(7);
  const dst = new Uint8Array(memBytes);
  const memcpy = perSecond(await timeRuns(() => dst.set(src), { warmup, repeats: repeats + 2 }), memBytes / MB);
  const memRow = row("memcpy", "TypedArray.set", "MB/s", "higher", memcpy, [], { extra: { bytes: memBytes } });
  rows.push(memRow);

  // GPU buffer copy
  let gpuTraffic: number | undefined;
  if (ctx.gpu) {
    const size = bySize(ctx, { tiny: 4 << 20, quick: 64 << 20, full: 256 << 20 });
    const r = await copyBandwidth(ctx.gpu, size, { warmup, repeats: repeats + 2, perSubmit: 2 });
    gpuTraffic = r.trafficBytesPerSecond.median;
    const copyRate = mapStat(r.trafficBytesPerSecond, (x) => x / 2 / MB);
    rows.push(row("gpu buffer copy", "copyBufferToBuffer", "MB/s", "higher", copyRate, [memRow], { extra: { bytes: r.bytes, trafficMBps: gpuTraffic / MB } }));
  }

  // loopback HTTP
  const dir = join(ctx.cacheDir, "http-limit");
  await mkdir(dir, { recursive: true });
  const fileBytes = bySize(ctx, { tiny: 1 << 20, quick: 32 << 20, full: 128 << 20 });
  const blob = new Uint8Array(fileBytes);
  const rand = createRng(ctx.seed);
  for (let i = 0; i < blob.length; i += 4096) blob[i] = (rand() * 256) | 0;
  await writeFile(join(dir, "blob.bin"), blob);
  const server = await serveStatic({ root: dir });
  let httpChunked: number;
  try {
    const url = `${server.url}/blob.bin`;
    const whole = perSecond(await timeRuns(async () => {
      const b = await fetchBytes(url);
      if (b.byteLength !== fileBytes) throw new Error("short read");
    }, { warmup, repeats }), fileBytes / MB);
    rows.push(row("loopback http, one GET", "fetch", "MB/s", "higher", whole, [memRow], { extra: { bytes: fileBytes } }));
    const piece = bySize(ctx, { tiny: 16 << 10, quick: 256 << 10, full: 256 << 10 });
    const count = Math.floor(fileBytes / piece);
    const inFlight = 16;
    const chunked = perSecond(await timeRuns(async () => {
      let next = 0;
      await Promise.all(Array.from({ length: inFlight }, async () => {
        while (next < count) {
          const i = next++;
          await fetchBytes(url, { headers: { Range: `bytes=${i * piece}-${(i + 1) * piece - 1}` } });
        }
      }));
    }, { warmup, repeats }), (count * piece) / MB);
    httpChunked = chunked.median * MB;
    rows.push(row(`loopback http, ${piece >> 10} KiB ranges x${inFlight}`, "fetch", "MB/s", "higher", chunked, [memRow], {
      extra: { requestsPerSecond: (chunked.median * MB) / piece, pieceBytes: piece, networkErrorsRetried: retried },
    }));
  } finally {
    await server.close();
  }

  // decode per codec, one thread, through zarrita (the path the fetch workers run)
  const chunk = bySize(ctx, { tiny: 16, quick: 64, full: 64 });
  const { raw, labels } = render({ ...STANDARD_DATASET, size: 2 * chunk, seed: ctx.seed });
  const decode: Record<string, number> = {};
  const decodeCase = async (name: string, spec: CodecSpec, data: Uint8Array, shape: number) => {
    const target = createMemoryTarget();
    const w = await writeArray(target, "a", { shape: [shape, shape, shape], chunks: [chunk, chunk, chunk], dtype: "uint8", zarrFormat: 2, codec: spec, fillValue: 255 }, data, { writeEmptyChunks: true });
    const arr = await zarr.open(zarr.root(target as unknown as zarr.Readable).resolve("a"), { kind: "array" });
    const n = shape / chunk;
    const coords: number[][] = [];
    for (let z = 0; z < n; z++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) coords.push([z, y, x]);
    const ms = await timeRuns(async () => {
      for (const c of coords) await arr.getChunk(c);
    }, { warmup, repeats: repeats + 2 });
    const rate = perSecond(ms, data.length / MB);
    return { rate, ratio: data.length / w.bytes };
  };
  for (const [name, spec] of Object.entries(CODECS)) {
    const { rate, ratio } = await decodeCase(name, spec, raw, 2 * chunk);
    decode[name] = rate.median * MB;
    rows.push(row(`decode ${name} (raw)`, "zarrita getChunk", "MB/s", "higher", rate, [memRow], { extra: { compressionRatio: ratio, chunkEdge: chunk } }));
  }
  const lab = await decodeCase("blosc-zstd", CODECS["blosc-zstd"]!, labels[0]!, chunk);
  decode["blosc-zstd-labels"] = lab.rate.median * MB;
  rows.push(row("decode blosc-zstd (labels)", "zarrita getChunk", "MB/s", "higher", lab.rate, [memRow], { extra: { compressionRatio: lab.ratio, chunkEdge: chunk } }));

  notes.push("decode is one thread in the main thread; the fetch workers each decode at about this rate, so the pool's ceiling is this times min(workers, cores).");
  notes.push("http is loopback through the runtime's fetch to the library's static server (src/serve): the file is in the page cache, so this is the HTTP stack's ceiling, not a network's.");
  notes.push("codec none hands back the stored bytes without a copy, so its rate is not bounded by memcpy.");
  if (ctx.gpu?.isSoftware) notes.push("the GPU is a software adapter: its 'device memory' is host memory, and its copies run on the CPU.");

  const limits: Limits = { memcpy: memcpy.median * MB, httpChunked, decode };
  if (gpuTraffic !== undefined) limits.gpuTraffic = gpuTraffic;
  return {
    limits,
    figure: {
      id: 6,
      key: "limits",
      title: "Physical limits of this machine (MB/s, higher is better; ratios against memcpy)",
      workload: `memcpy ${memBytes >> 20} MiB; http ${fileBytes >> 20} MiB file; decode ${2 * chunk}³ uint8 EM-like raw in ${chunk}³ chunks`,
      rows,
      targets: [],
      notes,
      seconds: (performance.now() - t0) / 1000,
    },
  };
}

/** The stat in MB/s of a bytes-per-second number (for limits shown in other figures). */
export function mbps(bytesPerSecond: number): number {
  return bytesPerSecond / MB;
}
