// The sample dataset generator: determinism, layout and NGFF metadata as zarrita reads them,
// labels that agree with the raw texture, exact complement counts, zarr-python on the v2 copy.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import FileSystemStore from "@zarrita/storage/fs";
import * as zarr from "zarrita";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSampleDataset, type SampleManifest } from "../src/sample-data/index.ts";
import { createFsTarget } from "../src/zarr-write/fs-target.ts";
import { createMemoryTarget } from "../src/zarr-write/index.ts";

const PYTHON = "/usr/bin/python3";
const hasZarrPython = (() => {
  if (!existsSync(PYTHON)) return false;
  try {
    execFileSync(PYTHON, ["-c", "import zarr, numcodecs"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

type Attrs = Record<string, any>;

let dir: string;
let manifest: SampleManifest;
let store: FileSystemStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sample-data-"));
  manifest = await generateSampleDataset(createFsTarget(dir), { seed: 1 });
  store = new FileSystemStore(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function openArray(path: string) {
  return await zarr.open(zarr.root(store).resolve(path), { kind: "array" });
}
async function openGroup(path: string) {
  return await zarr.open(zarr.root(store).resolve(path), { kind: "group" });
}
async function read(path: string): Promise<{ data: Uint8Array; shape: number[] }> {
  const got = await zarr.get(await openArray(path));
  return { data: got.data as Uint8Array, shape: got.shape };
}
function multiscales(attrs: Attrs, zarrFormat: 2 | 3): Attrs {
  return zarrFormat === 3 ? attrs["ome"].multiscales[0] : attrs["multiscales"][0];
}

describe("manifest and layout", () => {
  it("describes two copies, the raw pyramid and two crops with different classes", async () => {
    expect(manifest.copies.map((c) => [c.path, c.zarrFormat, c.ngffVersion])).toEqual([
      ["sample_v3.zarr", 3, "0.5"],
      ["sample_v2.zarr", 2, "0.4"],
    ]);
    expect(manifest.raw.path).toBe("recon-1/em/fibsem-uint8");
    expect(manifest.raw.levels.map((l) => [l.path, l.shape, l.scale, l.translation])).toEqual([
      ["s0", [96, 192, 192], [8, 4, 4], [0, 0, 0]],
      ["s1", [48, 96, 96], [16, 8, 8], [4, 2, 2]],
      ["s2", [24, 48, 48], [32, 16, 16], [12, 6, 6]],
    ]);
    expect(manifest.crops.map((c) => [c.name, c.path, c.classes])).toEqual([
      ["crop1", "recon-1/labels/groundtruth/crop1", ["mito", "er", "nucleus", "ves"]],
      ["crop2", "recon-1/labels/groundtruth/crop2", ["mito", "ecs"]],
    ]);
    for (const crop of manifest.crops) {
      for (const [k, level] of crop.levels.entries()) {
        if (k === 0) continue;
        const prev = crop.levels[k - 1]!;
        expect(level.scale).toEqual(prev.scale.map((s) => 2 * s));
        expect(level.translation).toEqual(prev.translation.map((t, i) => t + (level.scale[i]! - prev.scale[i]!) / 2));
      }
      // crops lie inside the raw volume and every class is present and absent somewhere
      for (let i = 0; i < 3; i++) {
        expect(crop.box.min[i]!).toBeGreaterThanOrEqual(manifest.raw.box.min[i]!);
        expect(crop.box.max[i]!).toBeLessThanOrEqual(manifest.raw.box.max[i]!);
      }
      for (const cls of crop.classes) {
        expect(crop.counts[cls]!.present).toBeGreaterThan(1000);
        expect(crop.counts[cls]!.absent).toBeGreaterThan(1000);
      }
    }
    const onDisk = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(manifest)));
  });
});

describe("zarrita reads both copies", () => {
  for (const [copy, zarrFormat] of [["sample_v3.zarr", 3], ["sample_v2.zarr", 2]] as const) {
    it(`${copy}: multiscale metadata, shapes and chunking`, async () => {
      const raw = await openGroup(`${copy}/recon-1/em/fibsem-uint8`);
      const ms = multiscales(raw.attrs as Attrs, zarrFormat);
      if (zarrFormat === 3) expect((raw.attrs as Attrs)["ome"].version).toBe("0.5");
      else expect(ms["version"]).toBe("0.4");
      expect(ms["axes"]).toEqual(["z", "y", "x"].map((name) => ({ name, type: "space", unit: "nanometer" })));
      expect(ms["datasets"]).toEqual(manifest.raw.levels.map((l) => ({
        path: l.path,
        coordinateTransformations: [{ type: "scale", scale: l.scale }, { type: "translation", translation: l.translation }],
      })));
      for (const level of manifest.raw.levels) {
        const arr = await openArray(`${copy}/recon-1/em/fibsem-uint8/${level.path}`);
        expect(arr.shape).toEqual(level.shape);
        expect(arr.dtype).toBe("uint8");
        expect(arr.chunks).toEqual([32, 32, 32]); // inner chunks when sharded
      }
      for (const crop of manifest.crops) {
        const g = await openGroup(`${copy}/${crop.path}`);
        expect((g.attrs as Attrs)["cellmap"].annotation.class_names).toEqual(crop.classes);
        for (const cls of crop.classes) {
          const cg = await openGroup(`${copy}/${crop.path}/${cls}`);
          const cms = multiscales(cg.attrs as Attrs, zarrFormat);
          expect(cms["datasets"].map((d: Attrs) => d["coordinateTransformations"])).toEqual(
            crop.levels.map((l) => [{ type: "scale", scale: l.scale }, { type: "translation", translation: l.translation }]),
          );
          for (const level of crop.levels) {
            const arr = await openArray(`${copy}/${crop.path}/${cls}/${level.path}`);
            expect(arr.shape).toEqual(level.shape);
          }
        }
      }
      if (zarrFormat === 3) {
        const meta = JSON.parse(await readFile(join(dir, copy, "recon-1/em/fibsem-uint8/s0/zarr.json"), "utf8"));
        expect(meta.chunk_grid.configuration.chunk_shape).toEqual([64, 64, 64]);
        expect(meta.codecs[0].name).toBe("sharding_indexed");
        expect(meta.dimension_names).toEqual(["z", "y", "x"]);
      } else {
        const meta = JSON.parse(await readFile(join(dir, copy, "recon-1/em/fibsem-uint8/s0/.zarray"), "utf8"));
        expect(meta.compressor).toMatchObject({ id: "blosc", cname: "lz4" });
      }
    });
  }

  it("both copies hold identical values", async () => {
    const paths = [
      ...manifest.raw.levels.map((l) => `${manifest.raw.path}/${l.path}`),
      ...manifest.crops.flatMap((c) => c.classes.flatMap((k) => c.levels.map((l) => `${c.path}/${k}/${l.path}`))),
    ];
    for (const p of paths) {
      const [a, b] = await Promise.all([read(`sample_v3.zarr/${p}`), read(`sample_v2.zarr/${p}`)]);
      expect(Buffer.compare(Buffer.from(a.data), Buffer.from(b.data)), p).toBe(0);
    }
  });
});

describe("labels", () => {
  it("complement_counts are exact on every level array and at s0 on the class group", async () => {
    for (const copy of ["sample_v3.zarr", "sample_v2.zarr"]) {
      for (const crop of manifest.crops) {
        for (const cls of crop.classes) {
          const group = await openGroup(`${copy}/${crop.path}/${cls}`);
          const ann = (group.attrs as Attrs)["cellmap"].annotation;
          expect(ann.class_name).toBe(cls);
          expect(ann.annotation_type).toEqual({ type: "semantic_segmentation", encoding: { absent: 0, present: 1 } });
          for (const [k, level] of crop.levels.entries()) {
            const arr = await openArray(`${copy}/${crop.path}/${cls}/${level.path}`);
            const { data } = await zarr.get(arr);
            let zeros = 0;
            let other = 0;
            for (const v of data as Uint8Array) {
              if (v === 0) zeros++;
              else if (v !== 1) other++;
            }
            expect(other).toBe(0);
            expect((arr.attrs as Attrs)["cellmap"].annotation.complement_counts.absent).toBe(zeros);
            if (k === 0) {
              expect(ann.complement_counts.absent).toBe(zeros);
              expect(crop.counts[cls]!.absent).toBe(zeros);
            }
          }
        }
      }
    }
  });

  it("agree with the raw texture: mito darker than cytoplasm, ecs brighter, membranes dark", async () => {
    // crop2 has the raw's voxel grid: label voxel (i, j, k) is raw voxel (i, j, k) + offset
    const crop = manifest.crops.find((c) => c.name === "crop2")!;
    const s0 = crop.levels[0]!;
    const raw = await read(`sample_v3.zarr/${manifest.raw.path}/s0`);
    const mito = await read(`sample_v3.zarr/${crop.path}/mito/s0`);
    const ecs = await read(`sample_v3.zarr/${crop.path}/ecs/s0`);
    const rawScale = manifest.raw.levels[0]!.scale;
    expect(s0.scale).toEqual(rawScale);
    const off = s0.translation.map((t, i) => t / rawScale[i]!);
    const [nz, ny, nx] = s0.shape as [number, number, number];
    const [, ry, rx] = raw.shape as [number, number, number];
    const sums = { mito: [0, 0], ecs: [0, 0], cyto: [0, 0], rim: [0, 0] };
    const at = (i: number, j: number, k: number) => (i * ny + j) * nx + k;
    for (let i = 1; i < nz - 1; i++) {
      for (let j = 1; j < ny - 1; j++) {
        for (let k = 1; k < nx - 1; k++) {
          const v = raw.data[((i + off[0]!) * ry + j + off[1]!) * rx + k + off[2]!]!;
          const n = at(i, j, k);
          let bucket: keyof typeof sums;
          if (mito.data[n]) {
            const rim = !mito.data[at(i, j + 1, k)] || !mito.data[at(i, j - 1, k)] || !mito.data[at(i, j, k + 1)] ||
              !mito.data[at(i, j, k - 1)];
            bucket = rim ? "rim" : "mito";
          } else if (ecs.data[n]) bucket = "ecs";
          else bucket = "cyto";
          sums[bucket][0]! += v;
          sums[bucket][1]! += 1;
        }
      }
    }
    const mean = (b: keyof typeof sums) => sums[b][0]! / sums[b][1]!;
    expect(sums.mito[1]).toBeGreaterThan(500);
    expect(mean("mito")).toBeLessThan(mean("cyto") - 25);
    expect(mean("ecs")).toBeGreaterThan(mean("cyto") + 25);
    expect(mean("rim")).toBeLessThan(mean("mito") - 15); // the outer membrane is the darkest part
  });

  it("4 nm crop1 labels match the 8 x 4 x 4 nm raw: nucleus and ER darker, vesicles lighter", async () => {
    const crop = manifest.crops.find((c) => c.name === "crop1")!;
    const s0 = crop.levels[0]!;
    const raw = await read(`sample_v3.zarr/${manifest.raw.path}/s0`);
    const rs = manifest.raw.levels[0]!.scale;
    const [, ry, rx] = raw.shape as [number, number, number];
    const labels = Object.fromEntries(
      await Promise.all(crop.classes.map(async (c) => [c, (await read(`sample_v3.zarr/${crop.path}/${c}/s0`)).data] as const)),
    );
    const [nz, ny, nx] = s0.shape as [number, number, number];
    const acc: Record<string, [number, number]> = { none: [0, 0] };
    for (let i = 0; i < nz; i++) {
      const rz = Math.round((s0.translation[0]! + i * s0.scale[0]!) / rs[0]!); // nearest raw voxel center
      for (let j = 0; j < ny; j++) {
        const rj = Math.round((s0.translation[1]! + j * s0.scale[1]!) / rs[1]!);
        for (let k = 0; k < nx; k++) {
          const rk = Math.round((s0.translation[2]! + k * s0.scale[2]!) / rs[2]!);
          const n = (i * ny + j) * nx + k;
          const cls = crop.classes.find((c) => labels[c]![n] === 1) ?? "none";
          const a = (acc[cls] ??= [0, 0]);
          a[0] += raw.data[(rz * ry + rj) * rx + rk]!;
          a[1] += 1;
        }
      }
    }
    const mean = (c: string) => acc[c]![0] / acc[c]![1];
    // "none" is cytoplasm (crop1 lies inside the cell)
    expect(mean("nucleus")).toBeLessThan(mean("none") - 10);
    expect(mean("er")).toBeLessThan(mean("none") - 30);
    expect(mean("mito")).toBeLessThan(mean("none") - 25);
    expect(mean("ves")).toBeGreaterThan(mean("er") + 30);
  });
});

describe("determinism", () => {
  const sha = (b: Uint8Array | undefined) => createHash("sha256").update(b ?? new Uint8Array()).digest("hex");

  it("the same seed writes identical bytes, another seed does not", async () => {
    const again = createMemoryTarget();
    const m2 = await generateSampleDataset(again, { seed: 1, formats: [3] });
    expect(m2.crops).toEqual(manifest.crops);
    for (const key of [
      "sample_v3.zarr/recon-1/em/fibsem-uint8/s0/c/0/1/1",
      "sample_v3.zarr/recon-1/em/fibsem-uint8/s2/c/0/0/0",
      "sample_v3.zarr/recon-1/labels/groundtruth/crop1/mito/s0/c/0/0/0",
      "sample_v3.zarr/recon-1/labels/groundtruth/crop2/ecs/s0/c/0/0/0",
    ]) {
      const onDisk = new Uint8Array(await readFile(join(dir, key)));
      expect(sha(again.map.get(key)), key).toBe(sha(onDisk));
    }
    const small = { size: [32, 64, 64], formats: [3] as const };
    const a = createMemoryTarget();
    const b = createMemoryTarget();
    await generateSampleDataset(a, { ...small, seed: 7 });
    await generateSampleDataset(b, { ...small, seed: 8 });
    const key = "sample_v3.zarr/recon-1/em/fibsem-uint8/s0/c/0/0/0";
    expect(sha(a.map.get(key))).not.toBe(sha(b.map.get(key)));
  });

  it("rejects sizes that do not halve cleanly", async () => {
    await expect(generateSampleDataset(createMemoryTarget(), { size: [30, 64, 64] })).rejects.toThrow(/size must be/);
  });
});

describe.skipIf(!hasZarrPython)("zarr-python reads the v2 copy", () => {
  it("gets the values zarrita gets, and the NGFF 0.4 attributes", async () => {
    const paths = [
      `${manifest.raw.path}/s0`,
      `${manifest.raw.path}/s2`,
      ...manifest.crops.flatMap((c) => c.classes.map((k) => `${c.path}/${k}/s0`)),
    ];
    const expected: Record<string, string> = {};
    for (const p of paths) {
      expected[p] = createHash("sha256").update((await read(`sample_v2.zarr/${p}`)).data).digest("hex");
    }
    const script = `
import hashlib, json, sys, zarr, numpy as np
root, paths = sys.argv[1], json.loads(sys.argv[2])
g = zarr.open_group(root, mode="r")
out = {p: hashlib.sha256(np.ascontiguousarray(g[p][...]).tobytes()).hexdigest() for p in paths}
ms = g["recon-1/em/fibsem-uint8"].attrs["multiscales"][0]
out["scales"] = [d["coordinateTransformations"][0]["scale"] for d in ms["datasets"]]
print(json.dumps(out))
`;
    const got = JSON.parse(execFileSync(PYTHON, ["-c", script, join(dir, "sample_v2.zarr"), JSON.stringify(paths)], {
      encoding: "utf8",
    }));
    expect(got.scales).toEqual(manifest.raw.levels.map((l) => l.scale));
    delete got.scales;
    expect(got).toEqual(expected);
  });
});
