import type { Vec3 } from "../geometry/types.ts";
import type { HttpStoreOptions } from "../store/http.ts";
import type { WorkerPool } from "../worker/pool.ts";
import type { ChunkId, ChunkIds } from "./chunk-id.ts";
import type { LevelInfo } from "./open-multiscale.ts";
import type { LoadedChunk } from "./slot-cache.ts";

/** Where an array's chunks come from: its store, levels and dimension order, and the pool that reads them. */
export interface ChunkSource {
  url: string;
  levels: readonly LevelInfo[];
  ids: ChunkIds;
  /** Which dimensions of the stored arrays are z, y, x. */
  spatialDims: [number, number, number];
  /** The array's opening: workers keep what they learn of it for it alone. */
  opening: number;
  storeOptions: HttpStoreOptions | undefined;
  pool: WorkerPool;
}

/** Fetch and decode a chunk in the pool; the chunks of one shard go to one worker. */
export async function loadChunk(source: ChunkSource, id: ChunkId, signal: AbortSignal | undefined): Promise<LoadedChunk> {
  const lv = source.ids.level(id);
  const level = source.levels[lv]!;
  const zyx = source.ids.coords(id);
  const dims = source.spatialDims;
  const coords = new Array<number>(level.arrayShape.length).fill(0);
  coords[dims[0]] = zyx[0];
  coords[dims[1]] = zyx[1];
  coords[dims[2]] = zyx[2];
  const req = {
    url: source.url,
    path: `/${level.path}`,
    coords,
    spatialDims: dims,
    kind: level.kind,
    zarrFormat: level.zarrFormat,
    ...(level.metadata ? { metadata: level.metadata } : {}),
    opening: source.opening,
    ...(source.storeOptions ? { storeOptions: source.storeOptions } : {}),
  };
  // The chunks of one shard go to one worker, which reads the shard's index once; the shard is
  // named by the id of its first chunk.
  const shard = level.shards && source.ids.id(lv, zyx.map((c, a) => firstOfShard(c, level.chunks[a]!, level.shards![a]!)) as Vec3);
  const r = await source.pool.read(req, { ...(signal ? { signal } : {}), ...(shard !== undefined ? { affinity: shard } : {}) });
  return { words: r.words, bytes: r.bytes };
}

/** The first chunk coordinate, along one axis, of the shard holding chunk `c`. */
function firstOfShard(c: number, chunk: number, shard: number): number {
  return Math.ceil((Math.floor((c * chunk) / shard) * shard) / chunk);
}
