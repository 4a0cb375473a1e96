/**
 * CPU twin of `shaders/resample.wgsl`: the same inputs (params, samples, slot tables, cache words)
 * give the same output, computed in float64. Tests compare the two; `--device cpu` and CPU
 * datasets use it instead of the GPU. Contract: docs/architecture.md, "One resample dispatch".
 *
 * It is written for speed without changing a value: per output row the affine's partial sums
 * `m[r] * jz + m[r + 1] * jy` are computed once and each voxel adds `m[r + 2] * jx + m[r + 3]` in
 * the same order as the plain matrix-vector product (so the same rounding); the 8 linear corners
 * share one chunk/element split per axis; the cache is read through one typed view of the
 * storage kind (little-endian, like the packing); the B-spline weights of a displacement field
 * are computed once per output row (z, y) and once per column (x). Nothing is allocated per voxel.
 *
 * @example
 * ```ts
 * const out = resampleReference(params, samples, table, cacheWords); // Float32Array [batch, z, y, x]
 * ```
 * @module
 */

import { bsplineWeights } from "../augment/deform.ts";
import type { StorageKind } from "../array/storage-kind.ts";
import type { ResampleDisplacement, ResampleParams, ResampleSample } from "../gpu/resample.ts";

const ABSENT = 0xffffffff;

type Elements = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array;

/** The cache words seen as elements of `kind` (packed little-endian, element `e` at byte `e * bytes`). */
function elementsOf(cache: Uint32Array, kind: StorageKind): Elements {
  const { buffer, byteOffset, length } = cache;
  switch (kind) {
    case "u8":
      return new Uint8Array(buffer, byteOffset, length * 4);
    case "i8":
      return new Int8Array(buffer, byteOffset, length * 4);
    case "u16":
      return new Uint16Array(buffer, byteOffset, length * 2);
    case "i16":
      return new Int16Array(buffer, byteOffset, length * 2);
    case "u32":
      return cache;
    case "i32":
      return new Int32Array(buffer, byteOffset, length);
    case "f32":
      return new Float32Array(buffer, byteOffset, length);
  }
}

/**
 * Resample every sample of a batch on the CPU.
 *
 * @param params the dispatch parameters (`rowWidth` is not needed here)
 * @param samples one per batch item
 * @param table the slot tables of all samples, concatenated
 * @param cache the chunk cache words (`slotCount * params.slotWords`)
 * @returns the output, `[batch, z, y, x]` C-order
 */
export function resampleReference(
  params: ResampleParams,
  samples: readonly ResampleSample[],
  table: Uint32Array,
  cache: Uint32Array,
): Float32Array {
  const [nz, ny, nx] = params.outShape;
  const perSample = nz * ny * nx;
  const out = new Float32Array(params.batch * perSample);
  const source = new Source(params, table, elementsOf(cache, params.kind));
  const nearest = params.interp === "nearest";

  for (let b = 0; b < params.batch; b++) {
    const s = samples[b];
    if (s === undefined) throw new RangeError(`samples has ${samples.length} entries, params.batch is ${params.batch}`);
    source.use(s);
    const field = s.displacement ? new Field(s.displacement, nx) : undefined;
    const o = b * perSample;
    if (field) deformed(source, field, params, s, out, o);
    else if (nearest) straightNearest(source, params, s, out, o);
    else straightLinear(source, params, s, out, o);
  }
  return out;
}

// The voxel loops, one per case so that each inner loop is branch-free. Source position of output
// voxel j, as the shader computes it: v[a] = origin[a] + (m[r] * jz + m[r + 1] * jy + m[r + 2] * jx
// + m[r + 3]), r = 4a, summed left to right; the undeformed loops keep the row's first two terms
// (the same partial sum) and add the rest per voxel. Nearest reads voxel floor(v + 0.5), or pad
// outside [-0.5, N - 0.5) on any axis; linear blends the 8 voxels around v, or pad outside [0, N - 1].

