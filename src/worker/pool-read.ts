import { ChunkDecodeError } from "../errors.ts";
import type { ChunkRequest, ChunkResult } from "./chunk-reader.ts";
import type { Slot } from "./pool-slot.ts";

/** A read asked of the pool and not yet settled. */
export interface Pending {
  slot: Slot;
  req: ChunkRequest;
  affinity: string | number | undefined;
  /** Workers that stopped while this read was on them. */
  crashes: number;
  resolve(result: ChunkResult): void;
  reject(error: unknown): void;
  signal: AbortSignal | undefined;
  /** Stops hearing the read's signal. */
  offAbort: (() => void) | undefined;
}

/** A read as errors name it. */
export function describeRead(req: ChunkRequest): string {
  return `chunk ${req.coords.join("/")} of ${req.url}${req.path}`;
}

/** The error of a read that no worker could finish: `why` says what happened to the workers. */
export function unreadable(req: ChunkRequest, why: string): ChunkDecodeError {
  return new ChunkDecodeError(`${req.url}${req.path}`, req.coords.join("/"), `could not be read: ${why}`);
}

/** Reads waiting for a worker while every worker is being replaced, in the order they were parked. */
export class ParkedReads {
  #reads: Array<{ id: number; p: Pending }> = [];

  park(id: number, p: Pending): void {
    this.#reads.push({ id, p });
  }

  has(id: number): boolean {
    return this.#reads.some((o) => o.id === id);
  }

  /** Take one read out; false when it was not parked. */
  remove(id: number): boolean {
    const i = this.#reads.findIndex((o) => o.id === id);
    if (i < 0) return false;
    this.#reads.splice(i, 1);
    return true;
  }

  /** Take every parked read out. */
  takeAll(): Array<{ id: number; p: Pending }> {
    const reads = this.#reads;
    this.#reads = [];
    return reads;
  }
}
