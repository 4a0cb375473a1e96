/**
 * `cellmap-data/npy`: NumPy `.npy` files, encoded from and decoded to typed arrays (what the
 * command line writes its batches as).
 *
 * @example
 * ```ts
 * import { decodeNpy, encodeNpy } from "cellmap-data/npy";
 * const bytes = encodeNpy(new Float32Array(8), [2, 4]);
 * const { shape, data } = decodeNpy(bytes);
 * ```
 * @module
 */
export { decodeNpy, encodeNpy, type EncodeNpyOptions, type NpyArray, type NpyDtype, type NpyTypedArray } from "../io/npy.ts";
