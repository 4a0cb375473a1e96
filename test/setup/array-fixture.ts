// Writes the small arrays the CellMapArray cases read, with the project's zarr writer (Deno and
// Node): a smooth uint16 volume as zarr v3 sharded (zstd), the same with the shard index moved to
// the start of each shard (as zarr-python 3 can write it), and a blocky uint8 label volume as zarr
// v2 (blosc). Deterministic.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { crc32c } from "../../src/store/crc32c.ts";
import { createFsTarget } from "../../src/zarr-write/fs-target.ts";
import { multiscalesAttributes, pyramidLevels, writeArray, writeGroup } from "../../src/zarr-write/index.ts";
import { FIXTURE_SCALE, FIXTURE_SHAPE, FIXTURE_TRANSLATION, fixtureVolumes } from "./array-fixture-data.ts";

export { FIXTURE_SCALE, FIXTURE_SHAPE, FIXTURE_TRANSLATION, fixtureVolumes };

/** Write the fixture groups `raw_v3`, `raw_v3_start` and `labels_v2` below `dir`. */
export async function writeArrayFixture(dir: string): Promise<void> {
  const target = createFsTarget(dir);
  const { raw, labels } = fixtureVolumes();
  const levels = pyramidLevels(1, [...FIXTURE_SCALE], [...FIXTURE_TRANSLATION]);
  for (const name of ["raw_v3", "raw_v3_start"]) {
    await writeGroup(target, name, { zarrFormat: 3, attributes: multiscalesAttributes("0.5", { levels }) });
    await writeArray(target, `${name}/s0`, {
      shape: [...FIXTURE_SHAPE], chunks: [8, 8, 8], shards: [16, 16, 16], dtype: "uint16", zarrFormat: 3, codec: { name: "zstd" },
    }, raw);
  }
  await moveShardIndexToStart(join(dir, "raw_v3_start/s0"), 8);
  await writeGroup(target, "labels_v2", { zarrFormat: 2, attributes: multiscalesAttributes("0.4", { levels }) });
  await writeArray(target, "labels_v2/s0", {
    shape: [...FIXTURE_SHAPE], chunks: [10, 16, 16], dtype: "uint8", zarrFormat: 2, codec: { name: "blosc", cname: "zstd" },
  }, labels);
}

/** Rewrite every shard of an array so its index (with crc32c) comes first, and say so in zarr.json. */
async function moveShardIndexToStart(arrayDir: string, chunksPerShard: number): Promise<void> {
  const indexBytes = chunksPerShard * 16 + 4;
  const files = await listFiles(join(arrayDir, "c"));
  for (const f of files) {
    const bytes = new Uint8Array(await readFile(f));
    const data = bytes.subarray(0, bytes.length - indexBytes);
    const index = new Uint8Array(bytes.subarray(bytes.length - indexBytes));
    const view = new DataView(index.buffer);
    for (let k = 0; k < chunksPerShard; k++) {
      const off = view.getBigUint64(k * 16, true);
      if (off !== 0xffffffffffffffffn) view.setBigUint64(k * 16, off + BigInt(indexBytes), true);
    }
    view.setUint32(indexBytes - 4, crc32c(index.subarray(0, indexBytes - 4)), true);
    const out = new Uint8Array(bytes.length);
    out.set(index, 0);
    out.set(data, indexBytes);
    await writeFile(f, out);
  }
  const metaPath = join(arrayDir, "zarr.json");
  const meta = JSON.parse(await readFile(metaPath, "utf8"));
  meta.codecs[0].configuration.index_location = "start";
  await writeFile(metaPath, JSON.stringify(meta, null, 2));
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(p);
  }
  return out;
}
