// Elastic deformation in Deno: built-in navigator.gpu (lavapipe on machines without a GPU).
import { deformCases as cases } from "../setup/deform-cases.ts";

Deno.test("bad deform configs raise ArgumentError naming the field", cases.parseErrorsNameTheField);
Deno.test("the same key gives the same field; another index, epoch or seed differs; p decides only whether", cases.sameSeedSameField);
Deno.test("magnitude 0 equals the undeformed sample (CPU)", () => cases.magnitudeZeroIsUndeformed("cpu"));
Deno.test("magnitude 0 equals the undeformed sample (GPU)", () => cases.magnitudeZeroIsUndeformed("gpu"));
Deno.test("inputs and targets stay aligned under deformation", cases.alignedUnderDeformation);
Deno.test("a deformed GPU batch equals the CPU twin", cases.gpuMatchesCpu);
