// The writer run that test/writer-kill.test.ts kills: create (or resume) the output of
// writer-cases' smallOptions at argv[2] in zarr format argv[3], then write every pending tile, two at
// a time, with the same predictions as a clean run. Bundled with node:fs/promises replaced by
// ./kill-fs-shim.ts, which SIGKILLs it at a chosen filesystem call. Prints `create <calls>` after
// create and `done <calls>` at the end.
import { CellMapDatasetWriter } from "../../src/dataset/writer.ts";
import { mutatingCalls } from "./kill-fs-shim.ts";
import { predict, smallOptions } from "./writer-cases.ts";

const [path, format] = process.argv.slice(2);
const o = smallOptions(path!, { zarrFormat: format === "2" ? 2 : 3 });
const writer = await CellMapDatasetWriter.create(o);
process.stdout.write(`create ${mutatingCalls()}\n`);
const pending = [...writer.pendingTiles()];
for (let i = 0; i < pending.length; i += 2) {
  const pair = pending.slice(i, i + 2);
  const parts = pair.map((t) => predict(o, t.center));
  const batch: Record<string, Float32Array> = {};
  for (const name of Object.keys(parts[0]!)) {
    const n = parts[0]![name]!.length;
    batch[name] = new Float32Array(n * pair.length);
    parts.forEach((p, b) => batch[name]!.set(p[name]!, b * n));
  }
  await writer.write(pair.map((t) => t.idx), batch);
}
await writer.close();
process.stdout.write(`done ${mutatingCalls()}\n`);
