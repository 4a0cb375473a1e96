import type { RangeQuery, ReadableStore } from "../store/types.ts";
import { nextTurn } from "./next-turn.ts";

/** How a sharded array stores its shard index. */
export interface ShardIndexInfo {
  /** `"start"` or `"end"` of the shard file. */
  location: "start" | "end";
  /** Whether the index ends in a crc32c checksum. */
  crc32c: boolean;
}

/** Options that zarrita passes through to the store; `counter` collects bytes read. */
export interface CountingOptions {
  signal?: AbortSignal;
  counter?: { bytes: number; requests: number };
}

/**
 * Wraps a store for the chunk reader: counts bytes per request through the
 * options zarrita hands down, reads shard indexes stored at the start of the
 * shard (zarrita always asks for a suffix; their crc32c is checked by the
 * checking codec of `installCodecChecks`), and serves a metadata document the
 * reader has already read once to zarrita's read of it ({@link prime}). Bytes are handed on only after the current turn of the
 * event loop: zarrita decodes them synchronously, and the requests the store
 * has just started (the next chunks) should reach the network before that.
 */
export class ShardAwareStore {
  readonly #inner: ReadableStore;
  readonly #shards = new Map<string, ShardIndexInfo>();
  readonly #primed = new Map<string, Uint8Array>();

  constructor(inner: ReadableStore) {
    this.#inner = inner;
  }

  get url(): string {
    return this.#inner.url;
  }

  get inner(): ReadableStore {
    return this.#inner;
  }

  /** Declare that the array at `arrayPath` (absolute, e.g. "/s0") is sharded so. */
  registerShardedArray(arrayPath: string, info: ShardIndexInfo): void {
    this.#shards.set(arrayPath.replace(/\/+$/, "") + "/", info);
  }

  /** Serve `bytes` to the next `get(key)` instead of asking the store (once). */
  prime(key: string, bytes: Uint8Array): void {
    this.#primed.set(key, bytes);
  }

  /** Forget what {@link prime} left unread for `key` (other opens on this store keep theirs). */
  unprime(key: string): void {
    this.#primed.delete(key);
  }

  async get(key: `/${string}`, opts?: CountingOptions): Promise<Uint8Array | undefined> {
    const primed = this.#primed.get(key);
    if (primed) {
      this.#primed.delete(key);
      return primed;
    }
    const bytes = await this.#inner.get(key, signalOnly(opts));
    count(opts, bytes);
    await nextTurn();
    return bytes;
  }

  async getRange(key: `/${string}`, range: RangeQuery, opts?: CountingOptions): Promise<Uint8Array | undefined> {
    const info = "suffixLength" in range ? this.#shardInfo(key) : undefined;
    let bytes: Uint8Array | undefined;
    if (info && "suffixLength" in range) {
      const asked: RangeQuery = info.location === "start" ? { offset: 0, length: range.suffixLength } : range;
      bytes = await this.#inner.getRange(key, asked, signalOnly(opts));
      count(opts, bytes);
      await nextTurn();
      return bytes;
    }
    bytes = await this.#inner.getRange(key, range, signalOnly(opts));
    count(opts, bytes);
    await nextTurn();
    return bytes;
  }

  #shardInfo(key: string): ShardIndexInfo | undefined {
    for (const [prefix, info] of this.#shards) if (key.startsWith(prefix)) return info;
    return undefined;
  }
}

function signalOnly(opts: CountingOptions | undefined): { signal?: AbortSignal } {
  return opts?.signal ? { signal: opts.signal } : {};
}

function count(opts: CountingOptions | undefined, bytes: Uint8Array | undefined): void {
  if (!opts?.counter) return;
  opts.counter.requests++;
  if (bytes) opts.counter.bytes += bytes.byteLength;
}
