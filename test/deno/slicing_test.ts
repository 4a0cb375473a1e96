// 2D slicing datasets in Deno: built-in navigator.gpu (lavapipe on machines without a GPU).
import { slicingCases as cases } from "../setup/slicing-cases.ts";

Deno.test("isArray2D, arrayHasSingletonDim, slicedShape, permuteSingletonDimension, planeToWorld", cases.utilities);
Deno.test("a z slice equals the middle plane of a 3D read and the closed form", () => cases.sliceEqualsPlaneOf3DRead("z"));
Deno.test("a y slice equals the middle plane of a 3D read and the closed form", () => cases.sliceEqualsPlaneOf3DRead("y"));
Deno.test("an x slice equals the middle plane of a 3D read and the closed form", () => cases.sliceEqualsPlaneOf3DRead("x"));
Deno.test("mirror and rotation stay in the slice plane along every axis", cases.transformsStayInPlane);
Deno.test("an elastic deformation stays in the slice plane along every axis", cases.deformStaysInPlane);
Deno.test("a loader over z, y and x slices: iterationsPerEpoch batches of [B, 1, h, w] mixing axes", () => cases.loaderOverThreeAxes("cpu"));
Deno.test("a loader over z, y and x slices on the GPU matches the CPU", () => cases.loaderOverThreeAxes("gpu"));
Deno.test("a blur with sigma [0, s, 0] blurs the image rows of y and x slices", cases.blurActsOnImageRows);
Deno.test("bad 2D options give ArgumentErrors naming the field", cases.badOptions);
