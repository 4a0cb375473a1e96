import type { ChunkRequest, ChunkResult } from "./chunk-reader.ts";
import type { WireError } from "./errors-wire.ts";

/** What a fetch worker answers: a result, or a typed error in wire form. */
export type WorkerAnswer = { ok: true; result: ChunkResult } | { ok: false; error: WireError };

/** The API a fetch worker exposes over comlink. */
export interface FetchWorkerApi {
  /** Read one chunk; `id` lets the caller cancel it. */
  read(id: number, req: ChunkRequest): Promise<WorkerAnswer>;
  /** Abort the read with this id, if it still runs. */
  cancel(id: number): void;
}
