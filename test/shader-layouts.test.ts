// Every struct of every kernel's WGSL (src/kernels/<kernel>/<kernel>.wgsl): the layout generated
// into shader.gen.ts (reflected by wgsl_reflect in scripts/gen-shaders.mjs) agrees with an
// independent reflection (test/setup/wgsl-layout.ts), shader-internal structs have no host
// layout, and the generated modules are current.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { ACC_WORDS, SAMPLE_WORDS } from "../src/kernels/cellpose/contract.ts";
import { encodeCellposeParams, encodeCellposeSteps } from "../src/kernels/cellpose/gpu.ts";
import { INV7, INV9, MIN_NORMAL } from "../src/kernels/cellpose/twin.ts";
import { storageKindCode } from "../src/kernels/chunks/contract.ts";
import { customParams, writeCustomRow } from "../src/kernels/custom-op/gpu.ts";
import { encodeDistanceParams, writeDistanceRow } from "../src/kernels/distance/gpu.ts";
import { MAX_RELATED_CLASSES } from "../src/kernels/labels/contract.ts";
import { encodeLabelsParams } from "../src/kernels/labels/gpu.ts";
import { type StructLayout, writeStruct } from "../src/kernels/layout.ts";
import type { ResampleSample } from "../src/kernels/resample/contract.ts";
import { encodeParams, encodeSampleStructs, PARAMS_BYTES, SAMPLE_BYTES } from "../src/kernels/resample/gpu-encode.ts";
import { resampleWgsl } from "../src/kernels/resample/shader.gen.ts";
import { FLOAT32_MAX } from "../src/kernels/value-transforms/contract.ts";
import { planSample } from "../src/kernels/value-transforms/gpu-plan.ts";
import { buildTables, encodeValueParams, PARTIAL_BYTES, writeOp } from "../src/kernels/value-transforms/gpu-tables.ts";
import { valueTransformsLayouts } from "../src/kernels/value-transforms/shader.gen.ts";
import { readField, reflectStruct, structNames } from "./setup/wgsl-layout.ts";

/** One struct written by its host encoder from known values, and the values each field must hold. */
interface Encoded {
  buffer: ArrayBuffer;
  /** Byte offset of the struct in `buffer`. */
  base: number;
  expected: Record<string, number[]>;
}

/**
 * The host encoder of every host-shareable struct ("kernel/Struct"), run on distinct values so
 * that a field written at another field's offset shows.
 */