function straightNearest(source: Source, params: ResampleParams, s: ResampleSample, out: Float32Array, o: number): void {
  const [nz, ny, nx] = params.outShape;
  const hz = params.volShape[0] - 0.5, hy = params.volShape[1] - 0.5, hx = params.volShape[2] - 0.5;
  const pad = params.pad;
  const m = s.matrix;
  const m0 = m[0]!, m1 = m[1]!, m2 = m[2]!, m3 = m[3]!;
  const m4 = m[4]!, m5 = m[5]!, m6 = m[6]!, m7 = m[7]!;
  const m8 = m[8]!, m9 = m[9]!, m10 = m[10]!, m11 = m[11]!;
  const [oz, oy, ox] = s.origin;
  for (let jz = 0; jz < nz; jz++) {
    for (let jy = 0; jy < ny; jy++) {
      const rz = m0 * jz + m1 * jy;
      const ry = m4 * jz + m5 * jy;
      const rx = m8 * jz + m9 * jy;
      for (let jx = 0; jx < nx; jx++, o++) {
        const pz = oz + (rz + m2 * jx + m3);
        const py = oy + (ry + m6 * jx + m7);
        const px = ox + (rx + m10 * jx + m11);
        out[o] = pz >= -0.5 && pz < hz && py >= -0.5 && py < hy && px >= -0.5 && px < hx
          ? source.voxel(Math.floor(pz + 0.5), Math.floor(py + 0.5), Math.floor(px + 0.5))
          : pad;
      }
    }
  }
}

function straightLinear(source: Source, params: ResampleParams, s: ResampleSample, out: Float32Array, o: number): void {
  const [nz, ny, nx] = params.outShape;
  const lz = params.volShape[0] - 1, ly = params.volShape[1] - 1, lx = params.volShape[2] - 1;
  const pad = params.pad;
  const m = s.matrix;
  const m0 = m[0]!, m1 = m[1]!, m2 = m[2]!, m3 = m[3]!;
  const m4 = m[4]!, m5 = m[5]!, m6 = m[6]!, m7 = m[7]!;
  const m8 = m[8]!, m9 = m[9]!, m10 = m[10]!, m11 = m[11]!;
  const [oz, oy, ox] = s.origin;
  for (let jz = 0; jz < nz; jz++) {
    for (let jy = 0; jy < ny; jy++) {
      const rz = m0 * jz + m1 * jy;
      const ry = m4 * jz + m5 * jy;
      const rx = m8 * jz + m9 * jy;
      for (let jx = 0; jx < nx; jx++, o++) {
        const pz = oz + (rz + m2 * jx + m3);
        const py = oy + (ry + m6 * jx + m7);
        const px = ox + (rx + m10 * jx + m11);
        out[o] = pz >= 0 && pz <= lz && py >= 0 && py <= ly && px >= 0 && px <= lx ? source.linear(pz, py, px) : pad;
      }
    }
  }
}

/** Elastic deformation: output voxel j is read at j + d(j), through the same affine. */
function deformed(source: Source, field: Field, params: ResampleParams, s: ResampleSample, out: Float32Array, o: number): void {
  const [nz, ny, nx] = params.outShape;
  const nearest = params.interp === "nearest";
  const [vz, vy, vx] = params.volShape;
  const pad = params.pad;
  const m = s.matrix;
  const m0 = m[0]!, m1 = m[1]!, m2 = m[2]!, m3 = m[3]!;
  const m4 = m[4]!, m5 = m[5]!, m6 = m[6]!, m7 = m[7]!;
  const m8 = m[8]!, m9 = m[9]!, m10 = m[10]!, m11 = m[11]!;
  const [oz, oy, ox] = s.origin;
  const d = new Float64Array(3);
  for (let jz = 0; jz < nz; jz++) {
    for (let jy = 0; jy < ny; jy++) {
      field.row(jz, jy);
      for (let jx = 0; jx < nx; jx++, o++) {
        field.at(jx, d);
        const tz = jz + d[0]!;
        const ty = jy + d[1]!;
        const tx = jx + d[2]!;
        const pz = oz + (m0 * tz + m1 * ty + m2 * tx + m3);
        const py = oy + (m4 * tz + m5 * ty + m6 * tx + m7);
        const px = ox + (m8 * tz + m9 * ty + m10 * tx + m11);
        if (nearest) {
          out[o] = pz >= -0.5 && pz < vz - 0.5 && py >= -0.5 && py < vy - 0.5 && px >= -0.5 && px < vx - 0.5
            ? source.voxel(Math.floor(pz + 0.5), Math.floor(py + 0.5), Math.floor(px + 0.5))
            : pad;
        } else {
          out[o] = pz >= 0 && pz <= vz - 1 && py >= 0 && py <= vy - 1 && px >= 0 && px <= vx - 1 ? source.linear(pz, py, px) : pad;
        }
      }
    }
  }
}

