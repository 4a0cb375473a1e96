/**
 * A {@link WriteTarget} on the local filesystem for Node and Deno (through `node:fs/promises`).
 * Each file is written to `<file>.tmp-<random>` and renamed into place, so a crash or a
 * concurrent reader never sees a half-written chunk replace a good one. A process killed between
 * the two leaves the temporary file behind: {@link FsTarget.removeTemporaryFiles} deletes them
 * (the dataset writer calls it when it opens an output).
 *
 * Not for browsers: import it from `src/zarr-write/fs-target.ts` directly, it is not re-exported
 * by the browser-safe `index.ts`. The Node modules are loaded on first use, through specifiers
 * that bundlers do not follow, so a browser build that contains the writer does not pull them in.
 * @module
 */

import { ArgumentError } from "../errors.ts";
import type { WriteTarget } from "./target.ts";

type NodeModules = [typeof import("node:fs/promises"), typeof import("node:path")];
let nodeModules: Promise<NodeModules> | undefined;

function loadNode(): Promise<NodeModules> {
  const fs = "node:fs/promises";
  const path = "node:path";
  nodeModules ??= Promise.all([import(/* @vite-ignore */ fs), import(/* @vite-ignore */ path)]) as Promise<NodeModules>;
  return nodeModules;
}

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
  const pathOf = async (key: string): Promise<string> => {
    const parts = key.split("/").filter((p) => p !== "");
    if (parts.length === 0 || parts.some((p) => p === "..")) {
      throw new ArgumentError("key", "must be a relative path without '..'", key);
    }
    const [, path] = await loadNode();
    return path.join(root, ...parts);
  };
  const ensureDir = async (dir: string): Promise<unknown> => {
    const [fs] = await loadNode();
    let p = made.get(dir);
    if (p === undefined) {
      p = fs.mkdir(dir, { recursive: true });
      made.set(dir, p);
      p.catch(() => made.delete(dir));
    }
    return p;
  };
  return {
    root,
    async set(key, bytes) {
      const [fs, path] = await loadNode();
      const file = await pathOf(key);
      await ensureDir(path.dirname(file));
      const tmp = temporaryName(file);
      try {
        await fs.writeFile(tmp, bytes);
        await fs.rename(tmp, file);
      } catch (e) {
        await fs.rm(tmp, { force: true }).catch(() => {});
        throw e;
      }
    },
    async get(key) {
      try {
        const [fs] = await loadNode();
        return new Uint8Array(await fs.readFile(await pathOf(key)));
      } catch (e) {
        if ((e as { code?: unknown }).code === "ENOENT") return undefined;
        throw e;
      }
    },
    async delete(key) {
      const [fs] = await loadNode();
      await fs.rm(await pathOf(key), { force: true });
    },
    removeTemporaryFiles: async (key) => {
      if (key === undefined) return await removeTemporaryFiles(root, true, () => true);
      const [, path] = await loadNode();
      const file = await pathOf(key);
      return await removeTemporaryFiles(path.dirname(file), false, (name) => name.startsWith(`${path.basename(file)}.tmp-`));
    },
  };
}

async function removeTemporaryFiles(dir: string, deep: boolean, chosen: (name: string) => boolean): Promise<number> {
  const [fs, nodePath] = await loadNode();
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as { code?: unknown }).code === "ENOENT" || (e as { code?: unknown }).code === "ENOTDIR") return 0;
    throw e;
  }
  let removed = 0;
  for (const entry of entries) {
    const path = nodePath.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (deep) removed += await removeTemporaryFiles(path, deep, chosen);
    } else if (entry.isFile() && TEMPORARY_FILE.test(entry.name) && chosen(entry.name)) {
      await fs.rm(path, { force: true });
      removed++;
    }
  }
  return removed;
}
