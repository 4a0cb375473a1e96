import * as zarr from "zarrita";
import { abortable, ChunkDecodeError, type IntegrityCheck, isCellMapError, MetadataError, throwIfAborted } from "../errors.ts";
import { packChunk, type StorageKind } from "../kernels/chunks/contract.ts";
import { parseJsonBytes, parseZarray, parseZarrJson } from "../ngff/zarr-metadata.ts";
import { installCodecChecks } from "../store/codec-checks.ts";
import { encodeKeyPath } from "../store/key-path.ts";
import { openStore } from "../store/open.ts";
import type { HttpStoreOptions } from "../store/http.ts";
import { TransferFault } from "../store/transport.ts";
import { ShardAwareStore } from "./shard-aware-store.ts";

/** One chunk to read: which array, which chunk, and how to pack it for the cache. */
export interface ChunkRequest {
  /** Root URL or path of the store. */
  url: string;
  /** Path of the level's array below the root, e.g. "/recon-1/em/fibsem-uint8/s0". */
  path: string;
  /** Chunk grid coordinates in the array's own dimension order. */
  coords: number[];
  /** Which array dimensions are z, y and x. */
  spatialDims: [number, number, number];
  /** Storage kind to pack into. */
  kind: StorageKind;
  /** Options for HTTP stores. */
  storeOptions?: HttpStoreOptions;
  /** The array's zarr format, when known: its metadata is then read without probing the other. */
  zarrFormat?: 2 | 3;
  /**
   * The array's metadata document (`.zarray` or `zarr.json`, as `zarrFormat` says) as the
   * calling thread read it when it opened the array: a reader opens the array from it instead of
   * reading it again, so the metadata is read once, not once per worker.
   */
  metadata?: Uint8Array;
  /**
   * Which opening of the array this read belongs to. Readers keep an opened array (and what it
   * learnt, such as a shard that was missing) per opening, so a new open asks the store again.
   */
  opening?: number;
}

/** A read chunk: packed slot words, or `null` when every voxel equals the fill value. */
export interface ChunkResult {
  words: Uint32Array | null;
  /** Bytes received from the store for this chunk (index reads included). */
  bytes: number;
  /** Store requests made for this chunk. */
  requests: number;
}

type AnyArray = zarr.Array<zarr.DataType, ShardAwareStore>;

/**
 * Reads and decodes chunks with zarrita and packs them into the GPU cache's
 * slot layout. Runs inside the fetch workers (and in-process when a pool has
 * no workers). Stores and opened arrays are kept, so metadata is read once.
 */
export class ChunkReader {
  readonly #stores = new Map<string, ShardAwareStore>();
  readonly #arrays = new Map<string, Promise<AnyArray>>();

  constructor() {
    installCodecChecks();
  }