const ENCODERS: Record<string, () => Encoded> = {
  "resample/Params": () => ({
    buffer: encodeParams({
      outShape: [3, 5, 7],
      batch: 11,
      chunkShape: [13, 17, 19],
      kind: "i16",
      volShape: [100_001, 23, 29],
      interp: "nearest",
      pad: NaN,
      fill: -2.5,
      slotWords: 31,
      rowWidth: 64 * 37,
    }),
    base: 0,
    expected: {
      outShape: [3, 5, 7],
      batch: [11],
      chunkShape: [13, 17, 19],
      kind: [storageKindCode("i16")],
      volShape: [100_001, 23, 29],
      interp: [1],
      pad: [NaN],
      fill: [-2.5],
      slotWords: [31],
      rowWidth: [64 * 37],
    },
  }),
  // The second of two displaced samples, so that its first displacement point is not 0.
  "resample/Sample": () => {
    const samples: ResampleSample[] = [0, 1].map((k) => ({
      matrix: Float64Array.from({ length: 12 }, (_, i) => (i + 1) * (k === 0 ? 0.5 : -0.25)),
      origin: [1000 + k, -2000 - k, 99_999],
      chunkLo: [3 + k, -4, 5],
      chunkDims: [6, 7 + k, 8],
      tableOffset: 123 + k,
      displacement: { dims: [2, 3, 4 + k], step: [0.5, 0.25, 0.125 * (k + 1)], start: [1.5, -0.5, 2], values: new Float64Array(3 * 2 * 3 * (4 + k)) },
    }));
    const m = Array.from(samples[1]!.matrix, Math.fround);
    return {
      buffer: encodeSampleStructs(samples),
      base: SAMPLE_BYTES,
      expected: {
        m0: m.slice(0, 4),
        m1: m.slice(4, 8),
        m2: m.slice(8, 12),
        origin: [1001, -2001, 99_999, 0],
        chunkLo: [4, -4, 5, 124],
        chunkDims: [6, 8, 8, 0],
        dispStep: [0.5, 0.25, 0.25, 0],
        dispStart: [1.5, -0.5, 2, 0],
        dispDims: [2, 3, 5, 2 * 3 * 4],
      },
    };
  },
  "custom-op/CellmapParams": () => ({
    buffer: customParams({ voxels: 4096, count: 3, sampleBase: 5, rowWidth: 64 * 7, dataOffset: 12_288 }),
    base: 0,
    expected: { voxels: [4096], count: [3], sampleBase: [5], rowWidth: [64 * 7], dataOffset: [12_288], _pad0: [0], _pad1: [0], _pad2: [0] },
  }),
  // Row 1 of a two-row table whose row 0 is off.
  "custom-op/CellmapSample": () => {
    const table = new ArrayBuffer(64);
    writeCustomRow(table, 0, undefined);
    writeCustomRow(table, 1, { kind: "custom", name: "f", source: "", params: [1.5, -2, 3.25, 4] });
    return { buffer: table, base: 32, expected: { p: [1.5, -2, 3.25, 4], on: [1, 0, 0, 0] } };
  },
  "cellpose/Params": () => ({
    buffer: encodeCellposeParams({
      voxels: 1, count: 2, nz: 3, ny: 4, nx: 5, channels: 6, channel: 7, inOffset: 8, outOffset: 9, mode: 10, bits: 11,
      iterations: 12, rowWidth: 13, maxIterations: 14, gridX: 15, gridY: 16, planar: 17,
    }),
    base: 0,
    expected: {
      voxels: [1], count: [2], nz: [3], ny: [4], nx: [5], channels: [6], channel: [7], inOffset: [8], outOffset: [9], mode: [10],
      bits: [11], iterations: [12], rowWidth: [13], maxIterations: [14], gridX: [15], gridY: [16], planar: [17],
      pad0: [0], pad1: [0], pad2: [0],
    },
  }),
  // The diffusion steps' blocks, 256 bytes apart: step 2 at byte 512.
  "cellpose/Step": () => ({ buffer: encodeCellposeSteps(3, 256), base: 512, expected: { index: [2, 0, 0, 0] } }),
  "distance/Params": () => ({
    buffer: encodeDistanceParams({
      shape: [1, 2, 3], voxels: 4, count: 5, sampleBase: 6, rowWidth: 7, axis: 8, tableBase: 9, dataOffset: 10, lines: 11,
      lineWords: 12, spacing: [0.5, 1.5, 2.5],
    }),
    base: 0,
    expected: {
      shape: [1, 2, 3], voxels: [4], count: [5], sampleBase: [6], rowWidth: [7], axis: [8], tableBase: [9], dataOffset: [10],
      lines: [11], lineWords: [12], spacing: [0.5, 1.5, 2.5], _pad: [0],
    },
  }),
  // Row 1 of a distance table: a signed transform, clipped, through tanh.
  "distance/DistSample": () => {
    const buffer = new ArrayBuffer(64);
    writeDistanceRow(buffer, 1, { signed: true, clip: [-2, 3], tanhScale: 4 });
    return { buffer, base: 32, expected: { head: [2, 0, 0, 0], args: [-2, 3, 4, 0] } };
  },
  "labels/Params": () => ({
    buffer: encodeLabelsParams({ voxels: 1, batch: 2, classes: 3, words: 4, rowWidth: 5, offset: 6, emptyIsNan: 7, empty: 8.5 }),
    base: 0,
    expected: { voxels: [1], batch: [2], classes: [3], words: [4], rowWidth: [5], offset: [6], emptyIsNan: [7], empty: [8.5] },
  }),
  "value-transforms/Params": () => ({
    buffer: encodeValueParams({
      shape: [1, 2, 3], voxels: 4, batch: 5, sampleBase: 6, rowWidth: 7, stage: 8, totalBatch: 9, srcOffset: 10, dstOffset: 11,
      seed: 12, blocks: 13, items: 14,
    }),
    base: 0,
    expected: {
      shape: [1, 2, 3], voxels: [4], batch: [5], sampleBase: [6], rowWidth: [7], stage: [8], totalBatch: [9], srcOffset: [10],
      dstOffset: [11], seed: [12], blocks: [13], items: [14], _pad0: [0], _pad1: [0],
    },
  }),
  // Op record 1 of a table: a noise op (kind 1, its stream key, mean and std).
  "value-transforms/Op": () => {
    const buffer = new ArrayBuffer(64);
    writeOp(new DataView(buffer), 1, { kind: "gaussianNoise", mean: 0.5, std: 2, key: 77 });
    return { buffer, base: 32, expected: { head: [1, 77, 0, 0], args: [0.5, 2, 0, 0] } };
  },
  // Only the shader writes Partial (reducePartial) and reads it (reduceFinal); the host sizes the
  // partial sums by its layout (PARTIAL_BYTES per block), so this writes one by name.
  "value-transforms/Partial": () => {
    expect(PARTIAL_BYTES).toBe(valueTransformsLayouts.Partial.size);
    const buffer = new ArrayBuffer(2 * PARTIAL_BYTES);
    writeStruct(valueTransformsLayouts.Partial, new DataView(buffer), PARTIAL_BYTES, { sum: 1.5, count: 7 });
    return { buffer, base: PARTIAL_BYTES, expected: { sum: [1.5], count: [7] } };
  },
  // The blur table of one sample blurring y (sigma 1, radius 4) and x (sigma 2, radius 8): the
  // kernels follow the identity weight at offset 0.
  "value-transforms/BlurSample": () => {
    const plan = planSample([{ kind: "gaussianBlur", sigma: [0, 1, 2] }], "ops[0]");
    const { blurTable } = buildTables([plan], 1, 1);
    return { buffer: blurTable, base: 0, expected: { offsets: [0, 1, 10, 0], radii: [0, 4, 8, 0] } };
  },
};

