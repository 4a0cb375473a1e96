/**
 * A {@link WriteTarget} on the local filesystem for Node and Deno (through `node:fs/promises`).
 * Each file is written to `<file>.tmp-<random>` and renamed into place, so a crash or a
 * concurrent reader never sees a half-written chunk replace a good one.
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
}

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
      const tmp = `${file}.tmp-${Math.random().toString(36).slice(2, 10)}`;
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
  };
}
