import { ChunkDecodeError } from "../errors.ts";
import { crc32c } from "../zarr-write/crc32c.ts";
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
 * shard (zarrita always asks for a suffix), and checks their crc32c (zarrita
 * drops it unchecked). Bytes are handed on only after the current turn of the
 * event loop: zarrita decodes them synchronously, and the requests the store
 * has just started (the next chunks) should reach the network before that.
 */
export class ShardAwareStore {
  readonly #inner: ReadableStore;
  readonly #shards = new Map<string, ShardIndexInfo>();

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

  async get(key: `/${string}`, opts?: CountingOptions): Promise<Uint8Array | undefined> {
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
      if (bytes && info.crc32c) checkIndexCrc(this.#inner.url, key, bytes);
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

function checkIndexCrc(url: string, key: string, bytes: Uint8Array): void {
  if (bytes.length < 4) throw new ChunkDecodeError(url, key, `shard index of ${bytes.length} bytes is too short`);
  const body = bytes.subarray(0, bytes.length - 4);
  const stored = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true);
  const actual = crc32c(body);
  if (stored !== actual) {
    throw new ChunkDecodeError(
      url,
      key,
      `shard index checksum mismatch (crc32c stored 0x${stored.toString(16)}, computed 0x${actual.toString(16)}): the shard is corrupt`,
    );
  }
}