  #store(url: string, options: HttpStoreOptions | undefined): ShardAwareStore {
    const id = options ? `${url}\u0000${JSON.stringify(options)}` : url;
    let s = this.#stores.get(id);
    if (!s) {
      s = new ShardAwareStore(openStore(url, options));
      this.#stores.set(id, s);
    }
    return s;
  }

  #array(req: ChunkRequest): Promise<AnyArray> {
    const id = `${req.url}\u0000${req.path}\u0000${req.storeOptions ? JSON.stringify(req.storeOptions) : ""}\u0000${req.opening ?? ""}`;
    let p = this.#arrays.get(id);
    if (p) {
      // Most recently used last; the oldest openings are forgotten past the limit.
      this.#arrays.delete(id);
      this.#arrays.set(id, p);
      return p;
    }
    p = this.#open(req).catch((e) => {
      this.#arrays.delete(id);
      throw e;
    });
    this.#arrays.set(id, p);
    if (this.#arrays.size > MAX_OPEN_ARRAYS) this.#arrays.delete(this.#arrays.keys().next().value!);
    return p;
  }

  async #open(req: ChunkRequest): Promise<AnyArray> {
    const store = this.#store(req.url, req.storeOptions);
    const path = req.path as `/${string}`;
    const where = `${req.url}${req.path}`;
    const v3Key = `${path}/zarr.json` as `/${string}`;
    const v2Key = `${path}/.zarray` as `/${string}`;
    const given = req.metadata && req.zarrFormat ? req.metadata : undefined;
    const v3 = given ? (req.zarrFormat === 3 ? given : undefined) : req.zarrFormat === 2 ? undefined : await store.inner.get(v3Key);
    const doc = v3 ?? (given ?? (req.zarrFormat === 3 ? undefined : await store.inner.get(v2Key)));
    if (doc) {
      // zarrita reads the same document next: hand it these bytes instead of asking again.
      store.prime(v3 ? v3Key : v2Key, doc);
      // Checked here as on the calling thread: a worker never meets metadata it cannot use.
      const file = `${where}/${v3 ? "zarr.json" : ".zarray"}`;
      const meta = parseJsonBytes(file, doc);
      if (v3) {
        if (parseZarrJson(file, meta).kind !== "array") throw new MetadataError(file, "node_type", 'must be "array" for a level', "group");
        registerShards(store, path, meta as Record<string, unknown>);
      } else {
        parseZarray(file, meta);
      }
    }
    try {
      // zarrita's resolve parses its argument as a URL: encode the raw key first.
      const loc = zarr.root(store).resolve(encodeKeyPath(path.slice(1)));
      const opened = v3 ? zarr.open.v3(loc, { kind: "array" }) : doc ? zarr.open.v2(loc, { kind: "array", attrs: false }) : zarr.open(loc, { kind: "array" });
      return (await opened) as AnyArray;
    } catch (e) {
      if (isCellMapError(e)) throw e;
      throw new MetadataError(where, "array metadata", `could not be opened: ${(e as Error).message}`, undefined, { cause: e });
    } finally {
      if (doc) store.unprime(v3 ? v3Key : v2Key);
    }
  }

  /** Drop the arrays opened for this opening (its array was destroyed). */
  forget(opening: number): void {
    const suffix = `\u0000${opening}`;
    for (const id of [...this.#arrays.keys()]) if (id.endsWith(suffix)) this.#arrays.delete(id);
  }

  /**
   * Read, decode and pack one chunk. Bytes that fail an integrity check (a blosc header that
   * disagrees with them, a checksum, the decoded size, a codec that cannot decode them) are
   * fetched again, as many times as the store tries a request, before the chunk is reported bad.
   */
  async read(req: ChunkRequest, signal?: AbortSignal): Promise<ChunkResult> {
    const key = req.coords.join("/");
    const where = `${req.url}${req.path}`;
    // The open is shared by every read of the array: an abort stops this read's wait, not the open.
    const arr = await abortable(this.#array(req), signal, `chunk ${key} of ${where}`);
    const tries = Math.max(1, req.storeOptions?.maxTries ?? 4);
    const backoff = req.storeOptions?.backoffMs ?? 100;
    const counter = { bytes: 0, requests: 0 };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#readOnce(arr, req, key, where, counter, signal);
      } catch (e) {
        if (!(e instanceof ChunkDecodeError) || e.check === undefined) throw e;
        if (attempt >= tries) {
          throw new ChunkDecodeError(where, key, `${e.message.slice(e.message.indexOf(": ") + 2)} (${tries} ${tries === 1 ? "try" : "tries"})`, { check: e.check, cause: e.cause });
        }
        await pause(backoff * 2 ** (attempt - 1) * (0.5 + Math.random() / 2), signal, `chunk ${key} of ${where}`);
      }
    }
  }

  async #readOnce(arr: AnyArray, req: ChunkRequest, key: string, where: string, counter: { bytes: number; requests: number }, signal: AbortSignal | undefined): Promise<ChunkResult> {
    let chunk: zarr.Chunk<zarr.DataType>;
    try {
      const opts: { signal?: AbortSignal; counter: typeof counter } = { counter };
      if (signal) opts.signal = signal;
      chunk = await arr.getChunk(req.coords, opts as { signal?: AbortSignal });
    } catch (e) {
      throwIfAborted(signal, `chunk ${key} of ${where}`);
      if (isCellMapError(e)) throw e;
      const fault = findFault(e);
      const check: IntegrityCheck = fault?.check ?? "decode";
      const detail = fault ? fault.message : `could not be decoded (${(e as Error).message})`;
      throw new ChunkDecodeError(where, key, detail, { cause: e, check });
    }
    const expected = arr.chunks.reduce((a, b) => a * b, 1);
    if (chunk.data.length !== expected) {
      throw new ChunkDecodeError(where, key, `decoded to ${chunk.data.length} elements, expected ${expected}`, { check: "decoded-size" });
    }
    const fill = arr.fillValue;
    const zyx = toZyx(chunk, req.spatialDims);
    if (isAllFill(zyx, fill)) return { words: null, bytes: counter.bytes, requests: counter.requests };
    const words = adoptWords(zyx, req.kind) ?? packChunk(zyx as never, req.kind, key, where);
    return { words, bytes: counter.bytes, requests: counter.requests };
  }
}

