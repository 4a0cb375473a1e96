// The command line as a user runs it: arguments, messages and exit codes.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decodeNpy } from "../src/io/npy.ts";
import { writeArrayFixture, FIXTURE_SCALE, FIXTURE_TRANSLATION, fixtureVolumes, FIXTURE_SHAPE } from "./setup/array-fixture.ts";

const run = promisify(execFile);
let dir: string;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("node", ["bin/cellmap-data.js", ...args], { encoding: "utf8" });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cellmap-cli-"));
  await writeArrayFixture(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("cellmap-data", () => {
  test("info --json lists the levels with shape, voxel size, translation, dtype, chunks and codecs", async () => {
    const r = await cli("info", join(dir, "raw_v3"), "--json");
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.version).toBe("0.5");
    expect(info.levels[0]).toMatchObject({
      path: "s0", shape: [...FIXTURE_SHAPE], scale: [...FIXTURE_SCALE], translation: [...FIXTURE_TRANSLATION],
      dtype: "uint16", chunks: [8, 8, 8], shards: [16, 16, 16],
    });
    expect(info.levels[0].codecs.join(" ")).toMatch(/sharding_indexed\(.*zstd/);
    const text = await cli("info", join(dir, "labels_v2"));
    expect(text.stdout).toMatch(/s0\s+30x41x52\s+6,4,4\s+12,-8,20\s+uint8\s+10x16x16\s+blosc\(zstd\)/);
  });

  test("sample accepts --opt value and --opt=value and writes the stored voxels", async () => {
    const out = join(dir, "one.npy");
    const c = [10, 20, 30].map((v, k) => FIXTURE_TRANSLATION[k]! + v * FIXTURE_SCALE[k]!);
    const r = await cli("sample", join(dir, "raw_v3"), "--center", c.join(","), "--shape=1,1,3", "--scale", FIXTURE_SCALE.join(","), "--device=cpu", "--out", out);
    expect(r.code, r.stderr).toBe(0);
    const npy = decodeNpy(new Uint8Array(readFileSync(out)));
    expect(npy.shape).toEqual([1, 1, 3]);
    const { raw } = fixtureVolumes();
    const at = (z: number, y: number, x: number) => raw[(z * FIXTURE_SHAPE[1] + y) * FIXTURE_SHAPE[2] + x];
    expect(Array.from(npy.data as Float32Array)).toEqual([at(10, 20, 29), at(10, 20, 30), at(10, 20, 31)]);
  });

  const bad: Array<[string, string[], RegExp]> = [
    ["an unknown command", ["frobnicate", "x"], /command must be "info" or "sample"/],
    ["a missing --center", ["sample", "X", "--shape=1,1,1", "--scale=1,1,1", "--out=o.npy"], /--center is required/],
    ["a short --shape", ["sample", "X", "--center=1,2,3", "--shape=1,1", "--scale=1,1,1", "--out=o.npy"], /--shape must be 3 comma-separated numbers/],
    ["a bad --interp", ["sample", "X", "--center=1,2,3", "--shape=1,1,1", "--scale=1,1,1", "--interp=cubic", "--out=o.npy"], /--interp must be "linear" or "nearest"/],
    ["a bad --pad", ["sample", "X", "--center=1,2,3", "--shape=1,1,1", "--scale=1,1,1", "--pad=abc", "--out=o.npy"], /--pad must be a number or NaN/],
    ["a value that starts with '-' given as a separate word", ["sample", "X", "--center", "-1,2,3", "--shape=1,1,1", "--scale=1,1,1", "--out=o.npy"], /--center needs a value/],
    ["an unknown option", ["sample", "X", "--centre=1,2,3"], /--centre is not an option/],
    ["a --matrix of 8 numbers", ["sample", "X", "--center=1,2,3", "--shape=1,1,1", "--scale=1,1,1", "--matrix=1,0,0,0,1,0,0,0", "--out=o.npy"], /--matrix must be 9/],
  ];
  for (const [name, args, message] of bad) {
    test(`${name} exits 2 with a one-line message`, async () => {
      const r = await cli(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    });
  }

  test("a path that is no zarr group exits 1 naming it", async () => {
    const r = await cli("info", join(dir, "nothing"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(join(dir, "nothing"));
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});
