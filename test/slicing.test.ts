// 2D slicing datasets in Node (the same cases run in Deno and Chromium).
import { test } from "vitest";
import { slicingCases as cases } from "./setup/slicing-cases.ts";

test("isArray2D, arrayHasSingletonDim, slicedShape, permuteSingletonDimension, planeToWorld", cases.utilities);
test("a z slice equals the middle plane of a 3D read and the closed form", () => cases.sliceEqualsPlaneOf3DRead("z"));
test("a y slice equals the middle plane of a 3D read and the closed form", () => cases.sliceEqualsPlaneOf3DRead("y"));
test("an x slice equals the middle plane of a 3D read and the closed form", () => cases.sliceEqualsPlaneOf3DRead("x"));
test("mirror and rotation stay in the slice plane along every axis", cases.transformsStayInPlane);
test("an elastic deformation stays in the slice plane along every axis", cases.deformStaysInPlane);
test("a loader over z, y and x slices: iterationsPerEpoch batches of [B, 1, h, w] mixing axes", () => cases.loaderOverThreeAxes("cpu"));
test("a loader over z, y and x slices on the GPU matches the CPU", () => cases.loaderOverThreeAxes("gpu"));
test("a blur with sigma [0, s, 0] blurs the image rows of y and x slices", cases.blurActsOnImageRows);
test("bad 2D options give ArgumentErrors naming the field", cases.badOptions);
