// The zarr writer: round trips through zarrita for every codec, format and dtype, a cross-check
// of the v2 output with zarr-python, crc32c, shard layout, empty-chunk skipping, tile writes.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import FileSystemStore from "@zarrita/storage/fs";
import * as zarr from "zarrita";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  allocate,
  type ArraySpec,
  type CodecSpec,
  crc32c,
  createArray,
  createMemoryTarget,
  DATA_TYPES,
  type DataType,
  type NumericArray,
  writeArray,
  writeChunk,
} from "../src/zarr-write/index.ts";
import { createFsTarget } from "../src/zarr-write/fs-target.ts";
import { ngffGroups } from "./setup/zarr-write-cases.ts";

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

const CODECS: Record<string, CodecSpec> = {
  none: { name: "none" },
  "blosc-lz4": { name: "blosc", cname: "lz4", clevel: 5, shuffle: "shuffle" },
  "blosc-zstd": { name: "blosc", cname: "zstd", clevel: 3, shuffle: "bitshuffle" },
  zstd: { name: "zstd", level: 3 },
  gzip: { name: "gzip" },
};

type Layout = { name: string; zarrFormat: 2 | 3; shards?: number[]; dimensionSeparator?: "/" | "." };
const LAYOUTS: Layout[] = [
  { name: "v2-slash", zarrFormat: 2 },
  { name: "v2-dot", zarrFormat: 2, dimensionSeparator: "." },
  { name: "v3", zarrFormat: 3 },
  { name: "v3-sharded", zarrFormat: 3, shards: [32, 32, 32] },
];

const SHAPE = [37, 50, 45];
const CHUNKS = [16, 16, 16];

/** A volume with structure, values up to the dtype's range, and an all-zero slab (empty chunks). */
function volume(dtype: DataType, shape: readonly number[]): NumericArray {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = allocate(dtype, n);
  const [, ny, nx] = shape as [number, number, number];
  for (let i = 0; i < n; i++) {
    const z = Math.floor(i / (ny * nx));
    if (z < 16) continue; // first chunk layer stays zero
    const v = (i * 2654435761) % 251;
    switch (dtype) {
      case "uint64":
        (out as BigUint64Array)[i] = BigInt(v) * 0x100000001n;
        break;
      case "int64":
        (out as BigInt64Array)[i] = BigInt(v - 125) * 0x10000001n;
        break;
      case "int8":
        out[i] = v - 125;
        break;
      case "int16":
      case "int32":
        out[i] = (v - 125) * 97;
        break;
      case "uint16":
      case "uint32":
        out[i] = v * 233;
        break;
      case "float32":
      case "float64":
        out[i] = (v - 125) / 7;
        break;
      default:
        out[i] = v;
    }
  }
  return out;
}

function sha256(data: NumericArray): string {
  return createHash("sha256").update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).digest("hex");
}

async function readBack(dir: string, path: string): Promise<{ data: NumericArray; shape: number[] }> {
  const store = new FileSystemStore(dir);
  const arr = await zarr.open(zarr.root(store).resolve(path), { kind: "array" });
  const got = await zarr.get(arr);
  return { data: got.data as NumericArray, shape: got.shape };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "zarr-write-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("crc32c", () => {
  it("matches the Castagnoli check value", () => {
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
  });
  it("continues across calls", () => {
    const b = new TextEncoder().encode("123456789");
    expect(crc32c(b.subarray(4), crc32c(b.subarray(0, 4)))).toBe(0xe3069283);
  });
});

