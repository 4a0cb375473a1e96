// CellMapDatasetWriter in Deno (node:fs through src/zarr-write/fs-target.ts): v3 round trip read
// back by zarrita, crash and resume, refusal of foreign outputs. Bodies in test/setup/writer-cases.ts.
import { writerCases as cases } from "../setup/writer-cases.ts";

async function inTempDir(work: (dir: string) => Promise<unknown>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "cellmap-writer-" });
  try {
    const out = await work(dir);
    if (typeof out === "string") console.log(`[deno] ${out}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("writer: v3 output reads back with zarrita, every voxel at its world position", () => inTempDir(cases.v3RoundTrip));
Deno.test("writer: a crash mid-tile leaves finished tiles intact and a rerun resumes (v2)", () => inTempDir((d) => cases.resumeAfterCrash(d, 2)));
Deno.test("writer: a crash mid-tile leaves finished tiles intact and a rerun resumes (v3)", () => inTempDir((d) => cases.resumeAfterCrash(d, 3)));
Deno.test("writer: an output made with other options is refused unless overwrite", () => inTempDir(cases.refusesForeignOutput));
Deno.test("writer: bad options raise ArgumentError naming the option", () => inTempDir(cases.rejectsBadOptions));
