// The CPU twin of the cellpose flows (src/kernels/cellpose/twin.ts) against an independent numpy
// implementation of cellpose's masks_to_flows_gpu_3d (float64): centers as the object voxel nearest
// to the mean position, heat diffusion with the 7-point mean restricted to the object, normalized
// central differences; and of cellpose's 2D masks_to_flows_gpu: the 3x3 (9-point) mean, 2 * extent
// iterations, flows (y, x). The GPU is compared with the twin by the cellpose cases
// (test/setup/cellpose-cases.ts) in every runtime.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeNpy, encodeNpy } from "../src/io/npy.ts";
import type { CellposeMode } from "../src/kernels/cellpose/contract.ts";
import { cellposeFlowsReference } from "../src/kernels/cellpose/twin.ts";
import { PYTHON } from "./helpers/python.ts";

type Shape = [number, number, number] | [number, number];

// The oracle, written from cellpose's definition. `masks`: 0 background, ids 1..N.
const ORACLE = String.raw`
import sys, json, numpy as np, scipy.ndimage as ndi

def cellpose_niter(masks):
    ext = [sum(s.stop - s.start + 1 for s in sl) for sl in ndi.find_objects(masks) if sl is not None]
    return (6 if masks.ndim == 3 else 2) * max(ext)

# cellpose's 2D stencil: the pixel, then (dy, dx) in this order; the mean is over all 9.
STENCIL_2D = [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)]

def masks_to_flows_2d(masks, n_iter, mask_gradient):
    mp = np.pad(masks, 1)
    y, x = np.nonzero(mp)
    ny = np.stack([y + dy for dy, _ in STENCIL_2D])
    nx = np.stack([x + dx for _, dx in STENCIL_2D])
    centers = []
    for i, sl in enumerate(ndi.find_objects(masks)):
        if sl is None:
            continue
        yi, xi = np.nonzero(masks[sl] == i + 1)
        k = np.argmin((yi - yi.mean()) ** 2 + (xi - xi.mean()) ** 2)
        centers.append((yi[k] + sl[0].start + 1, xi[k] + sl[1].start + 1))
    cy, cx = np.array(centers).T
    same = mp[ny, nx] == mp[ny[0], nx[0]]
    T = np.zeros(mp.shape)
    for _ in range(n_iter):
        T[cy, cx] += 1
        T[ny[0], nx[0]] = (T[ny, nx] * same).mean(axis=0)
    g = T[ny[1:5], nx[1:5]]  # y - 1, y + 1, x - 1, x + 1
    if mask_gradient:
        g = g * same[1:5]
    mu = np.stack([g[1] - g[0], g[3] - g[2]])
    raw = np.sqrt((mu ** 2).sum(axis=0))
    mu = mu / (1e-60 + raw)
    flows = np.zeros((2,) + masks.shape)
    flows[:, y - 1, x - 1] = mu
    weak = np.zeros(masks.shape, dtype=np.float64)
    weak[y - 1, x - 1] = raw <= 1e-6 * T[y, x]
    return flows, weak

def masks_to_flows(masks, n_iter, mask_gradient):
    if masks.ndim == 2:
        return masks_to_flows_2d(masks, n_iter, mask_gradient)
    mp = np.pad(masks, 1)
    z, y, x = np.nonzero(mp)
    nz = np.stack([z, z + 1, z - 1, z, z, z, z])
    ny = np.stack([y, y, y, y + 1, y - 1, y, y])
    nx = np.stack([x, x, x, x, x, x + 1, x - 1])
    centers = []
    for i, sl in enumerate(ndi.find_objects(masks)):
        if sl is None:
            continue
        zi, yi, xi = np.nonzero(masks[sl] == i + 1)
        d = (zi - zi.mean()) ** 2 + (yi - yi.mean()) ** 2 + (xi - xi.mean()) ** 2
        k = np.argmin(d)
        centers.append((zi[k] + sl[0].start + 1, yi[k] + sl[1].start + 1, xi[k] + sl[2].start + 1))
    cz, cy, cx = np.array(centers).T
    same = mp[nz, ny, nx] == mp[nz[0], ny[0], nx[0]]
    T = np.zeros(mp.shape)
    for _ in range(n_iter):
        T[cz, cy, cx] += 1
        T[nz[0], ny[0], nx[0]] = (T[nz, ny, nx] * same).mean(axis=0)
    g = T[nz[1:], ny[1:], nx[1:]]
    if mask_gradient:
        g = g * same[1:]
    mu = np.stack([g[0] - g[1], g[2] - g[3], g[4] - g[5]])
    raw = np.sqrt((mu ** 2).sum(axis=0))
    mu = mu / (1e-60 + raw)
    flows = np.zeros((3,) + masks.shape)
    flows[:, z - 1, y - 1, x - 1] = mu
    # Voxels whose gradient cancels (the center, symmetric saddles): direction undefined.
    weak = np.zeros(masks.shape, dtype=np.float64)
    weak[z - 1, y - 1, x - 1] = raw <= 1e-6 * T[z, y, x]
    return flows, weak

d = sys.argv[1]
out = {}
for c in json.loads(open(d + '/cases.json').read()):
    lab = np.load(f"{d}/{c['name']}.in.npy").astype(np.float64)
    fg = np.nan_to_num(lab, nan=0.0) > 0
    if c['mode'] == 'binary':
        masks, _ = ndi.label(fg)              # face connectivity
        n_iter = cellpose_niter(fg.astype(int))  # Python binarizes: one object, its bounding box
    else:
        masks = np.where(fg, lab, 0).astype(int)
        n_iter = cellpose_niter(masks)
    flows, weak = masks_to_flows(masks, n_iter, c['maskGradient'])
    flows[:, np.isnan(lab)] = np.nan
    np.save(f"{d}/{c['name']}.out.npy", flows)
    np.save(f"{d}/{c['name']}.weak.npy", weak)
    # Python's CellposeFlow as it is: the binarized mask is ONE object.
    asis, _ = masks_to_flows(fg.astype(int), cellpose_niter(fg.astype(int)), False)
    np.save(f"{d}/{c['name']}.asis.npy", asis)
    out[c['name']] = int(n_iter)
print(json.dumps(out))
`;

