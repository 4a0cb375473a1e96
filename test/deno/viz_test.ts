// encodePng in Deno against an independent decoder (the other viz cases run from the case
// registry, test/setup/cases.ts). The PNG oracle is written here: chunks read with a DataView, IDAT inflated with the runtime's
// DecompressionStream("deflate"), and the five row filters undone.
import type { RgbaImage } from "../../src/viz/png.ts";
import { pngRoundTrip } from "../setup/viz-cases.ts";

async function inflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function denoDecode(png: Uint8Array): Promise<RgbaImage> {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let pos = 8;
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  while (pos < png.length) {
    const n = view.getUint32(pos);
    const kind = String.fromCharCode(...png.subarray(pos + 4, pos + 8));
    const body = png.subarray(pos + 8, pos + 8 + n);
    if (kind === "IHDR") {
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      if (body[8] !== 8 || body[9] !== 6 || body[12] !== 0) throw new Error(`not 8-bit RGBA non-interlaced: ${[...body]}`);
    } else if (kind === "IDAT") idat.push(body);
    else if (kind === "IEND") break;
    pos += 12 + n;
  }
  const joined = new Uint8Array(idat.reduce((s, b) => s + b.length, 0));
  idat.reduce((o, b) => (joined.set(b, o), o + b.length), 0);
  const raw = await inflate(joined);
  const stride = width * 4;
  if (raw.length !== height * (stride + 1)) throw new Error(`inflated ${raw.length} bytes, expected ${height * (stride + 1)}`);
  const out = new Uint8ClampedArray(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    for (let i = 0; i < stride; i++) {
      const a = i >= 4 ? out[y * stride + i - 4]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + i]! : 0;
      const c = i >= 4 && y > 0 ? out[(y - 1) * stride + i - 4]! : 0;
      let p: number;
      if (f === 0) p = 0;
      else if (f === 1) p = a;
      else if (f === 2) p = b;
      else if (f === 3) p = Math.floor((a + b) / 2);
      else if (f === 4) {
        const q = a + b - c;
        const pa = Math.abs(q - a), pb = Math.abs(q - b), pc = Math.abs(q - c);
        p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else throw new Error(`row ${y}: filter ${f}`);
      out[y * stride + i] = (raw[y * (stride + 1) + 1 + i]! + p) & 255;
    }
  }
  return { data: out, width, height };
}
Deno.test("encodePng round-trips every pixel through an independent decoder", async () => {
  console.log(`[deno] ${await pngRoundTrip(denoDecode)}`);
});