/** Arrays a reader keeps open at most (each holds its metadata and the shard indexes it read). */
const MAX_OPEN_ARRAYS = 64;

/** The fault seen in transit behind a codec failure, if there is one. */
function findFault(e: unknown): TransferFault | undefined {
  for (let cur = e, depth = 0; cur && depth < 6; depth++) {
    if (cur instanceof TransferFault) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

type CodecMeta = { name?: unknown; configuration?: Record<string, unknown> };

/** Tell the store where a sharded array keeps its shard indexes. */
function registerShards(store: ShardAwareStore, path: string, meta: Record<string, unknown>): void {
  const codecs = Array.isArray(meta["codecs"]) ? (meta["codecs"] as CodecMeta[]) : [];
  for (const c of codecs) {
    if (c?.name !== "sharding_indexed") continue;
    const conf = c.configuration ?? {};
    const idxCodecs = Array.isArray(conf["index_codecs"]) ? (conf["index_codecs"] as CodecMeta[]) : [];
    store.registerShardedArray(path, {
      location: conf["index_location"] === "start" ? "start" : "end",
      crc32c: idxCodecs.some((x) => x?.name === "crc32c"),
    });
  }
}

/** Wait `ms`, or reject with an {@link AbortedError} when `signal` aborts first. */
function pause(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return abortable(new Promise<void>((r) => setTimeout(r, ms)), signal, what);
}

/** The typed array class whose elements a slot of each storage kind holds, byte for byte. */
const SLOT_LAYOUT: Readonly<Record<StorageKind, new (n: number) => ArrayBufferView>> = {
  u8: Uint8Array,
  i8: Int8Array,
  u16: Uint16Array,
  i16: Int16Array,
  u32: Uint32Array,
  i32: Int32Array,
  f32: Float32Array,
};

/**
 * The slot words of a decoded chunk without a copy, when its elements already have the slot's
 * layout and it owns its whole buffer (freshly decoded, a multiple of 4 bytes); else undefined.
 */
function adoptWords(data: Numeric, kind: StorageKind): Uint32Array<ArrayBuffer> | undefined {
  const view = data as unknown as ArrayBufferView;
  if (view.constructor !== SLOT_LAYOUT[kind]) return undefined;
  const buffer = view.buffer;
  if (!(buffer instanceof ArrayBuffer) || view.byteOffset !== 0 || view.byteLength !== buffer.byteLength || buffer.byteLength % 4 !== 0) return undefined;
  return new Uint32Array(buffer);
}

type Numeric = ArrayLike<number> | ArrayLike<bigint>;

/** Reorder a decoded chunk into C-order z, y, x (other dimensions are size 1). */
function toZyx(chunk: zarr.Chunk<zarr.DataType>, dims: [number, number, number]): Numeric {
  const data = chunk.data as unknown as Numeric & { constructor: new (n: number) => Numeric };
  const { shape, stride } = chunk;
  const [dz, dy, dx] = dims;
  const nz = shape[dz]!, ny = shape[dy]!, nx = shape[dx]!;
  const sz = stride[dz]!, sy = stride[dy]!, sx = stride[dx]!;
  if (sx === 1 && sy === nx && sz === nx * ny) return data;
  const out = new data.constructor(nz * ny * nx) as unknown as { [i: number]: number | bigint };
  const src = data as unknown as { [i: number]: number | bigint };
  let o = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      let i = z * sz + y * sy;
      for (let x = 0; x < nx; x++, i += sx) out[o++] = src[i]!;
    }
  }
  return out as unknown as Numeric;
}

function isAllFill(data: Numeric, fill: unknown): boolean {
  if (fill === null || fill === undefined) return false;
  const d = data as unknown as { [i: number]: unknown; length: number };
  let f: unknown = fill;
  if (typeof d[0] === "bigint" && typeof fill !== "bigint") f = BigInt(fill as number);
  if (typeof d[0] === "boolean" || typeof fill === "boolean") return false;
  if (typeof f === "number" && Number.isNaN(f)) {
    for (let i = 0; i < d.length; i++) if (!Number.isNaN(d[i])) return false;
    return true;
  }
  for (let i = 0; i < d.length; i++) if (d[i] !== f) return false;
  return true;
}
