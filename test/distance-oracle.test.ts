// The CPU twin of the distance transforms (src/kernels/distance/twin.ts, through the value-op
// twin) against scipy.ndimage.distance_transform_edt with `sampling` = the voxel size, and the
// signed, clipped and tanh variants computed from it in numpy; plus Python cellmap-data's own
// formulas where ours agree with them. The GPU is compared with the twin in
// test/target-transforms.test.ts (and the Deno and Chromium suites).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drawValueOps } from "../src/augment/value-draw.ts";
import { parseValueTransforms } from "../src/augment/value-schema.ts";
import { decodeNpy, encodeNpy } from "../src/io/npy.ts";
import { applyValueOpsReference } from "../src/kernels/value-transforms/twin.ts";
import { PYTHON } from "./helpers/python.ts";
import { rng } from "./setup/value-transform-cases.ts";

type Shape = [number, number, number];

interface Case {
  name: string;
  /** The value-transform entry. */
  entry: object;
  shape: Shape;
  scale: Shape;
  /** Mask: fraction of 1s and of NaNs (the rest 0); "ones" / "zeros" for constant masks. */
  mask: { fg: number; nan?: number } | "ones" | "zeros";
  /** numpy expression of the expected values from mask `x` and `s` (the scale); `dist` is defined below. */
  oracle: string;
}

const DIST = "dist(x, s, False, None, None)";
const CASES: Case[] = [
  { name: "edt_iso", entry: { distance: {} }, shape: [7, 10, 12], scale: [1, 1, 1], mask: { fg: 0.6 }, oracle: DIST },
  { name: "edt_aniso", entry: { distance: {} }, shape: [6, 11, 9], scale: [40, 8, 8], mask: { fg: 0.7 }, oracle: DIST },
  { name: "edt_aniso_odd", entry: { distance: {} }, shape: [9, 5, 13], scale: [2.5, 1, 1.5], mask: { fg: 0.85 }, oracle: DIST },
  { name: "edt_sparse_background", entry: { distance: {} }, shape: [10, 12, 14], scale: [3, 2, 1], mask: { fg: 0.995 }, oracle: DIST },
  { name: "signed_aniso", entry: { signedDistance: {} }, shape: [6, 11, 9], scale: [40, 8, 8], mask: { fg: 0.3 }, oracle: "dist(x, s, True, None, None)" },
  { name: "signed_sparse", entry: { signedDistance: {} }, shape: [10, 12, 14], scale: [1, 1, 1], mask: { fg: 0.004 }, oracle: "dist(x, s, True, None, None)" },
  {
    name: "signed_clip_tanh",
    entry: { signedDistance: { clip: [-10, 16], tanhScale: 12 } },
    shape: [8, 8, 8],
    scale: [8, 4, 4],
    mask: { fg: 0.5 },
    oracle: "dist(x, s, True, (-10, 16), 12)",
  },
  { name: "edt_clip", entry: { distance: { clip: [0.5, 3] } }, shape: [7, 10, 12], scale: [1, 1, 1], mask: { fg: 0.8 }, oracle: "dist(x, s, False, (0.5, 3), None)" },
  { name: "edt_nan", entry: { distance: {} }, shape: [7, 10, 12], scale: [2, 1, 1], mask: { fg: 0.6, nan: 0.1 }, oracle: DIST },
  { name: "signed_nan", entry: { signedDistance: {} }, shape: [7, 10, 12], scale: [2, 1, 1], mask: { fg: 0.4, nan: 0.1 }, oracle: "dist(x, s, True, None, None)" },
  { name: "all_foreground", entry: { distance: {} }, shape: [4, 5, 6], scale: [1, 2, 3], mask: "ones", oracle: "np.full(x.shape, np.inf)" },
  { name: "all_foreground_clip", entry: { signedDistance: { clip: [-5, 5] } }, shape: [4, 5, 6], scale: [1, 2, 3], mask: "ones", oracle: "np.full(x.shape, 5.0)" },
  { name: "all_background", entry: { distance: {} }, shape: [4, 5, 6], scale: [1, 2, 3], mask: "zeros", oracle: "np.zeros(x.shape)" },
  { name: "all_background_signed", entry: { signedDistance: { tanhScale: 4 } }, shape: [4, 5, 6], scale: [1, 2, 3], mask: "zeros", oracle: "np.full(x.shape, -1.0)" },
  // Python cellmap-data, verbatim formulas (voxel units: its transforms take no sampling).
  {
    name: "python_distance_with_nan",
    entry: { distance: {} },
    shape: [7, 10, 12],
    scale: [1, 1, 1],
    mask: { fg: 0.7, nan: 0.05 },
    oracle: "(lambda d: np.where(np.isnan(x), np.nan, d))(ndi.distance_transform_edt(x))",
  },
  {
    name: "python_signed",
    entry: { signedDistance: { clip: [-3, 3] } },
    shape: [7, 10, 12],
    scale: [1, 1, 1],
    mask: { fg: 0.5 },
    oracle: "np.clip(ndi.distance_transform_edt(x), -3, 3) - np.clip(ndi.distance_transform_edt(np.logical_not(x)), -3, 3)",
  },
];

