// CellMapDataSplit and the datasplit CSV (the Python library's 5- and 3-column layouts).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { joinPath, parseDatasplitCsv } from "../src/dataset/csv.ts";
import { CellMapDataset } from "../src/dataset/dataset.ts";
import { CellMapDataSplit } from "../src/dataset/datasplit.ts";
import { isCellMapError } from "../src/errors.ts";
import { buildFixture, CROP_PATH, RAW_PATH } from "./setup/dataset-fixture.ts";

let dir: string;
let zarr: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cellmap-split-"));
  zarr = join(dir, "sample.zarr");
  const fx = await buildFixture(2);
  for (const [key, bytes] of fx.files) {
    mkdirSync(dirname(join(dir, key)), { recursive: true });
    writeFileSync(join(dir, key), bytes);
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const arrays = {
  inputArrays: { raw: { shape: [4, 8, 8] as [number, number, number], scale: [4, 4, 4] as [number, number, number] } },
  targetArrays: { gt: { shape: [2, 4, 4] as [number, number, number], scale: [4, 4, 4] as [number, number, number] } },
  classes: ["mito", "er"],
  workers: 0,
  device: "cpu" as const,
};

describe("datasplit CSV", () => {
  test("the 5-column layout joins root and dataset like os.path.join", () => {
    const text = [
      '"train","/data/jrc_hela-2.zarr","recon-1/em/fibsem-uint8","/data/jrc_hela-2.zarr","recon-1/labels/groundtruth/crop1/[mito,er]"',
      '"validate","/data/jrc_hela-2.zarr/","recon-1/em/fibsem-uint8","https://host/gt.zarr","recon-1/labels/groundtruth/crop7/[mito]"',
      "",
      "train,/a.zarr,recon-1/em/fibsem-uint8,/b.zarr,/abs/crop3/[er]",
    ].join("\r\n");
    expect(parseDatasplitCsv(text)).toEqual({
      train: [
        { raw: "/data/jrc_hela-2.zarr/recon-1/em/fibsem-uint8", gt: "/data/jrc_hela-2.zarr/recon-1/labels/groundtruth/crop1/[mito,er]" },
        { raw: "/a.zarr/recon-1/em/fibsem-uint8", gt: "/abs/crop3/[er]" },
      ],
      validate: [{ raw: "/data/jrc_hela-2.zarr/recon-1/em/fibsem-uint8", gt: "https://host/gt.zarr/recon-1/labels/groundtruth/crop7/[mito]" }],
    });
  });

  test("the 3-column layout takes whole paths; a header line is skipped; quotes may hold commas", () => {
    const text = 'usage,raw,gt\ntrain,/d.zarr/recon-1/em/fibsem-uint8,"/d.zarr/recon-1/labels/groundtruth/crop1/[mito,er]"\nvalidate, /d.zarr/raw , /d.zarr/gt/[mito]\n';
    expect(parseDatasplitCsv(text)).toEqual({
      train: [{ raw: "/d.zarr/recon-1/em/fibsem-uint8", gt: "/d.zarr/recon-1/labels/groundtruth/crop1/[mito,er]" }],
      validate: [{ raw: "/d.zarr/raw", gt: "/d.zarr/gt/[mito]" }],
    });
  });

  test("bad rows name their line", () => {
    const err = (text: string) => {
      try {
        parseDatasplitCsv(text);
      } catch (e) {
        expect(isCellMapError(e, "argument")).toBe(true);
        return (e as { field: string }).field;
      }
      return undefined;
    };
    expect(err("train,/a,/b\ntest,/a,/b\n")).toBe("csv row 2");
    expect(err("train,/a,/b,/c\n")).toBe("csv row 1");
    expect(joinPath("s3-bucket/x.zarr", "recon-1")).toBe("s3-bucket/x.zarr/recon-1");
    expect(joinPath("/x.zarr", "")).toBe("/x.zarr");
  });
});

describe("CellMapDataSplit", () => {
  test("from a 5-column CSV file: train and validate datasets, transforms for training only, tiles", async () => {
    const csv = join(dir, "split.csv");
    writeFileSync(csv, [
      `"train","${zarr}","${RAW_PATH}","${zarr}","${CROP_PATH}/[mito,er]"`,
      `"train","${zarr}","${RAW_PATH}","${dir}/missing.zarr","crop9/[mito]"`,
      `"validate","${zarr}","${RAW_PATH}","${zarr}","${CROP_PATH}/[mito]"`,
    ].join("\n"));
    const split = await CellMapDataSplit.open({
      ...arrays,
      csvPath: csv,
      spatialTransforms: { mirror: { axes: { x: 0.5 } } },
      pad: "validate",
    });
    try {
      expect(split.trainDatasets.length).toBe(1);
      expect(split.validationDatasets.length).toBe(1);
      expect(split.skipped.map((s) => s.entry.gt)).toEqual([`${dir}/missing.zarr/crop9/[mito]`]);
      const [train, val] = [split.trainDatasets[0]!, split.validationDatasets[0]!];
      expect([train.isTrain, train.spatial.steps.length, train.pad]).toEqual([true, 1, false]);
      expect([val.isTrain, val.pad]).toEqual([false, true]);
      expect(val.annotatedClasses).toEqual(["mito"]);
      expect(split.train.length).toBe(train.length);
      // Validation tiles: the padded grid over the crop is 13 x 25 x 25 centers 4 nm apart; the
      // target extent 8 x 16 x 16 nm is 2 x 4 x 4 steps, so ceil(13/2) * ceil(25/4)^2 = 7 * 7 * 7.
      const blocks = split.validationBlocks;
      expect(val.grid.dims).toEqual([13, 25, 25]);
      expect(blocks.length).toBe(343);
      const centers = Array.from({ length: blocks.length }, (_, j) => val.center(blocks.sourceIndex(j)));
      for (let a = 0; a < 60; a++) for (let b = a + 1; b < centers.length; b++) {
        const ca = centers[a]!;
        const cb = centers[b]!;
        const overlaps = Math.abs(ca[0] - cb[0]) < 8 && Math.abs(ca[1] - cb[1]) < 16 && Math.abs(ca[2] - cb[2]) < 16;
        expect(overlaps, `tiles ${a} and ${b} overlap`).toBe(false);
      }
      const item = await blocks.get(1);
      expect(item.idx).toBe(1);
      expect(item.center).toEqual(centers[1]);
      const counts = await split.classCounts;
      expect(counts.train["mito"]).toEqual(counts.validate["mito"]);
      expect(counts.validate["er"]).toEqual({ foreground: 0, background: 0 });
    } finally {
      split.destroy();
    }
  });

  test("from a dict, from opened datasets, and exactly one source", async () => {
    const gt = `${zarr}/${CROP_PATH}/[mito,er]`;
    const split = await CellMapDataSplit.open({ ...arrays, datasetDict: { train: [{ raw: `${zarr}/${RAW_PATH}`, gt }] } });
    expect(split.trainDatasets.length).toBe(1);
    expect(split.validate.length).toBe(0);
    expect(split.validationBlocks.length).toBe(0);
    split.destroy();

    const ds = await CellMapDataset.open({ ...arrays, inputPath: `${zarr}/${RAW_PATH}`, targetPath: gt });
    const fromDatasets = await CellMapDataSplit.open({ ...arrays, datasets: { train: [ds], validate: [] } });
    expect(fromDatasets.train.datasets[0]).toBe(ds);
    fromDatasets.destroy();

    const none = await CellMapDataSplit.open({ ...arrays }).catch((e: unknown) => e);
    expect(isCellMapError(none, "argument")).toBe(true);
    const two = await CellMapDataSplit.open({ ...arrays, csv: "", datasetDict: {} }).catch((e: unknown) => e);
    expect(isCellMapError(two, "argument")).toBe(true);
    const empty = await CellMapDataSplit.open({ ...arrays, csv: `validate,${zarr}/${RAW_PATH},"${gt}"\n` }).catch((e: unknown) => e);
    expect(isCellMapError(empty, "argument") && (empty as unknown as { field: string }).field).toBe("train");
  });
});
