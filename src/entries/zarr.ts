/**
 * `cellmap-data/zarr`: the zarr writer under the dataset writer: arrays and groups in zarr v2
 * or v3 (sharded or not) with OME-NGFF multiscale metadata, onto a memory, filesystem (Node,
 * Deno) or custom target.
 *
 * @example
 * ```ts
 * import { createFsTarget, writeArray } from "cellmap-data/zarr";
 * const target = createFsTarget("out.zarr");
 * const spec = { shape: [64, 64, 64], chunks: [32, 32, 32], dtype: "uint8", zarrFormat: 3 } as const;
 * await writeArray(target, "raw/s0", spec, new Uint8Array(64 ** 3));
 * ```
 * @module
 */
export * from "../zarr-write/index.ts";
export { createFsTarget, type FsTarget } from "../zarr-write/fs-target.ts";