const ORACLE = [
  "import sys, json, numpy as np, scipy.ndimage as ndi",
  "def to_sites(sites, s):",
  "    if not sites.any(): return np.full(sites.shape, np.inf)",
  "    return ndi.distance_transform_edt(~sites, sampling=s)",
  "def dist(x, s, signed, clip, tanh):",
  "    nan = np.isnan(x); fg = (x != 0) & ~nan; bg = x == 0",
  "    out = np.where(fg, to_sites(bg, s), -to_sites(fg, s) if signed else 0.0)",
  "    if clip is not None: out = np.clip(out, clip[0], clip[1])",
  "    if tanh is not None: out = np.tanh(out / tanh)",
  "    out[nan] = np.nan",
  "    return out",
  "d = sys.argv[1]",
  "for c in json.loads(open(d + '/cases.json').read()):",
  "    x = np.load(f\"{d}/{c['name']}.in.npy\").astype(np.float64)",
  "    y = eval(c['oracle'], {'np': np, 'ndi': ndi, 'x': x, 's': tuple(c['scale']), 'dist': dist})",
  "    np.save(f\"{d}/{c['name']}.out.npy\", np.asarray(y, dtype=np.float64))",
].join("\n");

function maskFor(c: Case, seed: number): Float32Array<ArrayBuffer> {
  const n = c.shape[0] * c.shape[1] * c.shape[2];
  if (c.mask === "ones") return new Float32Array(n).fill(1);
  if (c.mask === "zeros") return new Float32Array(n);
  const { fg, nan = 0 } = c.mask;
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => {
    const u = r.next();
    return u < nan ? NaN : u < nan + fg ? 1 : 0;
  });
}

const hasScipy = spawnSync(PYTHON, ["-c", "import numpy, scipy.ndimage"], { stdio: "ignore" }).status === 0;

describe("the distance twin matches scipy's distance_transform_edt", () => {
  let dir = "";
  beforeAll(() => {
    if (!hasScipy) throw new Error(`${PYTHON} lacks numpy/scipy: apt-get install python3-scipy (or set CELLMAP_PYTHON)`);
    dir = mkdtempSync(join(tmpdir(), "cellmap-distance-oracle-"));
    CASES.forEach((c, i) => writeFileSync(join(dir, `${c.name}.in.npy`), encodeNpy(maskFor(c, 300 + i), [...c.shape])));
    writeFileSync(join(dir, "cases.json"), JSON.stringify(CASES.map((c) => ({ name: c.name, oracle: c.oracle, scale: c.scale }))));
    const run = spawnSync(PYTHON, ["-c", ORACLE, dir], { encoding: "utf8" });
    if (run.status !== 0) throw new Error(`oracle script failed: ${run.stderr}`);
  });
  afterAll(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it.each(CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const x = decodeNpy(new Uint8Array(readFileSync(join(dir, `${c.name}.in.npy`)))).data as Float32Array;
    const want = decodeNpy(new Uint8Array(readFileSync(join(dir, `${c.name}.out.npy`)))).data as Float64Array;
    const ops = drawValueOps(parseValueTransforms([c.entry], "test"), rng(0));
    const got = applyValueOpsReference(Float32Array.from(x), { batch: 1, shape: c.shape, scale: c.scale, ops: [ops], seed: 0 });
    let finite = 0;
    for (let i = 0; i < want.length; i++) {
      const w = want[i]!;
      const g = got[i]!;
      if (!Number.isFinite(w)) {
        expect(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)), `voxel ${i}: ${g} vs ${w}`).toBe(true);
        continue;
      }
      finite++;
      expect(Math.abs(g - w), `voxel ${i}: ${g} vs ${w}`).toBeLessThanOrEqual(1e-6 + 1e-6 * Math.abs(w));
    }
    if (typeof c.mask === "object") expect(finite).toBeGreaterThan(want.length / 2);
  });
});
