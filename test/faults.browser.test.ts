// Transfer faults in Chromium: the page's fetch and its module workers against the seeded
// fault-injecting server (test/setup/fault-server.ts, started by the browser project's global
// setup), faults asked for in the URL. Case bodies: test/setup/fault-cases.ts.
import { expect, inject, test } from "vitest";
import { HttpError, HttpStore } from "../src/index.ts";
import { samplesIdenticalUnderFaults, storeFaultsThroughFetch, stuckChunkIsTyped } from "./setup/fault-cases.ts";

const url = inject("faultUrl");

test("every fault kind at 30 percent, mixed, through fetch workers: samples identical to a clean run", () => samplesIdenticalUnderFaults(url));
test("a chunk that stays bad is a ChunkDecodeError naming the chunk and the check", () => stuckChunkIsTyped(url));
test("HTML pages, hangs, cut bodies and 503s through fetch are retried, then named, without the URL's query", () => storeFaultsThroughFetch(url));

test("a server that sends no CORS headers: the error says the browser blocked it, by CORS or the network", async () => {
  const store = new HttpStore(inject("noCorsUrl"), { maxTries: 2, backoffMs: 1 });
  const err = await store.get("/raw_v3/zarr.json").catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HttpError);
  expect((err as HttpError).message).toMatch(/network error: blocked by CORS or the network .*Access-Control-Allow-Origin.* after 2 tries$/);
});
