// Two datasets for the `cellmap-data batch` configs with several datasets (Node and Deno): the
// fixture of dataset-fixture.ts written twice to a folder, as zarr v3 (`sample.zarr`) and zarr v2
// (`v2/sample.zarr`), and configs over them. The datasets differ where a mix-up would show:
//
//   datasets[0]: v3, labels [mito, er], training (mirror x, rotate about z), raw / 255
//   datasets[1]: v2, labels [mito] only, not training (identity matrix), raw / 510
//
// In datasets[1] "er" is not annotated, so it is NaN except where mito is present, where the
// class relationship mito <-> er makes it 0; "nucleus" is NaN in both. The oracle computes a
// sample of either dataset from the fixture's formulas (cli-batch-fixture.ts), not the resampler.

import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { batchConfig, labelOracle, rawOracle, writeBatchFixture } from "./cli-batch-fixture.ts";
import { buildFixture, CROP_PATH, RAW_PATH } from "./dataset-fixture.ts";

/** What tells the two datasets apart. */
export interface DatasetTraits {
  /** The raw normalize range's upper end (the values are raw / this). */
  rawRange: number;
  /** Whether "er" is annotated. */
  er: boolean;
}

export const TRAITS: readonly DatasetTraits[] = [{ rawRange: 255, er: true }, { rawRange: 510, er: false }];

/** The shared part of the configs: batchConfig() without its dataset paths. */
export function sharedConfig(): Record<string, unknown> {
  const { inputPath: _i, targetPath: _t, ...shared } = batchConfig();
  return shared;
}

/** The entries of the two datasets; `root` prefixes the paths (a folder-relative path or a URL). */
export function datasetEntries(root = ""): Array<Record<string, unknown>> {
  return [
    { inputPath: `${root}sample.zarr/${RAW_PATH}`, targetPath: `${root}sample.zarr/${CROP_PATH}/[mito,er]` },
    {
      raw: `${root}v2/sample.zarr/${RAW_PATH}`, gt: { mito: `${root}v2/sample.zarr/${CROP_PATH}/mito` },
      isTrain: false, valueTransforms: { raw: [{ normalize: { range: [0, 510] } }] },
    },
  ];
}

/** Write both copies of the fixture under `dir` and `dir/datasets.json` (the two-dataset config); returns its path. */
export async function writeDatasetsFixture(dir: string): Promise<string> {
  await writeBatchFixture(dir);
  const fx = await buildFixture(2);
  for (const [key, bytes] of fx.files) {
    const path = join(dir, "v2", key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
  }
  const config = join(dir, "datasets.json");
  await writeFile(config, JSON.stringify({ ...sharedConfig(), datasets: datasetEntries() }, null, 2));
  return config;
}

/** One sample's raw `[1, z, y, x]` of a dataset with these traits, by the formula. */
export function rawOracleOf(t: DatasetTraits, center: readonly number[], matrix: readonly (readonly number[])[]): Float64Array {
  return rawOracle(center, matrix).map((v) => (v * 255) / t.rawRange);
}

/** One sample's labels `[3, z, y, x]` (mito, er, nucleus) of a dataset with these traits, by the formula. */
export function labelOracleOf(t: DatasetTraits, center: readonly number[], matrix: readonly (readonly number[])[]): Float64Array {
  const out = labelOracle(center, matrix);
  if (t.er) return out;
  const n = out.length / 3;
  for (let i = 0; i < n; i++) out[n + i] = out[i] === 1 ? 0 : NaN;
  return out;
}
