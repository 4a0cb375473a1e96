// Neuroglancer links and figures in Chromium (vitest browser mode). Bodies in
// test/setup/viz-cases.ts. The PNG oracle is the browser's own decoder: createImageBitmap, drawn
// on an OffscreenCanvas and read back with getImageData.
import { test } from "vitest";
import type { RgbaImage } from "../src/viz/png.ts";
import { vizCases as cases } from "./setup/viz-cases.ts";

async function browserDecode(png: Uint8Array): Promise<RgbaImage> {
  const bitmap = await createImageBitmap(new Blob([png as Uint8Array<ArrayBuffer>], { type: "image/png" }), { premultiplyAlpha: "none", colorSpaceConversion: "none" });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext("2d")!;
  ctx.drawImage(bitmap, 0, 0);
  const { data, width, height } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  bitmap.close();
  return { data, width, height };
}

test("a dataset's link decodes to raw and label layers at the sample center (v2)", () => cases.datasetLink(2));
test("a dataset's link decodes to raw and label layers at the sample center (v3)", () => cases.datasetLink(3));
test("an array's link, s3 and mapped sources, units; bad layers raise ArgumentError naming the field", cases.arrayLinkAndErrors);
test("the grid puts known voxels at the expected pixels in gray and class colour; NaN is marked", cases.gridPixels);
test("slicing across x and y, and the coloured overlay on a coarser label grid", cases.gridAxisAndOverlay);
test("a dataset item renders its raw voxels and labels at their pixels", cases.gridDatasetItem);
test("2D slices: batches [B, C, h, w] and items [C, h, w] are drawn as planes", cases.gridSlices);
test("the overlay of a y slice lines labels up by world z and x", cases.overlaySliceFrame);
test("flow arrays are drawn in direction colours: hue the in-plane direction, brightness its length, zero black, NaN marked", cases.gridFlows);
test("a dataset with a cellpose target gets a flow column whose pixels follow its flows", cases.gridFlowDataset);
test("bad batches and options raise ArgumentError naming the field", cases.gridErrors);
test("encodePng round-trips every pixel through an independent decoder", async () => {
  console.log(`[chromium] ${await cases.pngRoundTrip(browserDecode)}`);
});
