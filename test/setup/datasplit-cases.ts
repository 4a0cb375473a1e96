// CellMapDataSplit and datasplit-CSV test bodies shared by the Node (vitest), Chromium (vitest
// browser mode) and Deno suites. Plain async functions that throw on failure. By default the
// datasets come from the in-memory fixture (test/setup/dataset-fixture.ts) through its `fetch`,
// and CSV text is passed as `csv`; Node also runs them on files (a CSV file read by `csvPath`,
// zarr folders on disk) by passing a {@link SplitPlace}.

import { joinPath, parseDatasplitCsv } from "../../src/dataset/csv.ts";
import { CellMapDataset } from "../../src/dataset/dataset.ts";
import type { HttpStoreOptions } from "../../src/store/http.ts";
import { CellMapDataSplit } from "../../src/dataset/datasplit.ts";
import { isCellMapError } from "../../src/errors.ts";
import { BASE_URL, buildFixture, CROP_PATH, RAW_PATH } from "./dataset-fixture.ts";
import { check, same } from "./assert.ts";
import type { Cases } from "./cases.ts";

type Vec3 = [number, number, number];

/** Where the fixture lives and how a CSV reaches the split. */
export interface SplitPlace {
  /** Folder or URL holding `sample.zarr` (the fixture written with zarr v2). */
  root: string;
  /** The split option that carries this CSV text: `{ csv }` as is, or `{ csvPath }` of a file holding it. */
  csv(text: string): Promise<{ csv: string } | { csvPath: string }>;
  /** Store options for every array (the in-memory fixture's `fetch`). */
  storeOptions?: HttpStoreOptions;
}

let memory: Promise<SplitPlace> | undefined;
/** The in-memory fixture served by its own `fetch`; CSV passed as text. */
function memoryPlace(): Promise<SplitPlace> {
  memory ??= buildFixture(2).then((fx) => ({
    root: BASE_URL.slice(0, BASE_URL.length - "/sample.zarr".length),
    csv: (text: string) => Promise.resolve({ csv: text }),
    storeOptions: { fetch: fx.fetch },
  }));
  return memory;
}

function arrays(place: SplitPlace) {
  return {
    inputArrays: { raw: { shape: [4, 8, 8] as Vec3, scale: [4, 4, 4] as Vec3 } },
    targetArrays: { gt: { shape: [2, 4, 4] as Vec3, scale: [4, 4, 4] as Vec3 } },
    classes: ["mito", "er"],
    workers: 0,
    device: "cpu" as const,
    ...(place.storeOptions ? { storeOptions: place.storeOptions } : {}),
  };
}

/** The ArgumentError `work` raises, or undefined when it raises nothing. */
async function argumentField(work: () => unknown): Promise<string | undefined> {
  try {
    await work();
  } catch (e) {
    check(isCellMapError(e, "argument"), `expected ArgumentError, got ${String(e)}`);
    return (e as unknown as { field: string }).field;
  }
  return undefined;
}

/** From a 5-column CSV: train and validate datasets, transforms for training only, tiles. */
export async function fromCsv(where?: SplitPlace): Promise<string> {
  const place = where ?? (await memoryPlace());
  const zarr = `${place.root}/sample.zarr`;
  const csv = await place.csv([
    `"train","${zarr}","${RAW_PATH}","${zarr}","${CROP_PATH}/[mito,er]"`,
    `"train","${zarr}","${RAW_PATH}","${place.root}/missing.zarr","crop9/[mito]"`,
    `"validate","${zarr}","${RAW_PATH}","${zarr}","${CROP_PATH}/[mito]"`,
  ].join("\n"));
  const split = await CellMapDataSplit.open({
    ...arrays(place),
    ...csv,
    spatialTransforms: { mirror: { axes: { x: 0.5 } } },
    pad: "validate",
  });
  try {
    same([split.trainDatasets.length, split.validationDatasets.length], [1, 1], "train and validation datasets");
    same(split.skipped.map((s) => s.entry.gt), [`${place.root}/missing.zarr/crop9/[mito]`], "skipped entries");
    const [train, val] = [split.trainDatasets[0]!, split.validationDatasets[0]!];
    same([train.isTrain, train.spatial.steps.length, train.pad], [true, 1, false], "train isTrain, spatial steps, pad");
    same([val.isTrain, val.pad], [false, true], "validation isTrain, pad");
    same(val.annotatedClasses, ["mito"], "validation classes");
    same(split.train.length, train.length, "train length");
    // Validation tiles: the padded grid over the crop is 13 x 25 x 25 centers 4 nm apart; the
    // target extent 8 x 16 x 16 nm is 2 x 4 x 4 steps, so ceil(13/2) * ceil(25/4)^2 = 7 * 7 * 7.
    const blocks = split.validationBlocks;
    same(val.grid.dims, [13, 25, 25], "validation grid");
    same(blocks.length, 343, "validation tiles");
    const centers = Array.from({ length: blocks.length }, (_, j) => val.center(blocks.sourceIndex(j)));
    for (let a = 0; a < 60; a++) for (let b = a + 1; b < centers.length; b++) {
      const ca = centers[a]!;
      const cb = centers[b]!;
      const overlaps = Math.abs(ca[0] - cb[0]) < 8 && Math.abs(ca[1] - cb[1]) < 16 && Math.abs(ca[2] - cb[2]) < 16;
      check(!overlaps, `tiles ${a} and ${b} overlap`);
    }
    const item = await blocks.get(1);
    same(item.idx, 1, "idx of tile 1");
    same(item.center, centers[1], "center of tile 1");
    const counts = await split.classCounts;
    same(counts.train["mito"], counts.validate["mito"], "mito counts of train and validate (the same crop)");
    same(counts.validate["er"], { foreground: 0, background: 0 }, "er counts of validate (not annotated)");
    return `${split.trainDatasets.length} train, ${split.validationDatasets.length} validation, ${blocks.length} tiles`;
  } finally {
    split.destroy();
  }
}

