import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeNpy, encodeNpy, type NpyTypedArray } from "../src/io/npy.ts";
import { isCellMapError } from "../src/errors.ts";

const PYTHON = process.env.CELLMAP_PYTHON ?? "/usr/bin/python3";
const hasNumpy = spawnSync(PYTHON, ["-c", "import numpy"], { stdio: "ignore" }).status === 0;

const samples: Array<[string, NpyTypedArray, number[]]> = [
  ["<f4", new Float32Array([1.5, -2, NaN, Infinity, -0, 3.25e-38]), [2, 3]],
  ["<f8", new Float64Array([Math.PI, -1e300, 5e-324, NaN]), [4]],
  ["|u1", new Uint8Array([0, 1, 127, 128, 255, 7, 9, 11]), [2, 2, 2]],
  ["|i1", new Int8Array([-128, 127, 0]), [3, 1]],
  ["<u2", new Uint16Array([0, 65535, 1234]), [1, 3]],
  ["<i2", new Int16Array([-32768, 32767]), [2]],
  ["<u4", new Uint32Array([0, 4294967295, 42, 7]), [2, 1, 2]],
  ["<i4", new Int32Array([-2147483648, 2147483647, 0]), [3]],
  ["<f4", new Float32Array([42]), []],
  ["<f4", new Float32Array(0), [0, 3]],
];

function expectArgumentError(f: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(isCellMapError(caught, "argument")).toBe(true);
  expect((caught as Error).message).toMatch(pattern);
}

function header(dict: string, version = 1): Uint8Array {
  const prefix = version === 1 ? 10 : 12;
  const len = Math.ceil((prefix + dict.length + 1) / 64) * 64 - prefix;
  const out = new Uint8Array(prefix + len);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, len, true);
  else view.setUint32(8, len, true);
  for (let i = 0; i < dict.length; i++) out[prefix + i] = dict.charCodeAt(i);
  out.fill(0x20, prefix + dict.length, prefix + len - 1);
  out[prefix + len - 1] = 0x0a;
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

