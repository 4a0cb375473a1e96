// encodePng in Node against an independent decoder (the other viz cases run from the case
// registry, test/setup/cases.ts; Deno and Chromium check the same round trip with their own
// decoders in test/deno/viz_test.ts and test/viz.browser.test.ts). The PNG oracle here is Python's standard
// library: zlib to inflate, struct to read the chunks, zlib.crc32 to check them, and the five PNG
// row filters undone by hand.
import { execFileSync } from "node:child_process";
import { test } from "vitest";
import { encodePng, type RgbaImage } from "../src/viz/png.ts";
import { PYTHON } from "./helpers/python.ts";
import { check } from "./setup/assert.ts";
import { pngRoundTrip } from "./setup/viz-cases.ts";

const DECODE = String.raw`
import struct, sys, zlib
png = sys.stdin.buffer.read()
assert png[:8] == b"\x89PNG\r\n\x1a\n", "signature"
pos, idat, ihdr = 8, b"", None
while pos < len(png):
    (n,) = struct.unpack(">I", png[pos:pos + 4])
    kind, body = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + n]
    (crc,) = struct.unpack(">I", png[pos + 8 + n:pos + 12 + n])
    assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, "crc of %r" % kind
    if kind == b"IHDR": ihdr = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT": idat += body
    elif kind == b"IEND": break
    pos += 12 + n
w, h, depth, ctype, comp, filt, interlace = ihdr
assert (depth, ctype, comp, filt, interlace) == (8, 6, 0, 0, 0), ihdr
raw = zlib.decompress(idat)
stride = w * 4
assert len(raw) == h * (stride + 1), "inflated size"
out = bytearray(h * stride)
for y in range(h):
    f = raw[y * (stride + 1)]
    line = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
    for i in range(stride):
        a = out[y * stride + i - 4] if i >= 4 else 0
        b = out[(y - 1) * stride + i] if y > 0 else 0
        c = out[(y - 1) * stride + i - 4] if i >= 4 and y > 0 else 0
        if f == 0: p = 0
        elif f == 1: p = a
        elif f == 2: p = b
        elif f == 3: p = (a + b) // 2
        elif f == 4:
            q = a + b - c
            pa, pb, pc = abs(q - a), abs(q - b), abs(q - c)
            p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        else: raise ValueError("filter %d" % f)
        out[y * stride + i] = (line[i] + p) & 255
sys.stdout.buffer.write(struct.pack(">II", w, h) + bytes(out))
`;

function pythonDecode(png: Uint8Array): Promise<RgbaImage> {
  const out = execFileSync(PYTHON, ["-c", DECODE], { input: png, maxBuffer: 64 * 1024 * 1024 });
  const width = out.readUInt32BE(0);
  const height = out.readUInt32BE(4);
  return Promise.resolve({ width, height, data: new Uint8ClampedArray(out.subarray(8)) });
}
test("encodePng round-trips every pixel through an independent decoder", async () => {
  console.log(`[node] ${await pngRoundTrip(pythonDecode)}`);
});
test("encodePng keeps transparency (Node: Python decodes every alpha byte)", async () => {
  const w = 19;
  const h = 7;
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + (i >> 2) * 11) & 255;
  const back = await pythonDecode(await encodePng({ data, width: w, height: h }));
  check(back.width === w && back.height === h, `size ${back.width}x${back.height}`);
  for (let i = 0; i < data.length; i++) check(back.data[i] === data[i], `byte ${i}: ${back.data[i]} != ${data[i]}`);
});
