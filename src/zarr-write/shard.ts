/**
 * Assemble one zarr v3 shard (`sharding_indexed`, index at the end): the encoded inner chunks
 * back to back, then the index of (offset, nbytes) uint64 pairs in C order of the inner grid,
 * then the index's CRC-32C. Inner chunks that are all fill, or lie wholly outside the array,
 * get the empty marker (2^64-1, 2^64-1) and no bytes.
 * @module
 */

import { copyBox, isAllFill, sizeOf, stridesOf } from "./box.ts";
import { crc32c } from "../store/crc32c.ts";
import { allocate, type DataType, type NumericArray, type Scalar } from "./dtypes.ts";

const EMPTY = 0xffffffffffffffffn;

/** Everything {@link encodeShard} needs besides the data. */
export interface ShardLayout {
  readonly dtype: DataType;
  readonly shardShape: readonly number[];
  readonly chunkShape: readonly number[];
  /** How many elements of the shard lie inside the array, per axis (the rest is padding). */
  readonly validShape: readonly number[];
  readonly fillValue: Scalar;
  readonly writeEmptyChunks: boolean;
  /** Encode one full inner chunk (bytes codec + compressor). */
  readonly encodeChunk: (chunk: NumericArray) => Promise<Uint8Array>;
}

/**
 * Encode a shard from its full, C-order data (`shardShape` elements).
 * @returns the shard's bytes, or undefined when no inner chunk holds data
 */
export async function encodeShard(data: NumericArray, layout: ShardLayout): Promise<Uint8Array | undefined> {
  const { shardShape, chunkShape, validShape } = layout;
  const inner = shardShape.map((s, i) => s / chunkShape[i]!);
  const count = sizeOf(inner);
  const innerStrides = stridesOf(inner);
  const index = new BigUint64Array(count * 2).fill(EMPTY);
  const parts: Uint8Array[] = [];
  let offset = 0;
  const chunk = allocate(layout.dtype, sizeOf(chunkShape));
  const zeros = chunkShape.map(() => 0);
  for (let n = 0; n < count; n++) {
    const origin = inner.map((_, i) => Math.floor(n / innerStrides[i]!) % inner[i]! * chunkShape[i]!);
    if (origin.some((o, i) => o >= validShape[i]!)) continue;
    copyBox(data, shardShape, origin, chunk, chunkShape, zeros, chunkShape);
    if (!layout.writeEmptyChunks && isAllFill(chunk, layout.fillValue)) continue;
    const bytes = await layout.encodeChunk(chunk);
    index[2 * n] = BigInt(offset);
    index[2 * n + 1] = BigInt(bytes.length);
    parts.push(bytes);
    offset += bytes.length;
  }
  if (parts.length === 0) return undefined;
  const indexBytes = new Uint8Array(index.buffer);
  const out = new Uint8Array(offset + indexBytes.length + 4);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  out.set(indexBytes, at);
  new DataView(out.buffer).setUint32(at + indexBytes.length, crc32c(indexBytes), true);
  return out;
}