/** From a dict, from opened datasets, and exactly one source. */
export async function oneSource(where?: SplitPlace): Promise<void> {
  const place = where ?? (await memoryPlace());
  const opts = arrays(place);
  const zarr = `${place.root}/sample.zarr`;
  const gt = `${zarr}/${CROP_PATH}/[mito,er]`;
  const split = await CellMapDataSplit.open({ ...opts, datasetDict: { train: [{ raw: `${zarr}/${RAW_PATH}`, gt }] } });
  same([split.trainDatasets.length, split.validate.length, split.validationBlocks.length], [1, 0, 0], "datasets, validation samples, tiles");
  split.destroy();

  const ds = await CellMapDataset.open({ ...opts, inputPath: `${zarr}/${RAW_PATH}`, targetPath: gt });
  const fromDatasets = await CellMapDataSplit.open({ ...opts, datasets: { train: [ds], validate: [] } });
  check(fromDatasets.train.datasets[0] === ds, "the split should hold the dataset it was given");
  fromDatasets.destroy();

  same(await argumentField(() => CellMapDataSplit.open({ ...opts })), "options", "no source");
  same(await argumentField(() => CellMapDataSplit.open({ ...opts, csv: "", datasetDict: {} })), "options", "two sources");
  same(await argumentField(() => CellMapDataSplit.open({ ...opts, csv: `validate,${zarr}/${RAW_PATH},"${gt}"\n` })), "train", "no train rows");
}

export const datasplitCases = {
  /** The 5-column layout joins root and dataset like os.path.join. */
  "the 5-column layout joins root and dataset like os.path.join"(): void {
    const text = [
      '"train","/data/jrc_hela-2.zarr","recon-1/em/fibsem-uint8","/data/jrc_hela-2.zarr","recon-1/labels/groundtruth/crop1/[mito,er]"',
      '"validate","/data/jrc_hela-2.zarr/","recon-1/em/fibsem-uint8","https://host/gt.zarr","recon-1/labels/groundtruth/crop7/[mito]"',
      "",
      "train,/a.zarr,recon-1/em/fibsem-uint8,/b.zarr,/abs/crop3/[er]",
    ].join("\r\n");
    same(parseDatasplitCsv(text), {
      train: [
        { raw: "/data/jrc_hela-2.zarr/recon-1/em/fibsem-uint8", gt: "/data/jrc_hela-2.zarr/recon-1/labels/groundtruth/crop1/[mito,er]" },
        { raw: "/a.zarr/recon-1/em/fibsem-uint8", gt: "/abs/crop3/[er]" },
      ],
      validate: [{ raw: "/data/jrc_hela-2.zarr/recon-1/em/fibsem-uint8", gt: "https://host/gt.zarr/recon-1/labels/groundtruth/crop7/[mito]" }],
    }, "parsed 5-column CSV");
  },

  /** The 3-column layout takes whole paths; a header line is skipped; quotes may hold commas. */
  "the 3-column layout takes whole paths; a header line is skipped; quotes may hold commas"(): void {
    const text = 'usage,raw,gt\ntrain,/d.zarr/recon-1/em/fibsem-uint8,"/d.zarr/recon-1/labels/groundtruth/crop1/[mito,er]"\nvalidate, /d.zarr/raw , /d.zarr/gt/[mito]\n';
    same(parseDatasplitCsv(text), {
      train: [{ raw: "/d.zarr/recon-1/em/fibsem-uint8", gt: "/d.zarr/recon-1/labels/groundtruth/crop1/[mito,er]" }],
      validate: [{ raw: "/d.zarr/raw", gt: "/d.zarr/gt/[mito]" }],
    }, "parsed 3-column CSV");
  },

  /** Bad rows name their line. */
  async "bad rows name their line"(): Promise<void> {
    same(await argumentField(() => parseDatasplitCsv("train,/a,/b\ntest,/a,/b\n")), "csv row 2", "usage 'test'");
    same(await argumentField(() => parseDatasplitCsv("train,/a,/b,/c\n")), "csv row 1", "4 columns");
    same(joinPath("s3-bucket/x.zarr", "recon-1"), "s3-bucket/x.zarr/recon-1", "joinPath of a relative root");
    same(joinPath("/x.zarr", ""), "/x.zarr", "joinPath with an empty dataset");
  },

  "from a 5-column CSV text over HTTP: the same split from the in-memory fixture": () => fromCsv(),

  "from a dict, from opened datasets, and exactly one source (HTTP)": () => oneSource(),
} satisfies Cases;