describe("round trip through zarrita", () => {
  for (const layout of LAYOUTS) {
    for (const [codecName, codec] of Object.entries(CODECS)) {
      it(`${layout.name} ${codecName}`, async () => {
        const data = volume("uint16", SHAPE);
        const path = `rt/${layout.name}-${codecName}.zarr`;
        const spec: ArraySpec = {
          shape: SHAPE,
          chunks: CHUNKS,
          dtype: "uint16",
          codec,
          zarrFormat: layout.zarrFormat,
          ...(layout.shards === undefined ? {} : { shards: layout.shards }),
          ...(layout.dimensionSeparator === undefined ? {} : { dimensionSeparator: layout.dimensionSeparator }),
        };
        const result = await writeArray(createFsTarget(dir), path, spec, data);
        // the zero slab fills whole chunks, but not whole 32^3 shards
        expect(result.skipped).toBe(layout.shards === undefined ? 12 : 0); // 4 x 3 chunks per layer
        const back = await readBack(dir, path);
        expect(back.shape).toEqual(SHAPE);
        expect(sha256(back.data)).toBe(sha256(data));
      });
    }
  }

  for (const dtype of DATA_TYPES) {
    it(`dtype ${dtype} (v2 blosc and v3 sharded zstd)`, async () => {
      const shape = [20, 18, 17];
      const data = volume(dtype, shape);
      const target = createFsTarget(dir);
      await writeArray(target, `dt/${dtype}-v2.zarr`, { shape, chunks: [8, 8, 8], dtype, zarrFormat: 2 }, data);
      await writeArray(target, `dt/${dtype}-v3.zarr`, {
        shape,
        chunks: [8, 8, 8],
        shards: [16, 16, 16],
        dtype,
        zarrFormat: 3,
        codec: { name: "zstd" },
      }, data);
      for (const f of ["v2", "v3"]) {
        const back = await readBack(dir, `dt/${dtype}-${f}.zarr`);
        expect(back.data.constructor).toBe(data.constructor);
        expect(sha256(back.data)).toBe(sha256(data));
      }
    });
  }

  it("keeps a non-zero fill value in padded edges and skipped chunks", async () => {
    const shape = [10, 10];
    const data = new Float32Array(100).fill(Number.NaN);
    for (let i = 0; i < 10; i++) data[i] = i;
    await writeArray(createFsTarget(dir), "fill.zarr", {
      shape,
      chunks: [4, 4],
      shards: [8, 8],
      dtype: "float32",
      fillValue: Number.NaN,
      zarrFormat: 3,
    }, data);
    const back = await readBack(dir, "fill.zarr");
    expect(Array.from(back.data as Float32Array)).toEqual(Array.from(data));
    const files = await readdir(join(dir, "fill.zarr/c"), { recursive: true });
    expect(files.filter((f) => f.includes("/"))).toEqual(["0/0", "0/1"]); // shards of row 1 are all NaN
  });
});

describe("layout on disk", () => {
  it("skips empty chunks unless asked, and leaves no temp files", async () => {
    const data = new Uint8Array(16 * 16);
    data[0] = 1;
    const target = createFsTarget(dir);
    await writeArray(target, "sparse.zarr", { shape: [16, 16], chunks: [8, 8], dtype: "uint8", zarrFormat: 2 }, data);
    expect((await readdir(join(dir, "sparse.zarr"), { recursive: true })).sort()).toEqual([".zarray", "0", "0/0"]);
    await writeArray(target, "sparse.zarr", { shape: [16, 16], chunks: [8, 8], dtype: "uint8", zarrFormat: 2 }, data, {
      writeEmptyChunks: true,
    });
    const all = await readdir(join(dir, "sparse.zarr"), { recursive: true });
    expect(all.filter((f) => f.includes("tmp"))).toEqual([]);
    expect(all.filter((f) => /^\d\/\d$/.test(f)).sort()).toEqual(["0/0", "0/1", "1/0", "1/1"]);
    // rewriting with the chunk now empty removes the stale file
    await writeArray(target, "sparse.zarr", { shape: [16, 16], chunks: [8, 8], dtype: "uint8", zarrFormat: 2 }, new Uint8Array(256));
    expect(await target.get("sparse.zarr/0/0")).toBeUndefined();
  });

  it("writes a shard index of (offset, nbytes) pairs with a valid crc32c at the end", async () => {
    const target = createMemoryTarget();
    const data = new Uint8Array(8 * 8).map((_, i) => (i < 32 ? 7 : 0)); // inner chunk row 0 full, row 1 empty
    await writeArray(target, "s.zarr", {
      shape: [8, 8],
      chunks: [4, 4],
      shards: [8, 8],
      dtype: "uint8",
      codec: { name: "none" },
      zarrFormat: 3,
    }, data);
    const shard = target.map.get("s.zarr/c/0/0")!;
    expect(shard.length).toBe(2 * 16 + 4 * 16 + 4);
    const index = shard.subarray(32, 32 + 64);
    const view = new DataView(shard.buffer, shard.byteOffset);
    expect(view.getUint32(96, true)).toBe(crc32c(index));
    const entries = Array.from(new BigUint64Array(index.slice().buffer));
    const E = 0xffffffffffffffffn;
    expect(entries).toEqual([0n, 16n, 16n, 16n, E, E, E, E]);
    const meta = JSON.parse(new TextDecoder().decode(target.map.get("s.zarr/zarr.json")!));
    expect(meta.codecs[0].configuration).toMatchObject({
      chunk_shape: [4, 4],
      index_codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "crc32c" }],
      index_location: "end",
    });
  });

  it("writeChunk tile by tile (edge tiles clipped) equals writeArray", async () => {
    const shape = [40, 40, 40];
    const data = volume("uint8", shape) as Uint8Array;
    const target = createFsTarget(dir);
    const arr = await createArray(target, "tiles.zarr", {
      shape,
      chunks: [16, 16, 16],
      shards: [32, 32, 32],
      dtype: "uint8",
      zarrFormat: 3,
    });
    expect(arr.grid).toEqual([2, 2, 2]);
    for (let z = 0; z < 2; z++) {
      for (let y = 0; y < 2; y++) {
        for (let x = 0; x < 2; x++) {
          const size = [z, y, x].map((c) => Math.min(32, 40 - c * 32));
          const tile = new Uint8Array(size[0]! * size[1]! * size[2]!);
          let k = 0;
          for (let i = 0; i < size[0]!; i++) {
            for (let j = 0; j < size[1]!; j++) {
              for (let l = 0; l < size[2]!; l++) {
                tile[k++] = data[((z * 32 + i) * 40 + y * 32 + j) * 40 + x * 32 + l]!;
              }
            }
          }
          await writeChunk(target, arr, [z, y, x], tile);
        }
      }
    }
    const back = await readBack(dir, "tiles.zarr");
    expect(sha256(back.data)).toBe(sha256(data));
    await expect(writeChunk(target, arr, [2, 0, 0], new Uint8Array(8))).rejects.toThrow(/coords/);
    await expect(writeChunk(target, arr, [0, 0, 0], new Uint8Array(8))).rejects.toThrow(/32768 elements/);
    await expect(writeChunk(target, arr, [0, 0, 0], new Uint16Array(32768))).rejects.toThrow(/uint8/);
  });

  it("rejects bad specs with the field named", async () => {
    const t = createMemoryTarget();
    const base = { shape: [4], chunks: [2], dtype: "uint8" as const };
    await expect(createArray(t, "a", { ...base, zarrFormat: 2, shards: [4] })).rejects.toThrow(/shards needs zarrFormat 3/);
    await expect(createArray(t, "a", { ...base, zarrFormat: 3, shards: [3] })).rejects.toThrow(/shards must be a multiple/);
    await expect(createArray(t, "a", { ...base, chunks: [0], zarrFormat: 3 })).rejects.toThrow(/chunks must be/);
  });

  it("reads back from the memory target through zarrita, sharded included", async () => {
    const target = createMemoryTarget();
    const data = volume("int32", [9, 9]);
    await writeArray(target, "m.zarr", { shape: [9, 9], chunks: [4, 4], shards: [8, 8], dtype: "int32", zarrFormat: 3 }, data);
    const arr = await zarr.open(zarr.root(target).resolve("m.zarr"), { kind: "array" });
    expect(sha256((await zarr.get(arr)).data as NumericArray)).toBe(sha256(data));
  });
});

