// Parity rows in Deno: level choice and the per-sample affine, NGFF parsing, store locations and
// streaming over the in-memory fixture's counting fetch (CPU and built-in WebGPU), the dataset API
// (hasData, plan purity, multi-dataset), the value-transform spec, the writer's tile geometry and
// integer output, and NGFF group metadata, in memory. Bodies in test/setup/*-cases.ts; the same
// titles run in Node and in Chromium (test/parity.browser.test.ts).
import { datasetApiCases as datasetApi } from "../setup/dataset-api-cases.ts";
import { BAD_MULTISCALES, ngffCases as ngff } from "../setup/ngff-cases.ts";
import { storeCases as store } from "../setup/store-cases.ts";
import { transformerCases as transformer } from "../setup/transformer-cases.ts";
import { valueSpecCases as valueSpec } from "../setup/value-spec-cases.ts";
import { writerLogicCases as writerLogic } from "../setup/writer-logic-cases.ts";
import { zarrWriteCases as zarrWrite } from "../setup/zarr-write-cases.ts";

// Level choice and the per-sample affine (test/geometry.test.ts)
Deno.test("picks the coarsest level not coarser than asked on any axis", transformer.coarsestNotCoarser);
Deno.test("falls back to level 0 when every level is coarser than asked", transformer.fallsBackToLevel0);
Deno.test("one composed affine equals the world-coordinate formula for every corner", transformer.composedAffine);
Deno.test("a sample entirely outside the volume has no box", transformer.outsideHasNoBox);
Deno.test("rejects bad output shapes with the field named", transformer.rejectsBadOutputs);

// NGFF metadata (test/ngff.test.ts)
Deno.test("reads NGFF 0.4 levels in z,y,x order", ngff.reads04);
Deno.test("reads NGFF 0.5 under attributes.ome and reorders x,y,z axes", ngff.reads05Reordered);
Deno.test("composes a multiscale-wide transform with each level's", ngff.composesMultiscaleWide);
Deno.test("keeps a channel axis out of the spatial dims", ngff.channelAxis);
for (const [name, , field] of BAD_MULTISCALES) {
  Deno.test(`rejects ${name}, naming ${field}`, () => ngff.rejectsBad(name));
}
Deno.test("reads class name, encoding and complement counts", ngff.readsAnnotation);
Deno.test("is undefined without cellmap attributes, and rejects a bad class name", ngff.annotationAbsentOrBad);

// Store locations and streaming over the in-memory fixture's counting fetch (test/store.test.ts)
Deno.test("s3:// URLs are read anonymously over HTTPS, virtual-hosted style", store.s3Resolution);
Deno.test("http(s) URLs, file: URLs and paths", store.otherLocations);
Deno.test("each chunk is fetched once however many samples want it (CPU)", async () => {
  console.log(`[deno] ${await store.fetchedOnce("cpu")}`);
});
Deno.test("each chunk is fetched once however many samples want it (GPU)", async () => {
  console.log(`[deno] ${await store.fetchedOnce("gpu")}`);
});
Deno.test("a cache budget smaller than the working set gives identical values (CPU)", async () => {
  console.log(`[deno] ${await store.smallBudget("cpu")}`);
});
Deno.test("a cache budget smaller than the working set gives the CPU twin's values (GPU)", async () => {
  console.log(`[deno] ${await store.smallBudget("gpu")}`);
});
Deno.test("sampleInto at an unaligned offset writes through a copy; a buffer without COPY_DST is an ArgumentError", store.sampleIntoUnalignedOffset);

// The dataset API on the in-memory fixture (test/dataset-api.test.ts)
Deno.test("hasData follows the annotated classes; forceHasData keeps the raw grid; length > 0 only with data", datasetApi.hasDataAndForce);
Deno.test("plan(i, rng) gives the same center, matrix and ops for the same key without reading data; another key differs", datasetApi.planIsPure);
Deno.test("a multi-dataset concatenates, locates and aggregates counts", datasetApi.multiDataset);

// The value-transform spec (test/value-transforms-spec.test.ts)
Deno.test("accepts the array form and the single-object form in written order", valueSpec.bothForms);
Deno.test("accepts every transform", valueSpec.everyTransform);
Deno.test("names the bad field", valueSpec.namesBadField);
Deno.test("turns specs into concrete ops with defaults", valueSpec.concreteOps);
Deno.test("draws factors in range and leaves out ops whose p did not fire", valueSpec.drawsInRange);
Deno.test("consumes a fixed number of draws whatever p decides", valueSpec.fixedConsumption);
Deno.test("fires with the asked frequency and is deterministic per seed", valueSpec.firesWithFrequency);

// The writer's tile geometry and integer output (test/writer.test.ts), NGFF group metadata (test/zarr-write.test.ts), in memory
Deno.test("planWriterGeometry: tiles of the smallest extent cover the bounds", writerLogic.tileGeometry);
Deno.test("a memory target and an integer dtype: values rounded and clamped, NaN stored as 0", writerLogic.integerDtype);
Deno.test("computes pyramid levels with half-voxel shifted translations", zarrWrite.pyramidTranslations);
Deno.test("writes 0.4 multiscales in .zattrs and 0.5 under attributes.ome", () => zarrWrite.ngffGroups());
