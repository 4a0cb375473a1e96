import { describe, expect, test } from "vitest";
import { FileStore, HttpStore, openStore, resolveLocation } from "../src/index.ts";

describe("openStore", () => {
  test("s3:// URLs are read anonymously over HTTPS, virtual-hosted style", () => {
    expect(resolveLocation("s3://janelia-cosem-datasets/jrc_hela-2/jrc_hela-2.zarr/")).toBe(
      "https://janelia-cosem-datasets.s3.amazonaws.com/jrc_hela-2/jrc_hela-2.zarr",
    );
    const store = openStore("s3://bucket/a/b.zarr");
    expect(store).toBeInstanceOf(HttpStore);
    expect(store.url).toBe("https://bucket.s3.amazonaws.com/a/b.zarr");
  });
  test("http(s) URLs, file: URLs and paths", () => {
    expect(openStore("https://h/x.zarr")).toBeInstanceOf(HttpStore);
    expect(resolveLocation("https://h/x.zarr")).toBe("https://h/x.zarr");
    const f = openStore("file:///tmp/a%20b.zarr");
    expect(f).toBeInstanceOf(FileStore);
    expect(f.url).toBe("/tmp/a b.zarr");
    expect(openStore("data/x.zarr/")).toBeInstanceOf(FileStore);
  });
});
