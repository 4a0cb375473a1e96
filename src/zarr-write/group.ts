/**
 * Write zarr groups with attributes.
 * @module
 */

import { throwIfAborted } from "../errors.ts";
import { jsonBytes } from "./array.ts";
import { joinKey, type WriteTarget } from "./target.ts";
import { v2GroupMetadata } from "./v2.ts";
import { v3GroupMetadata } from "./v3.ts";

/** Options of {@link writeGroup}. */
export interface GroupOptions {
  readonly zarrFormat: 2 | 3;
  /** Group attributes (v2 `.zattrs`, v3 `zarr.json` `attributes`). */
  readonly attributes?: Readonly<Record<string, unknown>>;
  readonly signal?: AbortSignal;
}

/**
 * Create (or overwrite) a group at `path`. Parent groups are not created: write them too.
 * @example
 * ```ts
 * await writeGroup(target, "sample.zarr", { zarrFormat: 3 });
 * await writeGroup(target, "sample.zarr/raw", { zarrFormat: 3, attributes: multiscalesAttributes("0.5", { levels }) });
 * ```
 */
export async function writeGroup(target: WriteTarget, path: string, options: GroupOptions): Promise<void> {
  throwIfAborted(options.signal, `writing group ${path}`);
  if (options.zarrFormat === 3) {
    await target.set(joinKey(path, "zarr.json"), jsonBytes(v3GroupMetadata(options.attributes)));
    return;
  }
  await target.set(joinKey(path, ".zgroup"), jsonBytes(v2GroupMetadata()));
  if (options.attributes !== undefined) await target.set(joinKey(path, ".zattrs"), jsonBytes(options.attributes));
}