/**
 * Structs whose host code still counts offsets by hand; each leaves this list when its encoder
 * writes fields by name and gains an entry in ENCODERS. The list only shrinks.
 */
const PENDING = new Set<string>([
]);

const root = fileURLToPath(new URL("..", import.meta.url));
const kernelsDir = `${root}src/kernels`;

const folders = readdirSync(kernelsDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
/** Folders of src/kernels that hold a contract shared by several kernels and no shader. */
const CONTRACT_ONLY = ["chunks"];
const kernels = folders.filter((k) => !CONTRACT_ONLY.includes(k));

test("every kernel folder holds its WGSL and generated module", () => {
  expect(folders).toEqual(["cellpose", "chunks", "custom-op", "distance", "labels", "resample", "value-transforms"]);
  for (const k of CONTRACT_ONLY) expect(readdirSync(`${kernelsDir}/${k}`).filter((f) => f.endsWith(".wgsl")), k).toEqual([]);
  for (const k of kernels) {
    const files = readdirSync(`${kernelsDir}/${k}`);
    expect(files, k).toContain(`${k}.wgsl`);
    expect(files, k).toContain("shader.gen.ts");
  }
});

test("the generated modules are current: `npm run gen:shaders --check`", () => {
  let output = "";
  let status = 0;
  try {
    execFileSync(process.execPath, ["scripts/gen-shaders.mjs", "--check"], { cwd: root, encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    const failure = e as { status?: number; stderr?: string };
    status = failure.status ?? 1;
    output = failure.stderr ?? "";
  }
  expect(output, "run `npm run gen:shaders` and commit src/kernels/*/shader.gen.ts").toBe("");
  expect(status).toBe(0);
});

describe.each(kernels)("%s.wgsl", (kernel) => {
  const camel = kernel.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
  const source = readFileSync(`${kernelsDir}/${kernel}/${kernel}.wgsl`, "utf8");

  test("the generated WGSL is the file", async () => {
    const mod = (await import(`../src/kernels/${kernel}/shader.gen.ts`)) as Record<string, unknown>;
    expect(mod[`${camel}Wgsl`]).toBe(source);
  });

  test("every struct's generated layout matches the independent reflection", async () => {
    const mod = (await import(`../src/kernels/${kernel}/shader.gen.ts`)) as Record<string, unknown>;
    const layouts = mod[`${camel}Layouts`] as Record<string, StructLayout>;
    const names = structNames(source);
    expect(names.length, "structs in the shader").toBeGreaterThan(0);
    for (const name of names) {
      const mine = reflectStruct(source, name);
      const generated = layouts[name];
      if (mine === undefined) {
        expect(generated, `${name} is shader-internal and has no host layout`).toBeUndefined();
        continue;
      }
      expect(generated, `${name} has a generated layout`).toBeDefined();
      expect({ size: generated!.size, align: generated!.align }, name).toEqual({ size: mine.size, align: mine.align });
      expect(
        Object.entries(generated!.fields).map(([f, l]) => [f, l.offset, l.type, l.count]),
        `${name} fields`,
      ).toEqual(mine.fields.map((f) => [f.name, f.offset, f.scalar, f.count]));
    }
    expect(Object.keys(layouts).every((n) => names.includes(n)), "no layout without a struct").toBe(true);
  });

  test("every host-shareable struct is written by name by its host encoder", async () => {
    const mod = (await import(`../src/kernels/${kernel}/shader.gen.ts`)) as Record<string, unknown>;
    const layouts = mod[`${camel}Layouts`] as Record<string, StructLayout>;
    for (const [name, layout] of Object.entries(layouts)) {
      const key = `${kernel}/${name}`;
      const encode = ENCODERS[key];
      if (PENDING.has(key)) {
        expect(encode, `${key} has an encoder: remove it from PENDING`).toBeUndefined();
        continue;
      }
      expect(encode, `${key} needs an entry in ENCODERS`).toBeDefined();
      const { buffer, base, expected } = encode!();
      expect(Object.keys(expected).sort(), `${key}: every field checked`).toEqual(Object.keys(layout.fields).sort());
      for (const [field, l] of Object.entries(layout.fields)) {
        expect(readField(buffer, base, l), `${key}.${field}`).toEqual(expected[field]);
      }
    }
  });
});

test("PENDING names only structs that exist", async () => {
  const all: string[] = [];
  for (const k of kernels) {
    const source = readFileSync(`${kernelsDir}/${k}/${k}.wgsl`, "utf8");
    for (const n of structNames(source)) if (reflectStruct(source, n) !== undefined) all.push(`${k}/${n}`);
  }
  expect([...PENDING].filter((p) => !all.includes(p))).toEqual([]);
});

/** The value of a WGSL `const` of scalar type: a decimal or hex integer (`8u`), a float or a hex float. */
function wgslConst(source: string, name: string): number {
  const m = new RegExp(`\\bconst\\s+${name}\\s*:\\s*\\w+\\s*=\\s*([^;]+);`).exec(source);
  if (m === null) throw new Error(`no const ${name}`);
  const text = m[1]!.trim();
  const hexFloat = /^0x([0-9a-f]+)\.([0-9a-f]*)p([+-]?\d+)f?$/i.exec(text);
  if (hexFloat !== null) {
    const [, whole, frac, exp] = hexFloat;
    return (parseInt(whole!, 16) + (frac ? parseInt(frac, 16) / 16 ** frac.length : 0)) * 2 ** Number(exp);
  }
  return Number(text.replace(/[uif]$/, ""));
}

const f32Bits = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0];

test("host constants that mirror a WGSL const agree with it", () => {
  const wgsl = (k: string) => readFileSync(`${kernelsDir}/${k}/${k}.wgsl`, "utf8");
  const cellpose = wgsl("cellpose");
  expect(ACC_WORDS).toBe(wgslConst(cellpose, "ACC_WORDS"));
  expect(SAMPLE_WORDS).toBe(wgslConst(cellpose, "SAMPLE_WORDS"));
  expect(f32Bits(INV7)).toBe(wgslConst(cellpose, "INV7"));
  expect(f32Bits(INV9)).toBe(wgslConst(cellpose, "INV9"));
  expect(f32Bits(MIN_NORMAL)).toBe(wgslConst(cellpose, "MIN_NORMAL"));
  expect(MAX_RELATED_CLASSES).toBe(32 * wgslConst(wgsl("labels"), "MAX_WORDS"));
  expect(FLOAT32_MAX).toBe(wgslConst(wgsl("distance"), "F32_MAX"));
});

test("the independent reflection follows WGSL's alignment rules", () => {
  const layout = reflectStruct("struct T { a: u32, b: vec3f, c: f32, d: vec2<i32>, e: vec4u, }", "T")!;
  expect(layout.fields.map((f) => f.offset)).toEqual([0, 16, 28, 32, 48]);
  expect(layout.size).toBe(64);
  expect(reflectStruct("struct B { a: u32, b: bool, }", "B")).toBeUndefined();
});

describe("resample.wgsl, as docs/architecture.md describes it", () => {
  test("its bindings are those of \"One resample dispatch\"", () => {
    const bindings = [...resampleWgsl.matchAll(/@group\((\d+)\)\s*@binding\((\d+)\)\s*var(<[^>]*>)?\s+\w+\s*:\s*([^;]+);/g)].map(
      (b) => `${b[1]}/${b[2]} ${(b[3] ?? "").replace(/\s/g, "")} ${b[4]!.trim()}`,
    );
    expect(bindings).toEqual([
      "0/0 <uniform> Params",
      "0/1 <storage,read> array<Sample>",
      "0/2 <storage,read> array<u32>",
      "0/3 <storage,read> array<u32>",
      "0/4 <storage,read_write> array<f32>",
      "0/5 <storage,read> array<f32>",
    ]);
    expect(resampleWgsl).toMatch(/@compute\s+@workgroup_size\(64\)\s*fn main\(/);
  });

  test("the host's struct sizes are the reflected ones, and linear is interp 0", () => {
    expect([PARAMS_BYTES, SAMPLE_BYTES]).toEqual([reflectStruct(resampleWgsl, "Params")!.size, reflectStruct(resampleWgsl, "Sample")!.size]);
    const params = { outShape: [1, 1, 1], batch: 1, chunkShape: [1, 1, 1], kind: "u8", volShape: [1, 1, 1], pad: 0, fill: 0, slotWords: 1, rowWidth: 64 } as const;
    const interp = reflectStruct(resampleWgsl, "Params")!.fields.find((f) => f.name === "interp")!;
    expect(readField(encodeParams({ ...params, interp: "linear" }), 0, interp)).toEqual([0]);
    expect(readField(encodeParams({ ...params, interp: "nearest" }), 0, interp)).toEqual([1]);
  });
});
