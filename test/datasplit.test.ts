// CellMapDataSplit on files in Node: a CSV file read by `csvPath` and zarr folders on disk. The
// shared datasplit cases (test/setup/datasplit-cases.ts, on the in-memory fixture) run from the
// case registry (test/setup/cases.ts) in every runtime; these two reuse their bodies on files.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, test } from "vitest";
import { fromCsv, oneSource, type SplitPlace } from "./setup/datasplit-cases.ts";
import { buildFixture } from "./setup/dataset-fixture.ts";

let dir: string;
let files: SplitPlace;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cellmap-split-"));
  const fx = await buildFixture(2);
  for (const [key, bytes] of fx.files) {
    mkdirSync(dirname(join(dir, key)), { recursive: true });
    writeFileSync(join(dir, key), bytes);
  }
  let n = 0;
  files = {
    root: dir,
    csv: (text) => {
      const csvPath = join(dir, `split-${n++}.csv`);
      writeFileSync(csvPath, text);
      return Promise.resolve({ csvPath });
    },
  };
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("CellMapDataSplit", () => {
  test("from a 5-column CSV file: train and validate datasets, transforms for training only, tiles", async () => {
    console.log(`[node, files] ${await fromCsv(files)}`);
  });
  test("from a dict, from opened datasets, and exactly one source", () => oneSource(files));
});
