// The CPU twin of the value transforms (src/kernels/value-transforms/twin.ts) against independent
// numpy/scipy oracles: normalize, gamma, contrast, gaussian blur (scipy.ndimage.gaussian_filter,
// mode "reflect", truncate 4), binarize, nanToNum. The GPU is compared with the twin in
// test/value-transforms-twin.test.ts (and the Deno and Chromium suites).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeNpy, encodeNpy } from "../src/io/npy.ts";
import { applyValueOpsReference } from "../src/kernels/value-transforms/twin.ts";
import { gaussianKernel } from "../src/kernels/value-transforms/contract.ts";
import { drawValueOps } from "../src/augment/value-draw.ts";
import { parseValueTransforms } from "../src/augment/value-schema.ts";
import type { ValueOp } from "../src/kernels/value-transforms/contract.ts";
import { PYTHON } from "./helpers/python.ts";
import { randomData, rng } from "./setup/value-transform-cases.ts";

const SHAPE = [7, 10, 12] as const;
const VOXELS = SHAPE[0] * SHAPE[1] * SHAPE[2];

// Each case: the ops for the twin, and the numpy expression of the oracle on float64 `x`.
const CASES: Array<{ name: string; ops: ValueOp[]; oracle: string; specials?: boolean; lo?: number; hi?: number }> = [
  { name: "normalize_range", ops: spec({ normalize: { range: [20, 220] } }), oracle: "(x - 20) / (220 - 20)" },
  { name: "normalize_default", ops: spec({ normalize: {} }), oracle: "x / 255" },
  { name: "normalize_meanstd", ops: spec({ normalize: { mean: 100, std: 40 } }), oracle: "(x - 100) / 40" },
  { name: "gamma", ops: [{ kind: "gamma", gamma: 0.6 }], oracle: "np.sign(x) * np.abs(x) ** 0.6", lo: -2, hi: 3 },
  {
    name: "contrast",
    ops: [{ kind: "contrast", factor: 1.7 }],
    oracle: "(lambda m: m + 1.7 * (x - m))(x[np.isfinite(x)].mean())",
    specials: true,
  },
  { name: "blur_iso", ops: [{ kind: "gaussianBlur", sigma: [1.3, 1.3, 1.3] }], oracle: "ndi.gaussian_filter(x, 1.3, mode='reflect', truncate=4.0)" },
  {
    name: "blur_aniso",
    ops: [{ kind: "gaussianBlur", sigma: [0, 0.7, 2.2] }],
    oracle: "ndi.gaussian_filter(x, (0, 0.7, 2.2), mode='reflect', truncate=4.0)",
  },
  {
    name: "blur_wide",
    ops: [{ kind: "gaussianBlur", sigma: [5, 4, 3.5] }],
    oracle: "ndi.gaussian_filter(x, (5, 4, 3.5), mode='reflect', truncate=4.0)",
  },
  {
    name: "binarize",
    ops: [{ kind: "binarize", threshold: 0.25 }],
    oracle: "np.where(np.isnan(x), np.nan, (x > np.float32(0.25)).astype(np.float64))",
    specials: true,
    lo: -1,
    hi: 1,
  },
  {
    name: "nan_to_num_default",
    ops: spec({ nanToNum: {} }),
    oracle: "np.nan_to_num(x.astype(np.float32)).astype(np.float64)",
    specials: true,
  },
  {
    name: "nan_to_num_values",
    ops: spec({ nanToNum: { nan: -1, posinf: 9, neginf: -9 } }),
    oracle: "np.nan_to_num(x, nan=-1, posinf=9, neginf=-9)",
    specials: true,
  },
  {
    name: "chain",
    ops: [
      { kind: "normalize", scale: 1 / 255, offset: 0 },
      { kind: "gaussianBlur", sigma: [1, 1, 1] },
      { kind: "contrast", factor: 0.5 },
      { kind: "gamma", gamma: 1.3 },
    ],
    oracle:
      "(lambda b: (lambda c: np.sign(c) * np.abs(c) ** 1.3)(b.mean() + 0.5 * (b - b.mean())))(ndi.gaussian_filter(x / 255, 1, mode='reflect', truncate=4.0))",
  },
];

function spec(entry: object): ValueOp[] {
  return drawValueOps(parseValueTransforms([entry], "test"), rng(0));
}

const hasScipy = spawnSync(PYTHON, ["-c", "import numpy, scipy.ndimage"], { stdio: "ignore" }).status === 0;

describe("the CPU twin matches numpy/scipy", () => {
  let dir = "";
  beforeAll(() => {
    if (!hasScipy) {
      throw new Error(`${PYTHON} lacks numpy/scipy: apt-get install python3-scipy (or set CELLMAP_PYTHON)`);
    }
    dir = mkdtempSync(join(tmpdir(), "cellmap-value-oracle-"));
    const script = [
      "import sys, json, numpy as np, scipy.ndimage as ndi",
      "d = sys.argv[1]",
      "for c in json.loads(open(d + '/cases.json').read()):",
      "    x = np.load(f\"{d}/{c['name']}.in.npy\").astype(np.float64)",
      "    y = eval(c['oracle'], {'np': np, 'ndi': ndi, 'x': x})",
      "    np.save(f\"{d}/{c['name']}.out.npy\", np.asarray(y, dtype=np.float64))",
    ].join("\n");
    CASES.forEach((c, i) => {
      const x = randomData(100 + i, VOXELS, c.lo ?? 0, c.hi ?? 255, c.specials === true ? 0.05 : 0);
      writeFileSync(join(dir, `${c.name}.in.npy`), encodeNpy(x, [...SHAPE]));
    });
    writeFileSync(join(dir, "cases.json"), JSON.stringify(CASES.map((c) => ({ name: c.name, oracle: c.oracle }))));
    const run = spawnSync(PYTHON, ["-c", script, dir], { encoding: "utf8" });
    if (run.status !== 0) throw new Error(`oracle script failed: ${run.stderr}`);
  });
  afterAll(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it.each(CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const x = decodeNpy(new Uint8Array(readFileSync(join(dir, `${c.name}.in.npy`)))).data as Float32Array;
    const want = decodeNpy(new Uint8Array(readFileSync(join(dir, `${c.name}.out.npy`)))).data as Float64Array;
    const got = applyValueOpsReference(Float32Array.from(x), { batch: 1, shape: [...SHAPE], ops: [c.ops], seed: 0 });
    let worst = 0;
    for (let i = 0; i < VOXELS; i++) {
      const w = Math.fround(want[i]!);
      const g = got[i]!;
      if (!Number.isFinite(w)) {
        expect(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)), `voxel ${i}: ${g} vs ${w}`).toBe(true);
        continue;
      }
      const err = Math.abs(g - want[i]!) / (1e-6 + 1e-5 * Math.abs(want[i]!));
      worst = Math.max(worst, err);
      expect(err, `voxel ${i}: ${g} vs ${want[i]}`).toBeLessThanOrEqual(1);
    }
  });
});

describe("gaussianKernel", () => {
  it("has scipy's radius and sums to 1", () => {
    for (const [sigma, radius] of [[0, 0], [0.1, 0], [0.2, 1], [1, 4], [1.3, 5], [2.5, 10]] as const) {
      const k = gaussianKernel(sigma);
      expect(k.length).toBe(2 * radius + 1);
      expect(k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
  });
});