describe("groups and OME-NGFF metadata", () => {
  it("writes 0.4 multiscales in .zattrs and 0.5 under attributes.ome", () =>
    ngffGroups({ target: createFsTarget(dir), store: new FileSystemStore(dir) }));
});

describe.skipIf(!hasZarrPython)("zarr-python reads our v2 arrays", () => {
  it("gets identical values for every codec and dtype", async () => {
    const target = createFsTarget(dir);
    const expected: Record<string, string> = {};
    for (const [codecName, codec] of Object.entries(CODECS)) {
      for (const sep of ["/", "."] as const) {
        const path = `py/${codecName}-${sep === "/" ? "slash" : "dot"}.zarr`;
        const data = volume("uint16", SHAPE);
        await writeArray(target, path, { shape: SHAPE, chunks: CHUNKS, dtype: "uint16", codec, zarrFormat: 2, dimensionSeparator: sep }, data);
        expected[path] = sha256(data);
      }
    }
    for (const dtype of DATA_TYPES) {
      const path = `py/dtype-${dtype}.zarr`;
      const data = volume(dtype, [20, 18, 17]);
      await writeArray(target, path, { shape: [20, 18, 17], chunks: [8, 8, 8], dtype, zarrFormat: 2 }, data);
      expected[path] = sha256(data);
    }
    const script = `
import hashlib, json, sys, zarr, numpy as np
root, paths = sys.argv[1], json.loads(sys.argv[2])
out = {}
for p in paths:
    a = zarr.open_array(root + "/" + p, mode="r")
    v = np.ascontiguousarray(a[...])
    out[p] = hashlib.sha256(v.astype(v.dtype.newbyteorder("<")).tobytes()).hexdigest()
print(json.dumps(out))
`;
    const got = JSON.parse(execFileSync(PYTHON, ["-c", script, dir, JSON.stringify(Object.keys(expected))], { encoding: "utf8" }));
    expect(got).toEqual(expected);
  });
});
