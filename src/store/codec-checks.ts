/**
 * Integrity checks on chunk bytes, on top of zarrita's codecs: blosc's header must agree with the
 * bytes it came with and with what it decodes to, and a `crc32c` codec's checksum must match
 * (zarrita drops it unchecked). A mismatch is a {@link TransferFault}, which the chunk reader
 * refetches like a 503 before it reports the chunk as bad. Installed once per thread that
 * decodes chunks, by replacing the entries of zarrita's codec registry with checking wrappers.
 *
 * @example
 * ```ts
 * installCodecChecks();               // once, before the first chunk is decoded
 * checkBloscHeader(bytes);            // { nbytes, cbytes } or a TransferFault
 * ```
 * @module
 */
import { registry } from "zarrita";
import { crc32c } from "./crc32c.ts";
import { TransferFault } from "./transport.ts";

/** The sizes a blosc (1.x) header records. */
export interface BloscSizes {
  /** Bytes the chunk decodes to. */
  nbytes: number;
  /** Bytes of the compressed chunk, header included. */
  cbytes: number;
}

/** Blosc's flag: the chunk is stored uncompressed after the header. */
const MEMCPYED = 0x02;

/** Blosc's header is 16 bytes: versions, flags, typesize, then nbytes, blocksize and cbytes (u32 LE). */
const BLOSC_HEADER = 16;

/** Blosc's code (flags bits 5 to 7) of each compressor name a configuration may give. */
const BLOSC_COMPRESSOR: Readonly<Record<string, number>> = { blosclz: 0, lz4: 1, lz4hc: 1, snappy: 2, zlib: 3, zstd: 4 };

/**
 * Read and check a blosc header against the buffer it came in and, when given, the compressor
 * its array's configuration names.
 */
export function checkBloscHeader(bytes: Uint8Array, cname?: string): BloscSizes {
  if (bytes.byteLength < BLOSC_HEADER) {
    throw new TransferFault("codec-header", `blosc data of ${bytes.byteLength} bytes is shorter than its ${BLOSC_HEADER}-byte header`);
  }
  if (bytes[0]! < 1 || bytes[0]! > 2) throw new TransferFault("codec-header", `blosc format version ${bytes[0]} is not 1 or 2`);
  const expected = cname === undefined ? undefined : BLOSC_COMPRESSOR[cname];
  if (expected !== undefined && !(bytes[2]! & 0x02) && bytes[2]! >> 5 !== expected) {
    throw new TransferFault("codec-header", `blosc header names compressor ${bytes[2]! >> 5}, the array's configuration ${cname} (${expected})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, BLOSC_HEADER);
  const nbytes = view.getUint32(4, true);
  const blocksize = view.getUint32(8, true);
  const cbytes = view.getUint32(12, true);
  if (cbytes !== bytes.byteLength) {
    throw new TransferFault("codec-header", `blosc header says ${cbytes} compressed bytes but ${bytes.byteLength} arrived`);
  }
  const flags = bytes[2]!;
  if (flags & MEMCPYED) {
    if (cbytes !== nbytes + BLOSC_HEADER) {
      throw new TransferFault("codec-header", `blosc header says ${nbytes} bytes stored uncompressed in ${cbytes} bytes`);
    }
    return { nbytes, cbytes };
  }
  if (nbytes === 0) return { nbytes, cbytes };
  if (blocksize === 0 || blocksize > nbytes) {
    throw new TransferFault("codec-header", `blosc header has a block size of ${blocksize} for ${nbytes} bytes`);
  }
  // A table of block starts follows the header: the first block begins right after it, and each
  // later one after the one before, inside the buffer. A flipped size or block size breaks that.
  const nblocks = Math.ceil(nbytes / blocksize);
  const table = BLOSC_HEADER + 4 * nblocks;
  if (table > cbytes) throw new TransferFault("codec-header", `blosc header announces ${nblocks} blocks, more than ${cbytes} bytes can hold`);
  const starts = new DataView(bytes.buffer, bytes.byteOffset + BLOSC_HEADER, 4 * nblocks);
  let previous = table - 1;
  for (let b = 0; b < nblocks; b++) {
    const start = starts.getUint32(4 * b, true);
    if ((b === 0 && start !== table) || start <= previous || start >= cbytes) {
      throw new TransferFault("codec-header", `blosc block ${b} starts at byte ${start}, outside its place (${nblocks} blocks in ${cbytes} bytes)`);
    }
    previous = start;
  }
  return { nbytes, cbytes };
}

/** Check a `crc32c` codec's trailing checksum and return the bytes before it. */
export function checkCrc32c(bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength < 4) throw new TransferFault("checksum", `${bytes.byteLength} bytes cannot end in a crc32c checksum`);
  const body = bytes.subarray(0, bytes.byteLength - 4);
  const stored = new DataView(bytes.buffer, bytes.byteOffset + body.byteLength, 4).getUint32(0, true);
  const actual = crc32c(body);
  if (stored !== actual) {
    throw new TransferFault("checksum", `crc32c checksum mismatch (stored 0x${stored.toString(16)}, computed 0x${actual.toString(16)})`);
  }
  return body;
}

type Loader = () => Promise<unknown> | unknown;
interface BytesCodec {
  decode(bytes: Uint8Array): Promise<Uint8Array> | Uint8Array;
  encode?(bytes: Uint8Array): Promise<Uint8Array> | Uint8Array;
}
interface CodecClass {
  fromConfig(config: unknown, meta: unknown): BytesCodec;
}

/** Wrap a blosc codec class: check the header before decoding and the decoded size after. */
function checkedBlosc(inner: CodecClass): CodecClass {
  return {
    fromConfig(config, meta) {
      const codec = inner.fromConfig(config, meta);
      const cname = (config as { cname?: unknown } | undefined)?.cname;
      return {
        kind: "bytes_to_bytes",
        async decode(bytes: Uint8Array) {
          const { nbytes } = checkBloscHeader(bytes, typeof cname === "string" ? cname : undefined);
          const out = await codec.decode(bytes);
          if (out.byteLength !== nbytes) {
            throw new TransferFault("decoded-size", `blosc decoded ${out.byteLength} bytes where its header says ${nbytes}`);
          }
          return out;
        },
        encode: (bytes: Uint8Array) => codec.encode!(bytes),
      } as BytesCodec;
    },
  };
}

/** A crc32c codec that checks what it strips. */
const checkedCrc32c: CodecClass & { fromConfig(): BytesCodec } = {
  fromConfig: () => ({
    kind: "bytes_to_bytes",
    decode: checkCrc32c,
    computeEncodedSize: (n: number) => n + 4,
  } as BytesCodec),
};

let installed = false;

/** Replace zarrita's blosc and crc32c codecs with checking ones, in this thread (idempotent). */
export function installCodecChecks(): void {
  if (installed) return;
  installed = true;
  const reg = registry as unknown as Map<string, Loader>;
  for (const name of ["blosc", "numcodecs.blosc"]) {
    const load = reg.get(name);
    if (!load) continue;
    reg.set(name, async () => checkedBlosc((await load()) as CodecClass));
  }
  reg.set("crc32c", () => checkedCrc32c);
}
