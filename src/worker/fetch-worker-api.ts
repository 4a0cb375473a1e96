import { ChunkReader, type ChunkRequest } from "./chunk-reader.ts";
import { toWire } from "./errors-wire.ts";
import type { FetchWorkerApi, WorkerAnswer } from "./protocol.ts";

/** The worker-side implementation of {@link FetchWorkerApi}; also used in-process. */
export function createFetchWorkerApi(transfer: <T>(value: T, buffers: ArrayBuffer[]) => T = (v) => v): FetchWorkerApi {
  const reader = new ChunkReader();
  const running = new Map<number, AbortController>();
  return {
    async read(id: number, req: ChunkRequest): Promise<WorkerAnswer> {
      const ac = new AbortController();
      running.set(id, ac);
      try {
        const result = await reader.read(req, ac.signal);
        const answer: WorkerAnswer = { ok: true, result };
        return result.words ? transfer(answer, [result.words.buffer as ArrayBuffer]) : answer;
      } catch (e) {
        return { ok: false, error: toWire(e) };
      } finally {
        running.delete(id);
      }
    },
    cancel(id: number): void {
      running.get(id)?.abort();
    },
  };
}
