// Every struct of every kernel's WGSL (src/kernels/<kernel>/<kernel>.wgsl): the layout generated
// into shader.gen.ts (reflected by wgsl_reflect in scripts/gen-shaders.mjs) agrees with an
// independent reflection (test/setup/wgsl-layout.ts), shader-internal structs have no host
// layout, and the generated modules are current.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import type { StructLayout } from "../src/kernels/layout.ts";
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
const ENCODERS: Record<string, () => Encoded> = {};

/**
 * Structs whose host code still counts offsets by hand; each leaves this list when its encoder
 * writes fields by name and gains an entry in ENCODERS. The list only shrinks.
 */
const PENDING = new Set([
  "cellpose/Params",
  "cellpose/Step",
  "custom-op/CellmapParams",
  "custom-op/CellmapSample",
  "distance/Params",
  "distance/DistSample",
  "labels/Params",
  "resample/Params",
  "resample/Sample",
  "value-transforms/Params",
  "value-transforms/Op",
  "value-transforms/Partial",
  "value-transforms/BlurSample",
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

test("the independent reflection follows WGSL's alignment rules", () => {
  const layout = reflectStruct("struct T { a: u32, b: vec3f, c: f32, d: vec2<i32>, e: vec4u, }", "T")!;
  expect(layout.fields.map((f) => f.offset)).toEqual([0, 16, 28, 32, 48]);
  expect(layout.size).toBe(64);
  expect(reflectStruct("struct B { a: u32, b: bool, }", "B")).toBeUndefined();
});
