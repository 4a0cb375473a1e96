// The byte layout written by encodeParams / encodeSampleStructs, checked against the structs
// reflected from src/kernels/resample/resample.wgsl with WGSL's alignment rules, instead of hand-counted offsets.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { resampleWgsl } from "../src/kernels/resample/shader.gen.ts";
import {
  encodeParams,
  encodeSampleStructs,
  PARAMS_BYTES,
  SAMPLE_BYTES,
} from "../src/kernels/resample/gpu-encode.ts";
import { type ResampleParams, type ResampleSample } from "../src/kernels/resample/contract.ts";
import { storageKindCode } from "../src/kernels/chunks/contract.ts";
import { readField as read, reflectStruct as reflect } from "./setup/wgsl-layout.ts";

/** The layout of a struct the host shares. */
function reflectStruct(wgsl: string, name: string) {
  const layout = reflect(wgsl, name);
  if (layout === undefined) throw new Error(`${name} is not host-shareable`);
  return layout;
}

describe("resample.wgsl layout", () => {
  test("the generated module is current", () => {
    const source = readFileSync(new URL("../src/kernels/resample/resample.wgsl", import.meta.url), "utf8");
    expect(resampleWgsl, "run `npm run gen:shaders`").toBe(source);
  });

  test("bindings are those of docs/architecture.md", () => {
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

  test("encodeParams writes every Params field at its WGSL offset", () => {
    const layout = reflectStruct(resampleWgsl, "Params");
    expect(layout.size).toBe(PARAMS_BYTES);
    const params: ResampleParams & { rowWidth: number } = {
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
    };
    const expected: Record<string, number[]> = {
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
    };
    const buffer = encodeParams(params);
    expect(buffer.byteLength).toBe(layout.size);
    expect(layout.fields.map((f) => f.name)).toEqual(Object.keys(expected));
    for (const field of layout.fields) expect(read(buffer, 0, field), field.name).toEqual(expected[field.name]);
    expect(read(encodeParams({ ...params, interp: "linear" }), 0, layout.fields.find((f) => f.name === "interp")!)).toEqual([0]);
  });

  test("encodeSampleStructs writes every Sample field at its WGSL offset and stride", () => {
    const layout = reflectStruct(resampleWgsl, "Sample");
    expect(layout.size).toBe(SAMPLE_BYTES);
    const samples: ResampleSample[] = [0, 1].map((k) => ({
      matrix: Float64Array.from({ length: 12 }, (_, i) => (i + 1) * (k === 0 ? 0.5 : -0.25)),
      origin: [1000 + k, -2000 - k, 99_999],
      chunkLo: [3 + k, -4, 5],
      chunkDims: [6, 7 + k, 8],
      tableOffset: 123 + k,
    }));
    const buffer = encodeSampleStructs(samples);
    expect(buffer.byteLength).toBe(2 * layout.stride);
    expect(layout.fields.map((f) => f.name)).toEqual(["m0", "m1", "m2", "origin", "chunkLo", "chunkDims", "dispStep", "dispStart", "dispDims"]);
    samples.forEach((s, k) => {
      const got = Object.fromEntries(layout.fields.map((f) => [f.name, read(buffer, k * layout.stride, f)]));
      const m = Array.from(s.matrix, Math.fround);
      expect(got["m0"]).toEqual(m.slice(0, 4));
      expect(got["m1"]).toEqual(m.slice(4, 8));
      expect(got["m2"]).toEqual(m.slice(8, 12));
      expect(got["origin"]!.slice(0, 3)).toEqual([...s.origin]);
      expect(got["chunkLo"]).toEqual([...s.chunkLo, s.tableOffset]);
      expect(got["chunkDims"]!.slice(0, 3)).toEqual([...s.chunkDims]);
    });
  });

  test("the reflection follows WGSL alignment rules", () => {
    const layout = reflectStruct("struct T { a: u32, b: vec3f, c: f32, d: vec2<i32>, e: vec4u, }", "T");
    expect(layout.fields.map((f) => f.offset)).toEqual([0, 16, 28, 32, 48]);
    expect(layout.size).toBe(64);
  });
});
