/** A byte range of a stored object, as zarrita asks for it. */
export type RangeQuery = { offset: number; length: number } | { suffixLength: number };

/** Counters every store keeps, so users can see what a read cost. */
export interface StoreStats {
  /** Requests (or file reads) made, retries included. */
  requests: number;
  /** Requests that were retries after a failure. */
  retries: number;
  /** Bytes received. */
  bytes: number;
  /** Requests running now. */
  inFlight: number;
}

/** The read interface of a zarr store (zarrita's AsyncReadable), plus stats. */
export interface ReadableStore {
  /** Where the store reads from (URL or path), for messages. */
  readonly url: string;
  readonly stats: StoreStats;
  get(key: `/${string}`, opts?: { signal?: AbortSignal }): Promise<Uint8Array | undefined>;
  getRange(key: `/${string}`, range: RangeQuery, opts?: { signal?: AbortSignal }): Promise<Uint8Array | undefined>;
}

export function emptyStats(): StoreStats {
  return { requests: 0, retries: 0, bytes: 0, inFlight: 0 };
}
