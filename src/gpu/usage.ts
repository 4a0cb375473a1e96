/**
 * WebGPU's buffer usage flags and map modes, as the spec numbers them. The library writes these
 * instead of the `GPUBufferUsage` / `GPUMapMode` globals: Node has those only once Dawn is loaded,
 * and a module may be evaluated before that.
 *
 * @example
 * ```ts
 * device.createBuffer({ size: 256, usage: USAGE.STORAGE | USAGE.COPY_SRC });
 * await buffer.mapAsync(MAP_MODE.READ);
 * ```
 * @module
 */

/** `GPUBufferUsage` flags. */
export const USAGE = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  INDEX: 0x0010,
  VERTEX: 0x0020,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
  INDIRECT: 0x0100,
  QUERY_RESOLVE: 0x0200,
} as const;

/** `GPUMapMode` flags. */
export const MAP_MODE = { READ: 0x0001, WRITE: 0x0002 } as const;
