import { checkOptions, checkVec3, isPlainObject } from "../arguments.ts";
import { ArgumentError } from "../errors.ts";
import type { DeformField } from "../augment/deform.ts";
import type { Interpolation, OutputSpec, Vec3 } from "../geometry/types.ts";

const GRID_KEYS = ["shape", "scale", "interp", "pad", "signal"] as const;
/** The option keys of `CellMapArray.sample`. */
export const READ_KEYS = [...GRID_KEYS, "out", "outStride"] as const;
/** The option keys of `CellMapArray.sampleInto`. */
export const READ_INTO_KEYS = [...GRID_KEYS, "buffer", "byteOffset", "recorder"] as const;

/**
 * One sample to read: its world center, optional augmentation matrix A (row-major z, y, x) and
 * optional elastic deformation: output voxel at offset `o` from the center (world units) is read
 * at `center + A·(o + d(o))`, `d` the field's displacement (`src/augment/deform.ts`).
 */
export interface SampleSpec {
  /** World center z, y, x (`as const` tuples accepted). */
  center: Readonly<Vec3>;
  augment?: ArrayLike<number>;
  deform?: DeformField;
}

/** How to read samples: the output grid, interpolation and pad value. */
export interface ReadOptions {
  /** Output voxels per axis (z, y, x): three positive integers. */
  shape: readonly number[];
  /** Output voxel size per axis (z, y, x), world units: three positive numbers. */
  scale: readonly number[];
  /** "linear" for raw intensities (default), "nearest" for labels. */
  interp?: Interpolation;
  /** Value outside the volume (default 0; NaN allowed). */
  pad?: number;
  signal?: AbortSignal;
}

/** Read options, checked: the output grid as z, y, x vectors. */
export type CheckedRead = Omit<ReadOptions, "shape" | "scale"> & OutputSpec;

/** Check a read's specs and options before anything is allocated; the output grid as z, y, x vectors. */
export function checkRead(where: "sample" | "sampleInto", specs: readonly SampleSpec[], options: ReadOptions, keys: readonly string[]): CheckedRead {
  if (!Array.isArray(specs)) throw new ArgumentError("specs", `of CellMapArray.${where} must be an array of { center: [z, y, x] }`, specs);
  specs.forEach((s, i) => {
    if (!isPlainObject(s)) throw new ArgumentError(`specs[${i}]`, "must be an object { center: [z, y, x] }", s);
    checkVec3(`specs[${i}].center`, s.center, "point");
  });
  checkOptions(`CellMapArray.${where}`, options, keys);
  const shape = checkVec3("shape", options.shape, "shape");
  const scale = checkVec3("scale", options.scale, "scale");
  if (options.pad !== undefined && typeof options.pad !== "number") throw new ArgumentError("pad", "must be a number (NaN allowed)", options.pad);
  return { ...options, shape, scale };
}

/**
 * Check the GPU buffer and byte offset `sampleInto` writes `count` samples of `read`'s grid to;
 * returns the byte offset.
 */
export function checkOutputBuffer(count: number, read: CheckedRead, options: { buffer: GPUBuffer; byteOffset?: number }): number {
  const buffer = options.buffer as GPUBuffer | undefined;
  if (!isPlainObjectLike(buffer) || typeof buffer.size !== "number") throw new ArgumentError("buffer", "must be a GPUBuffer with STORAGE usage", typeof buffer);
  const byteOffset = options.byteOffset ?? 0;
  if (!(Number.isSafeInteger(byteOffset) && byteOffset >= 0 && byteOffset % 4 === 0)) {
    throw new ArgumentError("byteOffset", "must be a multiple of 4 bytes, >= 0", byteOffset);
  }
  const bytes = read.shape[0] * read.shape[1] * read.shape[2] * count * 4;
  if (byteOffset + bytes > buffer.size) {
    throw new ArgumentError("buffer", `holds ${buffer.size} bytes, but ${count} × ${read.shape.join("×")} f32 voxels at byteOffset ${byteOffset} need ${byteOffset + bytes}`);
  }
  return byteOffset;
}

function isPlainObjectLike(v: unknown): v is { size?: unknown } {
  return typeof v === "object" && v !== null;
}
