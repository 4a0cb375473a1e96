// CellMapDataSplit and the datasplit CSV (the Python library's 5- and 3-column layouts). Bodies
// in test/setup/datasplit-cases.ts (also run by test/deno/logic_test.ts and
// test/logic.browser.test.ts on the in-memory fixture); here they also run on files: a CSV file
// read by `csvPath` and zarr folders on disk.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, test } from "vitest";
import { datasplitCases as cases, type SplitPlace } from "./setup/datasplit-cases.ts";
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

describe("datasplit CSV", () => {
  test("the 5-column layout joins root and dataset like os.path.join", cases.fiveColumns);
  test("the 3-column layout takes whole paths; a header line is skipped; quotes may hold commas", cases.threeColumns);
  test("bad rows name their line", cases.badRows);
});

describe("CellMapDataSplit", () => {
  test("from a 5-column CSV file: train and validate datasets, transforms for training only, tiles", async () => {
    console.log(`[node, files] ${await cases.fromCsv(files)}`);
  });
  test("from a 5-column CSV text over HTTP: the same split from the in-memory fixture", async () => {
    console.log(`[node, memory] ${await cases.fromCsv()}`);
  });
  test("from a dict, from opened datasets, and exactly one source", () => cases.oneSource(files));
  test("from a dict, from opened datasets, and exactly one source (HTTP)", () => cases.oneSource());
});
