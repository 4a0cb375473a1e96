// Elastic deformation in Chromium (vitest browser mode): navigator.gpu, SwiftShader without a GPU.
import { test } from "vitest";
import { deformCases as cases } from "./setup/deform-cases.ts";

test("bad deform configs raise ArgumentError naming the field", cases.parseErrorsNameTheField);
test("the same key gives the same field; another index, epoch or seed differs; p decides only whether", cases.sameSeedSameField);
test("magnitude 0 equals the undeformed sample (CPU)", () => cases.magnitudeZeroIsUndeformed("cpu"));
test("magnitude 0 equals the undeformed sample (GPU)", () => cases.magnitudeZeroIsUndeformed("gpu"));
test("inputs and targets stay aligned under deformation", cases.alignedUnderDeformation);
test("a deformed GPU batch equals the CPU twin", cases.gpuMatchesCpu);
