import { HttpError, throwIfAborted } from "../errors.ts";
import { emptyStats, type RangeQuery, type ReadableStore, type StoreStats } from "./types.ts";

type FsPromises = typeof import("node:fs/promises");
let fsPromise: Promise<FsPromises> | undefined;
function fs(): Promise<FsPromises> {
  // A variable specifier keeps browser bundlers from trying to bundle node:fs.
  const specifier = "node:fs/promises";
  fsPromise ??= import(/* @vite-ignore */ specifier) as Promise<FsPromises>;
  return fsPromise;
}

/**
 * A zarr store on the local file system, for Deno and Node. A missing file
 * reads as a missing key.
 *
 * @example
 * ```ts
 * const store = new FileStore("data/sample_v2.zarr");
 * ```
 */
export class FileStore implements ReadableStore {
  readonly url: string;
  readonly stats: StoreStats = emptyStats();

  constructor(root: string) {
    this.url = root.replace(/\/+$/, "") || "/";
  }

  get(key: `/${string}`, opts: { signal?: AbortSignal } = {}): Promise<Uint8Array | undefined> {
    return this.#read(key, undefined, opts.signal);
  }

  getRange(key: `/${string}`, range: RangeQuery, opts: { signal?: AbortSignal } = {}): Promise<Uint8Array | undefined> {
    return this.#read(key, range, opts.signal);
  }

  async #read(key: string, range: RangeQuery | undefined, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
    throwIfAborted(signal, `read ${this.url}${key}`);
    const path = this.url + key;
    const { open } = await fs();
    this.stats.requests++;
    this.stats.inFlight++;
    let handle: Awaited<ReturnType<FsPromises["open"]>> | undefined;
    try {
      handle = await open(path, "r");
      let bytes: Uint8Array;
      if (!range) {
        bytes = new Uint8Array(await handle.readFile());
      } else {
        const size = (await handle.stat()).size;
        const offset = "suffixLength" in range ? Math.max(0, size - range.suffixLength) : range.offset;
        const length = "suffixLength" in range ? size - offset : Math.min(range.length, Math.max(0, size - offset));
        bytes = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await handle.read(bytes, done, length - done, offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
      }
      this.stats.bytes += bytes.byteLength;
      return bytes;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "ENOENT" || code === "ENOTDIR" || (e as { name?: string }).name === "NotFound") return undefined;
      throw new HttpError(path, undefined, 1, { cause: e, detail: `could not be read (${(e as Error).message})` });
    } finally {
      this.stats.inFlight--;
      await handle?.close();
    }
  }
}
