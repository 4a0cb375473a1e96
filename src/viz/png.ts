/**
 * A PNG writer with no dependency: 8-bit RGBA, one filter per row chosen by the usual
 * minimum-sum-of-absolute-differences rule, zlib from the runtime's
 * `CompressionStream("deflate")` (browsers, Deno, Node 18+), and chunk CRCs computed here.
 * @module
 */

import { ArgumentError, throwIfAborted } from "../errors.ts";

/** An RGBA image, laid out like `ImageData`: row-major, 4 bytes per pixel, top row first. */
export interface RgbaImage {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO 3309, polynomial 0xEDB88320) of `bytes`, as PNG chunks use it. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** The filtered scanlines: each row is a filter byte then the row's filtered bytes. */
function filterRows(data: Uint8ClampedArray, width: number, height: number): Uint8Array {
  const stride = width * 4;
  const out = new Uint8Array(height * (stride + 1));
  const trial = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    const prev = row - stride;
    let bestSum = Infinity;
    for (let f = 0; f < 5; f++) {
      let sum = 0;
      for (let i = 0; i < stride; i++) {
        const x = data[row + i]!;
        const a = i >= 4 ? data[row + i - 4]! : 0;
        const b = y > 0 ? data[prev + i]! : 0;
        const c = i >= 4 && y > 0 ? data[prev + i - 4]! : 0;
        const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : paeth(a, b, c);
        const v = (x - pred) & 0xff;
        trial[i] = v;
        sum += v < 128 ? v : 256 - v;
      }
      if (sum < bestSum) {
        bestSum = sum;
        out[y * (stride + 1)] = f;
        out.set(trial, y * (stride + 1) + 1);
      }
    }
  }
  return out;
}

async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  if (typeof CompressionStream === "undefined") {
    throw new ArgumentError("CompressionStream", "is not available in this runtime (browsers, Deno and Node 18+ have it)");
  }
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Encode an RGBA image as PNG bytes (8-bit RGBA, not interlaced).
 *
 * @example
 * ```ts
 * const png = await encodePng(imageGrid(batch, { dataset }));
 * await Deno.writeFile("batch.png", png);                        // Deno
 * const url = URL.createObjectURL(new Blob([png], { type: "image/png" })); // browser
 * ```
 * @throws {ArgumentError} when `width`, `height` or the data length are wrong.
 */
export async function encodePng(image: RgbaImage, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
  const { width, height, data } = image ?? ({} as RgbaImage);
  if (!(Number.isInteger(width) && width > 0 && width < 2 ** 31)) throw new ArgumentError("width", "must be a positive integer", width);
  if (!(Number.isInteger(height) && height > 0 && height < 2 ** 31)) throw new ArgumentError("height", "must be a positive integer", height);
  if (!(data instanceof Uint8ClampedArray || (data as unknown) instanceof Uint8Array) || data.length !== width * height * 4) {
    throw new ArgumentError("data", `must be ${width * height * 4} RGBA bytes (width * height * 4)`, data?.length);
  }
  throwIfAborted(options.signal, "encoding a PNG");
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type 6 (RGBA), deflate, adaptive filtering, no interlace
  const idat = await deflate(filterRows(data as Uint8ClampedArray, width, height));
  throwIfAborted(options.signal, "encoding a PNG");
  const parts = [Uint8Array.from(SIGNATURE), chunk("IHDR", ihdr), chunk("IDAT", idat), chunk("IEND", new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
