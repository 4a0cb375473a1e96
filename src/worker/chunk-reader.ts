import * as zarr from "zarrita";
import { AbortedError, ChunkDecodeError, isCellMapError, MetadataError } from "../errors.ts";
import { packChunk, type StorageKind } from "../array/storage-kind.ts";
import { openStore } from "../store/open.ts";
import type { HttpStoreOptions } from "../store/http.ts";
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
    const id = `${req.url}\u0000${req.path}\u0000${req.storeOptions ? JSON.stringify(req.storeOptions) : ""}`;
    let p = this.#arrays.get(id);
    if (!p) {
      p = this.#open(req).catch((e) => {
        this.#arrays.delete(id);
        throw e;
      });
      this.#arrays.set(id, p);
    }
    return p;
  }

  async #open(req: ChunkRequest): Promise<AnyArray> {
    const store = this.#store(req.url, req.storeOptions);
    const path = req.path as `/${string}`;
    const metaBytes = await store.inner.get(`${path}/zarr.json` as `/${string}`);
    if (metaBytes) {
      const meta = JSON.parse(new TextDecoder().decode(metaBytes)) as { codecs?: unknown };
      const codecs = Array.isArray(meta.codecs) ? meta.codecs : [];
      for (const c of codecs as Array<{ name?: string; configuration?: Record<string, unknown> }>) {
        if (c?.name === "sharding_indexed") {
          const conf = c.configuration ?? {};
          const idxCodecs = Array.isArray(conf["index_codecs"]) ? (conf["index_codecs"] as Array<{ name?: string }>) : [];
          store.registerShardedArray(path, {
            location: conf["index_location"] === "start" ? "start" : "end",
            crc32c: idxCodecs.some((x) => x?.name === "crc32c"),
          });
        }
      }
    }
    try {
      return (await zarr.open(zarr.root(store).resolve(path.slice(1)), { kind: "array" })) as AnyArray;
    } catch (e) {
      if (isCellMapError(e)) throw e;
      throw new MetadataError(`${req.url}${req.path}`, "array metadata", `could not be opened: ${(e as Error).message}`, undefined, { cause: e });
    }
  }

  /** Read, decode and pack one chunk. */
  async read(req: ChunkRequest, signal?: AbortSignal): Promise<ChunkResult> {
    const key = req.coords.join("/");
    const where = `${req.url}${req.path}`;
    // The open is shared by every read of the array: an abort stops this read's wait, not the open.
    const arr = await untilAborted(this.#array(req), signal, `chunk ${key} of ${where}`);
    const counter = { bytes: 0, requests: 0 };
    let chunk: zarr.Chunk<zarr.DataType>;
    try {
      const opts: { signal?: AbortSignal; counter: typeof counter } = { counter };
      if (signal) opts.signal = signal;
      chunk = await arr.getChunk(req.coords, opts as { signal?: AbortSignal });
    } catch (e) {
      if (signal?.aborted) throw new AbortedError(`chunk ${key} of ${where}`, { cause: signal.reason });
      if (isCellMapError(e)) throw e;
      throw new ChunkDecodeError(where, key, `could not be decoded (${(e as Error).message})`, { cause: e });
    }
    const expected = arr.chunks.reduce((a, b) => a * b, 1);
    if (chunk.data.length !== expected) {
      throw new ChunkDecodeError(where, key, `decoded to ${chunk.data.length} elements, expected ${expected}`);
    }
    const fill = arr.fillValue;
    const zyx = toZyx(chunk, req.spatialDims);
    if (isAllFill(zyx, fill)) return { words: null, bytes: counter.bytes, requests: counter.requests };
    const words = adoptWords(zyx, req.kind) ?? packChunk(zyx as never, req.kind, key, where);
    return { words, bytes: counter.bytes, requests: counter.requests };
  }
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

/** `work`, or an {@link AbortedError} as soon as `signal` aborts (the work itself goes on). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(new AbortedError(what, { cause: signal.reason }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError(what, { cause: signal.reason }));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

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