interface OracleCase {
  name: string;
  shape: Shape;
  labels: Float32Array;
  mode: CellposeMode;
  /** Pass the oracle's iteration count (cellpose's per-instance rule) instead of our default. */
  explicitIterations: boolean;
  /** Oracle: neighbors of another object count 0 in the gradient (our rule). */
  maskGradient: boolean;
}

function image(shape: [number, number], fill: (y: number, x: number) => number): Float32Array {
  const [Y, X] = shape;
  const out = new Float32Array(Y * X);
  for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) out[y * X + x] = fill(y, x);
  return out;
}

function volume(shape: [number, number, number], fill: (z: number, y: number, x: number) => number): Float32Array {
  const [Z, Y, X] = shape;
  const out = new Float32Array(Z * Y * X);
  for (let z = 0; z < Z; z++) for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) out[(z * Y + y) * X + x] = fill(z, y, x);
  return out;
}
const inBall = (p: number[], c: number[], r: number) => p.reduce((s, v, a) => s + (v - c[a]!) ** 2, 0) <= r * r;

const blob = volume([10, 12, 14], (z, y, x) =>
  inBall([z, y, x], [4, 5, 5], 3.2) || inBall([z, y, x], [5, 6, 8.5], 2.6) || inBall([z, y, x], [6, 4, 6], 2.2) ? 1 : 0,
);
const separate = volume([9, 12, 16], (z, y, x) => {
  if (inBall([z, y, x], [4, 3, 3], 2.5)) return 1;
  if (inBall([z, y, x], [4, 9, 4], 2.3)) return 2;
  if (z >= 2 && z <= 6 && y >= 3 && y <= 8 && x >= 9 && x <= 14) return 3;
  return 0;
});
const touching = volume([8, 10, 16], (z, y, x) => {
  if (inBall([z, y, x], [4, 5, 4.5], 3.4)) return 7;
  if (z >= 1 && z <= 6 && y >= 2 && y <= 8 && x >= 7 && x <= 13) return 4;
  return 0;
});
const twoBlobs = volume([9, 10, 18], (z, y, x) => {
  if (z === 0 && y < 3) return NaN;
  return inBall([z, y, x], [4, 5, 4], 3) || inBall([z, y, x], [5, 4, 13], 3.5) ? 1 : 0;
});

const disks = image([19, 23], (y, x) => (inBall([y, x], [8, 8], 5.5) || inBall([y, x], [11, 14], 4.2) || inBall([y, x], [5, 14], 3) ? 1 : 0));
const touching2d = image([16, 25], (y, x) => {
  if (inBall([y, x], [8, 7], 5.4)) return 3;
  if (y >= 2 && y <= 13 && x >= 12 && x <= 21) return 9;
  if (inBall([y, x], [13, 2], 1.5)) return 5;
  return 0;
});
const twoDisks = image([14, 26], (y, x) => {
  if (y === 0 && x < 6) return NaN;
  return inBall([y, x], [6, 6], 4.5) || inBall([y, x], [7, 18], 5.2) ? 1 : 0;
});

