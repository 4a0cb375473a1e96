/**
 * CRC-32C (Castagnoli), the checksum of the zarr v3 `crc32c` codec that guards shard indexes.
 * Table-driven, reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF.
 *
 * @example
 * ```ts
 * crc32c(new TextEncoder().encode("123456789")); // 0xE3069283
 * ```
 * @module
 */

const TABLE: Uint32Array = makeTable();

function makeTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * Compute the CRC-32C of `bytes`, optionally continuing from a previous result.
 * @param bytes the data to checksum
 * @param previous the CRC of the bytes before these (0 to start)
 * @returns the checksum as an unsigned 32-bit number
 */
export function crc32c(bytes: Uint8Array, previous = 0): number {
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}
