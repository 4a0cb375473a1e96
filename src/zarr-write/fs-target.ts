/**
 * A {@link WriteTarget} on the local filesystem for Node and Deno (through `node:fs/promises`).
 * Each file is written to `<file>.tmp-<random>` and renamed into place, so a crash or a
 * concurrent reader never sees a half-written chunk replace a good one. A process killed between
 * the two leaves the temporary file behind: {@link FsTarget.removeTemporaryFiles} deletes them
 * (the dataset writer calls it when it opens an output).
 *
 * Not for browsers: import it from `src/zarr-write/fs-target.ts` directly, it is not re-exported
 * by the browser-safe `index.ts`.
 * @module
 */

import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ArgumentError } from "../errors.ts";
import type { WriteTarget } from "./target.ts";

/** A filesystem target rooted at a folder. */
export interface FsTarget extends WriteTarget {
  /** The root folder keys are relative to. */
  readonly root: string;
  get(key: string): Promise<Uint8Array | undefined>;
  delete(key: string): Promise<void>;
  /**
   * Delete the temporary files (`<file>.tmp-<random>`) that writes interrupted by a kill left:
   * those of `key` only, or with no key every one under the root, walking each folder once.
   * Only for a root that no other process writes to.
   * @returns how many were deleted
   */
  removeTemporaryFiles(key?: string): Promise<number>;
}

/** Names of the temporary files {@link FsTarget.set} writes before renaming them into place. */
export const TEMPORARY_FILE = /\.tmp-[0-9a-z]{1,8}$/;

/** A temporary file name for `file`. */
const temporaryName = (file: string): string => `${file}.tmp-${Math.random().toString(36).slice(2, 10) || "0"}`;

/**
 * Create a filesystem target rooted at `root` (created on the first write).
 * @example
 * ```ts
 * const target = createFsTarget("data");
 * await target.set("hello.txt", new TextEncoder().encode("hi"));
 * ```
 */
export function createFsTarget(root: string): FsTarget {
  const made = new Map<string, Promise<unknown>>();
  const pathOf = (key: string): string => {
    const parts = key.split("/").filter((p) => p !== "");
    if (parts.length === 0 || parts.some((p) => p === "..")) {
      throw new ArgumentError("key", "must be a relative path without '..'", key);
    }
    return join(root, ...parts);
  };
  const ensureDir = (dir: string): Promise<unknown> => {
    let p = made.get(dir);
    if (p === undefined) {
      p = mkdir(dir, { recursive: true });
      made.set(dir, p);
      p.catch(() => made.delete(dir));
    }
    return p;
  };
  return {
    root,
    async set(key, bytes) {
      const file = pathOf(key);
      await ensureDir(dirname(file));
      const tmp = temporaryName(file);
      try {
        await writeFile(tmp, bytes);
        await rename(tmp, file);
      } catch (e) {
        await rm(tmp, { force: true }).catch(() => {});
        throw e;
      }
    },
    async get(key) {
      try {
        return new Uint8Array(await readFile(pathOf(key)));
      } catch (e) {
        if ((e as { code?: unknown }).code === "ENOENT") return undefined;
        throw e;
      }
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
    removeTemporaryFiles: (key) => {
      if (key === undefined) return removeTemporaryFiles(root, true, () => true);
      const file = pathOf(key);
      return removeTemporaryFiles(dirname(file), false, (name) => name.startsWith(`${basename(file)}.tmp-`));
    },
  };
}

async function removeTemporaryFiles(dir: string, deep: boolean, chosen: (name: string) => boolean): Promise<number> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as { code?: unknown }).code === "ENOENT" || (e as { code?: unknown }).code === "ENOTDIR") return 0;
    throw e;
  }
  let removed = 0;
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (deep) removed += await removeTemporaryFiles(path, deep, chosen);
    } else if (entry.isFile() && TEMPORARY_FILE.test(entry.name) && chosen(entry.name)) {
      await rm(path, { force: true });
      removed++;
    }
  }
  return removed;
}
