/**
 * Where the writer puts bytes: a key-value target with `/`-separated keys relative to its root
 * (`"raw.zarr/s0/c/0/0/0"`). Implement it for any storage; {@link createMemoryTarget} keeps
 * everything in a `Map` and is also a zarrita store, so what you write can be read back at once.
 * @module
 */

/** A destination for zarr keys. `get` and `delete` are optional. */
export interface WriteTarget {
  /** Store `bytes` under `key`, replacing what was there only once the new value is complete. */
  set(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes under `key`, or undefined when there are none. */
  get?(key: string): Promise<Uint8Array | undefined>;
  /** Remove `key` if present (used to drop stale chunks that became empty). */
  delete?(key: string): Promise<void>;
}

/** A byte range as zarrita asks for it: `offset` + `length`, or the last `suffixLength` bytes. */
export type ByteRange = { readonly offset: number; readonly length: number } | { readonly suffixLength: number };

/**
 * An in-memory {@link WriteTarget} that is also a readable zarrita store: `get` and `getRange`
 * accept zarrita's absolute keys (`"/a/b"`), so sharded arrays read back directly.
 */
export interface MemoryTarget extends WriteTarget {
  /** Every stored key (relative, no leading slash) and its bytes. */
  readonly map: Map<string, Uint8Array>;
  get(key: string): Promise<Uint8Array | undefined>;
  getRange(key: string, range: ByteRange): Promise<Uint8Array | undefined>;
  delete(key: string): Promise<void>;
}

/**
 * Create an in-memory target.
 * @example
 * ```ts
 * import * as zarr from "zarrita";
 * const target = createMemoryTarget();
 * await writeArray(target, "a.zarr", { shape: [4], chunks: [2], dtype: "uint8", zarrFormat: 3 }, new Uint8Array(4));
 * const arr = await zarr.open(zarr.root(target).resolve("a.zarr"), { kind: "array" });
 * const { data } = await zarr.get(arr);
 * ```
 */
export function createMemoryTarget(map: Map<string, Uint8Array> = new Map()): MemoryTarget {
  const rel = (key: string) => key.replace(/^\/+/, "");
  return {
    map,
    set(key, bytes) {
      map.set(rel(key), bytes);
      return Promise.resolve();
    },
    get(key) {
      return Promise.resolve(map.get(rel(key)));
    },
    getRange(key, range) {
      const bytes = map.get(rel(key));
      if (bytes === undefined) return Promise.resolve(undefined);
      if ("suffixLength" in range) return Promise.resolve(bytes.subarray(Math.max(0, bytes.length - range.suffixLength)));
      return Promise.resolve(bytes.subarray(range.offset, range.offset + range.length));
    },
    delete(key) {
      map.delete(rel(key));
      return Promise.resolve();
    },
  };
}

/** Join key parts with `/`, dropping empty parts and stray slashes. */
export function joinKey(...parts: string[]): string {
  return parts.flatMap((p) => p.split("/")).filter((p) => p !== "" && p !== ".").join("/");
}
