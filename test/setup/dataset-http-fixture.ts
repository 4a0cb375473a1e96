// Writes the CellMap-layout dataset of test/setup/dataset-fixture.ts (zarr v3, NGFF 0.5, with the
// crop's CellMap annotations) to a folder with the project's zarr writer, so a static server can
// hand it to module fetch workers over real HTTP (Deno and the browser project's global setup).
import { createFsTarget } from "../../src/zarr-write/fs-target.ts";
import { buildFixture } from "./dataset-fixture.ts";

/** The dataset's folder below the served root. */
export const DATASET_DIR = "dataset";

/** Write the fixture below `dir/dataset/sample.zarr`; serve `dir` and pass `<url>/dataset` to the cases. */
export async function writeDatasetFixture(dir: string): Promise<void> {
  const target = createFsTarget(dir);
  const fx = await buildFixture(3);
  for (const [key, bytes] of fx.files) await target.set(`${DATASET_DIR}/${key}`, bytes);
}