describe("npy", () => {
  it.each(samples.map((s, i) => [i, ...s] as const))("round trips case %i (%s)", (_i, dtype, data, shape) => {
    const bytes = encodeNpy(data, shape);
    const dataStart = bytes.length - data.byteLength;
    expect(dataStart % 64).toBe(0);
    expect(bytes[dataStart - 1]).toBe(0x0a);
    const back = decodeNpy(bytes);
    expect(back.dtype).toBe(dtype);
    expect(back.shape).toEqual(shape);
    expect(back.data.constructor).toBe(data.constructor);
    expect(Array.from(back.data)).toEqual(Array.from(data));
  });

  it("round trips bool arrays and decodes from an unaligned view", () => {
    const bytes = encodeNpy(new Uint8Array([1, 0, 1]), [3], { bool: true });
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const back = decodeNpy(shifted.subarray(3));
    expect(back.dtype).toBe("|b1");
    expect(Array.from(back.data)).toEqual([1, 0, 1]);
    const f = encodeNpy(new Float32Array([1, 2, 3]), [3]);
    const g = new Uint8Array(f.length + 1);
    g.set(f, 1);
    expect(Array.from(decodeNpy(g.subarray(1)).data)).toEqual([1, 2, 3]);
  });

  it("reads version 2.0 headers and other spellings numpy accepts", () => {
    const data = new Uint8Array(new Float32Array([1, 2]).buffer);
    const v2 = decodeNpy(concat(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 2), data));
    expect(Array.from(v2.data)).toEqual([1, 2]);
    const reordered = decodeNpy(concat(header(`{"shape": (1, 2), "fortran_order": False, "descr": "<f4"}`), data));
    expect(reordered.shape).toEqual([1, 2]);
    const u1 = decodeNpy(concat(header("{'descr': '<u1', 'fortran_order': False, 'shape': (2,), }"), new Uint8Array([3, 4])));
    expect(u1.dtype).toBe("|u1");
  });

  it("rejects malformed input with ArgumentError", () => {
    expectArgumentError(() => decodeNpy(new Uint8Array([1, 2, 3])), /magic/);
    expectArgumentError(() => decodeNpy(new TextEncoder().encode("not an npy file at all")), /magic/);
    const four = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
    expectArgumentError(
      () => decodeNpy(concat(header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }"), four)),
      /Fortran order/,
    );
    expectArgumentError(
      () => decodeNpy(concat(header("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }"), four)),
      /big-endian/,
    );
    expectArgumentError(
      () => decodeNpy(concat(header("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }"), four)),
      /unsupported dtype/,
    );
    expectArgumentError(
      () => decodeNpy(concat(header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }"), four)),
      /descr/,
    );
    expectArgumentError(
      () => decodeNpy(concat(header("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }"), four)),
      /needs 24/,
    );
    expectArgumentError(
      () => decodeNpy(concat(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, }"), four)),
      /malformed/,
    );
    expectArgumentError(() => decodeNpy(concat(header("{'descr': '<f4', 'shape': (4,)}"), four)), /fortran_order/);
    const bad = encodeNpy(new Float32Array(4), [4]);
    bad[6] = 9;
    expectArgumentError(() => decodeNpy(bad), /version 9/);
    const truncated = encodeNpy(new Float32Array(4), [4]).subarray(0, 40);
    expectArgumentError(() => decodeNpy(truncated), /truncated/);
  });

  it("rejects bad encode arguments with ArgumentError", () => {
    expectArgumentError(() => encodeNpy(new Float32Array(5), [2, 3]), /5 elements/);
    expectArgumentError(() => encodeNpy(new Float32Array(1), [-1]), /shape/);
    expectArgumentError(() => encodeNpy(new Uint8Array([2]), [1], { bool: true }), /0 and 1/);
    expectArgumentError(() => encodeNpy([1, 2] as unknown as Float32Array, [2]), /must be a Float32Array/);
  });
});

describe.skipIf(!hasNumpy)("npy against numpy", () => {
  const dir = mkdtempSync(join(tmpdir(), "npy-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("numpy reads what encodeNpy writes", () => {
    const files: string[] = [];
    samples.forEach(([, data, shape], i) => {
      const f = join(dir, `ts${i}.npy`);
      writeFileSync(f, encodeNpy(data, shape));
      files.push(f);
    });
    const script = [
      "import json, sys, numpy as np",
      "out = []",
      "for f in sys.argv[1:]:",
      "    a = np.load(f, allow_pickle=False)",
      "    vals = [None if (isinstance(v, float) and v != v) else v for v in a.ravel().tolist()]",
      "    out.append({'descr': a.dtype.str, 'shape': list(a.shape), 'c': bool(a.flags.c_contiguous), 'values': [repr(v) if isinstance(v, float) else v for v in vals]})",
      "print(json.dumps(out))",
    ].join("\n");
    const result = JSON.parse(execFileSync(PYTHON, ["-c", script, ...files], { encoding: "utf8" })) as Array<{
      descr: string;
      shape: number[];
      c: boolean;
      values: Array<number | string | null>;
    }>;
    samples.forEach(([dtype, data, shape], i) => {
      const r = result[i]!;
      expect(r.descr).toBe(dtype);
      expect(r.shape).toEqual(shape);
      expect(r.c).toBe(true);
      const expected = Array.from(data as ArrayLike<number>, (v) => (Number.isNaN(v) ? null : v));
      const got = r.values.map((v) => (typeof v === "string" ? pyFloat(v) : v));
      expect(got).toEqual(expected);
    });
  });

  it("decodeNpy reads what numpy writes", () => {
    const script = [
      "import numpy as np, sys",
      "d = sys.argv[1]",
      "np.save(d + '/f4.npy', (np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 5.5) / 3)",
      "np.save(d + '/f8.npy', np.array([[np.pi, np.nan], [-np.inf, 1e-310]]))",
      "np.save(d + '/u1.npy', np.arange(256, dtype=np.uint8).reshape(16, 16))",
      "np.save(d + '/u2.npy', np.array([0, 1, 65535], dtype=np.uint16))",
      "np.save(d + '/i4.npy', np.array([[-7], [2**31 - 1]], dtype=np.int32))",
      "np.save(d + '/u4.npy', np.array([2**32 - 1, 5], dtype=np.uint32))",
      "np.save(d + '/b1.npy', np.array([[True, False, True]]))",
      "np.save(d + '/scalar.npy', np.float32(2.5))",
      "np.save(d + '/fortran.npy', np.asfortranarray(np.ones((2, 3), np.float32)))",
      "np.save(d + '/big.npy', np.ones(3, '>f4'))",
      "np.save(d + '/t.npy', np.arange(6, dtype=np.float32).reshape(2, 3).T)",
    ].join("\n");
    execFileSync(PYTHON, ["-c", script, dir]);
    const load = (name: string) => decodeNpy(new Uint8Array(readFileSync(join(dir, name))));
    const f4 = load("f4.npy");
    expect(f4.dtype).toBe("<f4");
    expect(f4.shape).toEqual([2, 3, 4]);
    expect(f4.data[23]).toBe(Math.fround((23 - 5.5) / 3));
    const f8 = load("f8.npy");
    expect(f8.shape).toEqual([2, 2]);
    expect(f8.data[0]).toBe(Math.PI);
    expect(Number.isNaN(f8.data[1])).toBe(true);
    expect(f8.data[2]).toBe(-Infinity);
    expect(f8.data[3]).toBe(1e-310);
    const u1 = load("u1.npy");
    expect(u1.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(u1.data)).toEqual(Array.from({ length: 256 }, (_, i) => i));
    expect(Array.from(load("u2.npy").data)).toEqual([0, 1, 65535]);
    expect(Array.from(load("i4.npy").data)).toEqual([-7, 2 ** 31 - 1]);
    expect(Array.from(load("u4.npy").data)).toEqual([2 ** 32 - 1, 5]);
    const b1 = load("b1.npy");
    expect(b1.dtype).toBe("|b1");
    expect(b1.shape).toEqual([1, 3]);
    expect(Array.from(b1.data)).toEqual([1, 0, 1]);
    const scalar = load("scalar.npy");
    expect(scalar.shape).toEqual([]);
    expect(Array.from(scalar.data)).toEqual([2.5]);
    expectArgumentError(() => load("fortran.npy"), /Fortran/);
    expectArgumentError(() => load("big.npy"), /big-endian/);
    // numpy writes a transposed C array as Fortran order.
    expectArgumentError(() => load("t.npy"), /Fortran/);
  });
});

function pyFloat(s: string): number {
  if (s === "nan") return NaN;
  if (s === "inf") return Infinity;
  if (s === "-inf") return -Infinity;
  return Number(s);
}
