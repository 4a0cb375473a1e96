// OME-NGFF metadata parsing. Bodies in test/setup/ngff-cases.ts (also run by
// test/deno/parity_test.ts and test/parity.browser.test.ts).
import { describe, test } from "vitest";
import { BAD_MULTISCALES, ngffCases as cases } from "./setup/ngff-cases.ts";

describe("parseMultiscales", () => {
  test("reads NGFF 0.4 levels in z,y,x order", cases.reads04);
  test("reads NGFF 0.5 under attributes.ome and reorders x,y,z axes", cases.reads05Reordered);
  test("composes a multiscale-wide transform with each level's", cases.composesMultiscaleWide);
  test("keeps a channel axis out of the spatial dims", cases.channelAxis);
  for (const [name, , field] of BAD_MULTISCALES) {
    test(`rejects ${name}, naming ${field}`, () => cases.rejectsBad(name));
  }
});

describe("parseCellMapAnnotation", () => {
  test("reads class name, encoding and complement counts", cases.readsAnnotation);
  test("is undefined without cellmap attributes, and rejects a bad class name", cases.annotationAbsentOrBad);
});