/** WGSL's `mix`: `a * (1 - t) + b * t` (so a NaN corner propagates even at weight 0). */
function mix(a: number, b: number, t: number): number {
  return a * (1 - t) + b * t;
}

/**
 * One sample's view of the chunk cache: voxel `(z, y, x)` of the level -> slot-table entry ->
 * element of the cache. Per axis, each voxel index splits into its chunk's table term and its
 * element term; {@link Axis} tabulates both over the sample's table once, so the 8 corners of a
 * linear blend need 6 table look-ups instead of 24 divisions.
 */
class Source {
  readonly #data: Elements;
  readonly #table: Uint32Array;
  readonly #fill: number;
  /** Elements per cache slot. */
  readonly #perSlot: number;
  readonly #params: ResampleParams;
  readonly #lastZ: number;
  readonly #lastY: number;
  readonly #lastX: number;
  readonly #z = new Axis();
  readonly #y = new Axis();
  readonly #x = new Axis();
  #offset = 0;
  #lastEntry = -1;
  #lastSlot = ABSENT;

  constructor(params: ResampleParams, table: Uint32Array, data: Elements) {
    this.#params = params;
    this.#data = data;
    this.#table = table;
    this.#fill = params.fill;
    this.#perSlot = params.slotWords * (4 / data.BYTES_PER_ELEMENT);
    this.#lastZ = params.volShape[0] - 1;
    this.#lastY = params.volShape[1] - 1;
    this.#lastX = params.volShape[2] - 1;
  }

  /** Read through this sample's slot table from now on. */
  use(s: ResampleSample): void {
    const { chunkShape: [cz, cy, cx], volShape: [nz, ny, nx] } = this.#params;
    const [lz, ly, lx] = s.chunkLo;
    const [dz, dy, dx] = s.chunkDims;
    this.#offset = s.tableOffset;
    this.#lastEntry = -1;
    this.#z.set(nz, cz, lz, dz, dy * dx, cy * cx);
    this.#y.set(ny, cy, ly, dy, dx, cx);
    this.#x.set(nx, cx, lx, dx, 1, 1);
  }

  /** Voxel `(iz, iy, ix)` (inside the volume): the fill value when its chunk is outside the table or absent. */
  voxel(iz: number, iy: number, ix: number): number {
    const z = this.#z, y = this.#y, x = this.#x;
    const lz = z.local(iz), ly = y.local(iy), lx = x.local(ix);
    if (lz < 0 || ly < 0 || lx < 0) return this.#fill;
    const slot = this.#slot(z.tableAt(lz) + y.tableAt(ly) + x.tableAt(lx));
    if (slot === ABSENT) return this.#fill;
    // A slot past the cache reads as zero words.
    return this.#data[slot * this.#perSlot + z.elemAt(lz) + y.elemAt(ly) + x.elemAt(lx)] ?? 0;
  }

