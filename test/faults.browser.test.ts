// Transfer faults only Chromium has: a server that sends no CORS headers. The fault cases shared
// with Deno (test/setup/fault-cases.ts, against the seeded fault-injecting server) run from the
// case registry (test/setup/cases.ts).
import { expect, inject, test } from "vitest";
import { HttpError, HttpStore } from "../src/index.ts";

test("a server that sends no CORS headers: the error says the browser blocked it, by CORS or the network", async () => {
  const store = new HttpStore(inject("noCorsUrl"), { maxTries: 2, backoffMs: 1 });
  const err = await store.get("/raw_v3/zarr.json").catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HttpError);
  expect((err as HttpError).message).toMatch(/network error: blocked by CORS or the network .*Access-Control-Allow-Origin.* after 2 tries$/);
});
