export { ChunkReader, type ChunkRequest, type ChunkResult } from "./chunk-reader.ts";
export { WorkerPool, type WorkerPoolOptions, type WorkerPoolStats } from "./pool.ts";
export { runtime } from "./spawn.ts";
export type { FetchWorkerCounts } from "./protocol.ts";