  /** The slot of table entry `t` of this sample (ABSENT past the table); the last one is remembered. */
  #slot(t: number): number {
    if (t !== this.#lastEntry) {
      this.#lastEntry = t;
      this.#lastSlot = this.#table[this.#offset + t] ?? ABSENT;
    }
    return this.#lastSlot;
  }

  /** Trilinear blend of the 8 voxels around `(pz, py, px)`, a point inside `[0, N - 1]` on every axis. */
  linear(pz: number, py: number, px: number): number {
    const z = this.#z, y = this.#y, x = this.#x;
    const z0 = Math.floor(pz), y0 = Math.floor(py), x0 = Math.floor(px);
    const fz = pz - z0, fy = py - y0, fx = px - x0;
    const z1 = Math.min(z0 + 1, this.#lastZ);
    const y1 = Math.min(y0 + 1, this.#lastY);
    const x1 = Math.min(x0 + 1, this.#lastX);
    const tz0 = z.table(z0), tz1 = z.table(z1), ez0 = z.elem(z0), ez1 = z.elem(z1);
    const ty0 = y.table(y0), ty1 = y.table(y1), ey0 = y.elem(y0), ey1 = y.elem(y1);
    const tx0 = x.table(x0), tx1 = x.table(x1), ex0 = x.elem(x0), ex1 = x.elem(x1);
    let c000: number, c001: number, c010: number, c011: number, c100: number, c101: number, c110: number, c111: number;
    if (tz0 === tz1 && ty0 === ty1 && tx0 === tx1) {
      // All 8 corners in one chunk (the common case): one slot look-up.
      const slot = tz0 < 0 || ty0 < 0 || tx0 < 0 ? ABSENT : this.#slot(tz0 + ty0 + tx0);
      if (slot === ABSENT) {
        c000 = c001 = c010 = c011 = c100 = c101 = c110 = c111 = this.#fill;
      } else {
        const data = this.#data;
        const b = slot * this.#perSlot;
        const b00 = b + ez0 + ey0, b01 = b + ez0 + ey1, b10 = b + ez1 + ey0, b11 = b + ez1 + ey1;
        c000 = data[b00 + ex0] ?? 0;
        c001 = data[b00 + ex1] ?? 0;
        c010 = data[b01 + ex0] ?? 0;
        c011 = data[b01 + ex1] ?? 0;
        c100 = data[b10 + ex0] ?? 0;
        c101 = data[b10 + ex1] ?? 0;
        c110 = data[b11 + ex0] ?? 0;
        c111 = data[b11 + ex1] ?? 0;
      }
    } else {
      c000 = this.#corner(tz0, ty0, tx0, ez0 + ey0 + ex0);
      c001 = this.#corner(tz0, ty0, tx1, ez0 + ey0 + ex1);
      c010 = this.#corner(tz0, ty1, tx0, ez0 + ey1 + ex0);
      c011 = this.#corner(tz0, ty1, tx1, ez0 + ey1 + ex1);
      c100 = this.#corner(tz1, ty0, tx0, ez1 + ey0 + ex0);
      c101 = this.#corner(tz1, ty0, tx1, ez1 + ey0 + ex1);
      c110 = this.#corner(tz1, ty1, tx0, ez1 + ey1 + ex0);
      c111 = this.#corner(tz1, ty1, tx1, ez1 + ey1 + ex1);
    }
    const x00 = mix(c000, c001, fx);
    const x01 = mix(c010, c011, fx);
    const x10 = mix(c100, c101, fx);
    const x11 = mix(c110, c111, fx);
    return mix(mix(x00, x01, fy), mix(x10, x11, fy), fz);
  }

  /** Element `e` of the chunk whose per-axis table terms are `tz`, `ty`, `tx` (-1: outside the table). */
  #corner(tz: number, ty: number, tx: number, e: number): number {
    if (tz < 0 || ty < 0 || tx < 0) return this.#fill;
    const slot = this.#slot(tz + ty + tx);
    if (slot === ABSENT) return this.#fill;
    return this.#data[slot * this.#perSlot + e] ?? 0;
  }
}

/**
 * One axis of a sample's slot table, tabulated over the voxels its chunks cover: voxel `i` lies
 * in chunk `k = floor(i / c)`, whose table term is `(k - lo) * tableStride` when `lo <= k < lo + dims`
 * (else -1), and its element term is `(i mod c) * elemStride`.
 */
class Axis {
  #start = 0;
  #length = 0;
  #table = new Int32Array(0);
  #elem = new Int32Array(0);

  /** Tabulate voxels `[max(0, lo * c), min(n, (lo + dims) * c))`. */
  set(n: number, c: number, lo: number, dims: number, tableStride: number, elemStride: number): void {
    const start = Math.max(0, lo * c);
    const length = Math.max(0, Math.min(n, (lo + dims) * c) - start);
    if (this.#table.length < length) {
      this.#table = new Int32Array(length);
      this.#elem = new Int32Array(length);
    }
    for (let l = 0; l < length; l++) {
      const i = start + l;
      const k = Math.floor(i / c);
      this.#table[l] = (k - lo) * tableStride;
      this.#elem[l] = (i - k * c) * elemStride;
    }
    this.#start = start;
    this.#length = length;
  }

  /** Where voxel `i` lies in the tabulated span, or -1 when its chunk is outside the table. */
  local(i: number): number {
    const l = i - this.#start;
    return l >= 0 && l < this.#length ? l : -1;
  }

  /** The table term at span position `l` (from {@link local}). */
  tableAt(l: number): number {
    return this.#table[l]!;
  }

  /** The element term at span position `l` (from {@link local}). */
  elemAt(l: number): number {
    return this.#elem[l]!;
  }

  /** The table term of voxel `i`, or -1 when its chunk is outside the table. */
  table(i: number): number {
    const l = i - this.#start;
    return l >= 0 && l < this.#length ? this.#table[l]! : -1;
  }

  /** The element term of voxel `i` (0 when its chunk is outside the table). */
  elem(i: number): number {
    const l = i - this.#start;
    return l >= 0 && l < this.#length ? this.#elem[l]! : 0;
  }
}

/**
 * One sample's displacement field, evaluated the way the shader does: the cubic B-spline of the
 * control points at `u = j * step + start` per axis, indices clamped to the grid. The weights and
 * clamped indices of x are computed once per column, those of z and y once per output row.
 */
class Field {
  readonly #values: ArrayLike<number>;
  readonly #dims: readonly [number, number, number];
  readonly #step: readonly [number, number, number];
  readonly #start: readonly [number, number, number];
  /** Per column jx: 4 clamped x indices and their 4 weights. */
  readonly #xIndex: Float64Array;
  readonly #xWeight: Float64Array;
  /** Per row: `(z * gy + y) * gx` and `wz[a] * wy[b]` of the 16 (a, b) pairs. */
  readonly #zy = new Float64Array(16);
  readonly #wzy = new Float64Array(16);
  readonly #wz = [0, 0, 0, 0];
  readonly #wy = [0, 0, 0, 0];

  constructor(disp: ResampleDisplacement, nx: number) {
    this.#values = disp.values;
    this.#dims = disp.dims;
    this.#step = disp.step;
    this.#start = disp.start;
    this.#xIndex = new Float64Array(4 * nx);
    this.#xWeight = new Float64Array(4 * nx);
    const w = [0, 0, 0, 0];
    for (let jx = 0; jx < nx; jx++) {
      const base = this.#weights(2, jx, w);
      for (let c = 0; c < 4; c++) {
        this.#xIndex[4 * jx + c] = clamp(base + c, disp.dims[2]);
        this.#xWeight[4 * jx + c] = w[c]!;
      }
    }
  }

  /** The weights of axis `a` at output index `j` into `w`; returns the first control index. */
  #weights(a: 0 | 1 | 2, j: number, w: number[]): number {
    const u = j * this.#step[a] + this.#start[a];
    const i = Math.floor(u);
    bsplineWeights(u - i, w);
    return i - 1;
  }

  /** Prepare output row `(jz, jy)`. */
  row(jz: number, jy: number): void {
    const [, gy, gx] = this.#dims;
    const wz = this.#wz, wy = this.#wy;
    const bz = this.#weights(0, jz, wz);
    const by = this.#weights(1, jy, wy);
    for (let a = 0; a < 4; a++) {
      const z = clamp(bz + a, this.#dims[0]);
      for (let b = 0; b < 4; b++) {
        this.#zy[4 * a + b] = (z * gy + clamp(by + b, gy)) * gx;
        this.#wzy[4 * a + b] = wz[a]! * wy[b]!;
      }
    }
  }

  /** The displacement (output voxels) of column `jx` of the current row, into `dst`. */
  at(jx: number, dst: Float64Array): void {
    const values = this.#values;
    const xi = this.#xIndex, xw = this.#xWeight;
    const k0 = 4 * jx;
    let d0 = 0, d1 = 0, d2 = 0;
    for (let k = 0; k < 16; k++) {
      const zy = this.#zy[k]!;
      const wzy = this.#wzy[k]!;
      for (let c = k0; c < k0 + 4; c++) {
        const w = wzy * xw[c]!;
        const p = 3 * (zy + xi[c]!);
        d0 += w * values[p]!;
        d1 += w * values[p + 1]!;
        d2 += w * values[p + 2]!;
      }
    }
    dst[0] = d0;
    dst[1] = d1;
    dst[2] = d2;
  }
}

function clamp(i: number, n: number): number {
  return Math.min(n - 1, Math.max(0, i));
}
