// Store locations (s3://, https://, file: URLs and paths) and streaming over the in-memory
// fixture's counting fetch. Bodies in test/setup/store-cases.ts (also run by
// test/deno/parity_test.ts and test/parity.browser.test.ts). Streaming from a loopback server
// with worker threads: test/streaming.test.ts.
import { describe, test } from "vitest";
import { storeCases as cases } from "./setup/store-cases.ts";

describe("openStore", () => {
  test("s3:// URLs are read anonymously over HTTPS, virtual-hosted style", cases.s3Resolution);
  test("http(s) URLs, file: URLs and paths", cases.otherLocations);
});

describe("streaming through the chunk cache (in-memory fetch)", () => {
  test("each chunk is fetched once however many samples want it (CPU)", async () => {
    console.log(`[node] ${await cases.fetchedOnce("cpu")}`);
  });
  test("each chunk is fetched once however many samples want it (GPU)", async () => {
    console.log(`[node] ${await cases.fetchedOnce("gpu")}`);
  });
  test("a cache budget smaller than the working set gives identical values (CPU)", async () => {
    console.log(`[node] ${await cases.smallBudget("cpu")}`);
  });
  test("a cache budget smaller than the working set gives the CPU twin's values (GPU)", async () => {
    console.log(`[node] ${await cases.smallBudget("gpu")}`);
  });
  test("sampleInto at an unaligned offset writes through a copy; a buffer without COPY_DST is an ArgumentError", cases.sampleIntoUnalignedOffset);
});