const CASES: OracleCase[] = [
  { name: "one_blob_binary", shape: [10, 12, 14], labels: blob, mode: "binary", explicitIterations: false, maskGradient: false },
  { name: "separate_instances", shape: [9, 12, 16], labels: separate, mode: "instances", explicitIterations: true, maskGradient: false },
  { name: "touching_instances", shape: [8, 10, 16], labels: touching, mode: "instances", explicitIterations: true, maskGradient: true },
  { name: "two_blobs_binary_nan", shape: [9, 10, 18], labels: twoBlobs, mode: "binary", explicitIterations: false, maskGradient: false },
  { name: "disks_2d_binary", shape: [19, 23], labels: disks, mode: "binary", explicitIterations: false, maskGradient: false },
  { name: "touching_instances_2d", shape: [16, 25], labels: touching2d, mode: "instances", explicitIterations: true, maskGradient: true },
  { name: "two_disks_2d_binary_nan", shape: [14, 26], labels: twoDisks, mode: "binary", explicitIterations: false, maskGradient: false },
];

const hasScipy = spawnSync(PYTHON, ["-c", "import numpy, scipy.ndimage"], { stdio: "ignore" }).status === 0;

describe("the CPU twin matches a numpy cellpose oracle", () => {
  let dir = "";
  let iterations: Record<string, number> = {};
  beforeAll(() => {
    if (!hasScipy) throw new Error(`${PYTHON} lacks numpy/scipy: apt-get install python3-scipy (or set CELLMAP_PYTHON)`);
    dir = mkdtempSync(join(tmpdir(), "cellmap-cellpose-oracle-"));
    for (const c of CASES) writeFileSync(join(dir, `${c.name}.in.npy`), encodeNpy(c.labels, [...c.shape]));
    writeFileSync(join(dir, "cases.json"), JSON.stringify(CASES.map(({ name, mode, maskGradient }) => ({ name, mode, maskGradient }))));
    const run = spawnSync(PYTHON, ["-c", ORACLE, dir], { encoding: "utf8" });
    if (run.status !== 0) throw new Error(`oracle script failed: ${run.stderr}`);
    iterations = JSON.parse(run.stdout) as Record<string, number>;
  });
  afterAll(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  const load = (name: string, what: string) => decodeNpy(new Uint8Array(readFileSync(join(dir, `${name}.${what}.npy`)))).data as Float64Array;

  /** Ours against the oracle: NaN and zeros exactly, elsewhere the same direction. */
  function compare(c: OracleCase, got: Float32Array, want: Float64Array, weak: Float64Array): { voxels: number; minCos: number } {
    const V = c.labels.length;
    const C = c.shape.length;
    expect(got.length, "flow channels").toBe(C * V);
    let voxels = 0;
    let minCos = 1;
    for (let i = 0; i < V; i++) {
      const g = Array.from({ length: C }, (_, k) => got[k * V + i]!);
      const w = Array.from({ length: C }, (_, k) => want[k * V + i]!);
      if (Number.isNaN(c.labels[i]!)) {
        expect(g.every(Number.isNaN) && w.every(Number.isNaN), `voxel ${i}: ${g} / ${w}, expected NaN`).toBe(true);
        continue;
      }
      if (!(c.labels[i]! > 0)) {
        expect(g.every((v) => v === 0) && w.every((v) => v === 0), `background voxel ${i}: ${g} / ${w}`).toBe(true);
        continue;
      }
      const len = Math.hypot(...g);
      expect(len === 0 || Math.abs(len - 1) < 1e-5, `voxel ${i}: flow length ${len}`).toBe(true);
      if (weak[i] === 1) continue;
      const cos = g.reduce((s, v, k) => s + v * w[k]!, 0);
      minCos = Math.min(minCos, cos);
      voxels++;
      expect(cos, `voxel ${i}: ours ${g}, oracle ${w}`).toBeGreaterThan(0.999);
    }
    return { voxels, minCos };
  }

  it.each(CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const options = c.explicitIterations ? { mode: c.mode, iterations: iterations[c.name]! } : { mode: c.mode };
    const got = cellposeFlowsReference(c.labels, { batch: 1, shape: c.shape }, options);
    const { voxels, minCos } = compare(c, got, load(c.name, "out"), load(c.name, "weak"));
    const objects = c.labels.filter((v) => v > 0).length;
    expect(voxels, "voxels with a defined direction").toBeGreaterThan(objects * 0.9);
    console.log(`[oracle] ${c.name}: ${voxels} of ${objects} object voxels compared, ${iterations[c.name]} steps, smallest cosine ${minCos.toFixed(6)}`);
  });

  it("cellpose's own gradient reads the other instance at a contact; ours does not", () => {
    // Rerun the touching case through the unmasked oracle: it differs from ours only on voxels
    // with a face neighbor in the other instance.
    const c = CASES[2]!;
    const [Z, Y, X] = c.shape as [number, number, number];
    const V = Z * Y * X;
    const script = ORACLE.replace("json.loads(open(d + '/cases.json').read())", `[{'name': '${c.name}', 'mode': 'instances', 'maskGradient': False}]`);
    const run = spawnSync(PYTHON, ["-c", script, dir], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const want = load(c.name, "out");
    const got = cellposeFlowsReference(c.labels, { batch: 1, shape: c.shape }, { mode: "instances", iterations: iterations[c.name]! });
    let contact = 0;
    let differing = 0;
    for (let i = 0; i < V; i++) {
      const id = c.labels[i]!;
      if (!(id > 0)) continue;
      const p = [Math.floor(i / (X * Y)), Math.floor(i / X) % Y, i % X];
      const touches = [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]].some((d) => {
        const q = p.map((v, a) => v + d[a]!);
        if (q.some((v, a) => v < 0 || v >= c.shape[a]!)) return false;
        const o = c.labels[(q[0]! * Y + q[1]!) * X + q[2]!]!;
        return o > 0 && o !== id;
      });
      const cos = got[i]! * want[i]! + got[V + i]! * want[V + i]! + got[2 * V + i]! * want[2 * V + i]!;
      if (touches) contact++;
      if (cos < 0.999) {
        differing++;
        expect(touches, `voxel ${i} differs from cellpose (cosine ${cos}) away from the contact`).toBe(true);
      }
    }
    expect(differing, "no contact voxel differs: the case does not show the difference").toBeGreaterThan(0);
    console.log(`[oracle] ${differing} of ${contact} contact voxels differ from cellpose's unmasked gradient`);
  });

  it("Python's CellposeFlow binarizes: the blob without the center gets no flow; ours gives each blob its own", () => {
    const c = CASES[3]!;
    const V = c.labels.length;
    const asis = load(c.name, "asis");
    const ours = cellposeFlowsReference(c.labels, { batch: 1, shape: c.shape });
    const X = c.shape[2]!;
    const still = (f: ArrayLike<number>, i: number) => f[i] === 0 && f[V + i] === 0 && f[2 * V + i] === 0;
    let zeroInPython = 0;
    let zeroInOurs = 0;
    const blobSizes = [0, 0];
    for (let i = 0; i < V; i++) {
      if (!(c.labels[i]! > 0)) continue;
      blobSizes[i % X < 9 ? 0 : 1]!++;
      if (still(asis, i)) zeroInPython++;
      if (still(ours, i)) zeroInOurs++;
    }
    const smaller = Math.min(...blobSizes);
    expect(zeroInPython, "Python-as-is: a whole blob without flow").toBeGreaterThanOrEqual(smaller);
    expect(zeroInOurs, "ours: only centers (at most one voxel per blob) without flow").toBeLessThanOrEqual(2);
  });

  it("2D follows cellpose's 3x3 stencil: a 5-point mean gives other flows", () => {
    // The same 2D case through an oracle whose mean covers only the pixel and its 4 edge
    // neighbors (the 3D rule in the plane): ours must differ from it, so the 2D cases above
    // pin the stencil.
    const c = CASES[4]!;
    const V = c.labels.length;
    const script = ORACLE.replace(
      "T[ny[0], nx[0]] = (T[ny, nx] * same).mean(axis=0)",
      "T[ny[0], nx[0]] = (T[ny[:5], nx[:5]] * same[:5]).mean(axis=0)",
    ).replace("json.loads(open(d + '/cases.json').read())", `[{'name': '${c.name}', 'mode': 'binary', 'maskGradient': False}]`);
    expect(script).not.toBe(ORACLE);
    const run = spawnSync(PYTHON, ["-c", script, dir], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const five = load(c.name, "out");
    const ours = cellposeFlowsReference(c.labels, { batch: 1, shape: c.shape });
    let differing = 0;
    for (let i = 0; i < V; i++) {
      if (!(c.labels[i]! > 0)) continue;
      if (ours[i]! * five[i]! + ours[V + i]! * five[V + i]! < 0.999) differing++;
    }
    expect(differing, "pixels whose direction differs from the 5-point mean's").toBeGreaterThan(10);
    console.log(`[oracle] ${differing} pixels differ from a 5-point mean`);
  });
});
