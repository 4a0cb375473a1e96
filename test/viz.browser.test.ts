// encodePng in Chromium against an independent decoder (the other viz cases run from the case
// registry, test/setup/cases.ts). The PNG oracle is the browser's own decoder: createImageBitmap, drawn
// on an OffscreenCanvas and read back with getImageData.
import { test } from "vitest";
import type { RgbaImage } from "../src/viz/png.ts";
import { pngRoundTrip } from "./setup/viz-cases.ts";

async function browserDecode(png: Uint8Array): Promise<RgbaImage> {
  const bitmap = await createImageBitmap(new Blob([png as Uint8Array<ArrayBuffer>], { type: "image/png" }), { premultiplyAlpha: "none", colorSpaceConversion: "none" });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext("2d")!;
  ctx.drawImage(bitmap, 0, 0);
  const { data, width, height } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  bitmap.close();
  return { data, width, height };
}
test("encodePng round-trips every pixel through an independent decoder", async () => {
  console.log(`[chromium] ${await pngRoundTrip(browserDecode)}`);
});
