/**
 * How the CPU resample twin reads the chunk cache: a sample's voxel -> its chunk's slot-table
 * entry -> the element in the cache slot, with the fill value for chunks outside the table or
 * absent, and the trilinear blend of 8 voxels. Used by `twin.ts`; the layout is
 * docs/architecture.md, "The chunk cache layout".
 *
 * @example
 * ```ts
 * const source = new Source(params, table, elementsOf(cacheWords, params.kind));
 * source.use(sample);
 * source.linear(10.25, 3.5, 7); // or source.voxel(10, 3, 7)
 * ```
 * @module
 */

import type { StorageKind } from "../chunks/contract.ts";
import { ABSENT_SLOT, type ResampleParams, type ResampleSample } from "./contract.ts";

const ABSENT = ABSENT_SLOT;

export type Elements = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array;

/** The cache words seen as elements of `kind` (packed little-endian, element `e` at byte `e * bytes`). */
export function elementsOf(cache: Uint32Array, kind: StorageKind): Elements {
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
export class Source {
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

  /**
   * The block set by {@link block}: voxel `(z, y, x)` with `loZ <= z <= hiZ` (and so on) is
   * element `base + z * strideZ + y * strideY + x` of {@link data}. Empty (`hiZ < loZ`) until set.
   */
  base = 0;
  loZ = 0;
  hiZ = -1;
  loY = 0;
  hiY = -1;
  loX = 0;
  hiX = -1;
  /** Elements per voxel step along z and y within a chunk slot. */
  readonly strideZ: number;
  readonly strideY: number;
  /** The cache as elements of the level's kind. */
  get data(): Elements {
    return this.#data;
  }

  constructor(params: ResampleParams, table: Uint32Array, data: Elements) {
    this.#params = params;
    this.#data = data;
    this.#table = table;
    this.#fill = params.fill;
    this.#perSlot = params.slotWords * (4 / data.BYTES_PER_ELEMENT);
    this.#lastZ = params.volShape[0] - 1;
    this.#lastY = params.volShape[1] - 1;
    this.#lastX = params.volShape[2] - 1;
    this.strideZ = params.chunkShape[1] * params.chunkShape[2];
    this.strideY = params.chunkShape[2];
  }

  /**
   * Make the block around voxel `(iz, iy, ix)` the one {@link base} and the bounds describe:
   * the voxels of its chunk from which `reach` more voxels along every axis (0 for a nearest
   * read, 1 for the 8 corners of a linear blend) stay in the chunk and the volume. A block is
   * only set where that chunk is in the sample's table, cached, and wholly inside the cache, so
   * reading it directly gives what {@link voxel} and {@link linear} give. Returns false (and an
   * empty block) otherwise: read through {@link voxel} or {@link linear} there.
   */
  block(iz: number, iy: number, ix: number, reach: 0 | 1): boolean {
    this.hiZ = this.hiY = this.hiX = -1;
    const z = this.#z, y = this.#y, x = this.#x;
    const lz = z.local(iz), ly = y.local(iy), lx = x.local(ix);
    if (lz < 0 || ly < 0 || lx < 0) return false;
    const slot = this.#slot(z.tableAt(lz) + y.tableAt(ly) + x.tableAt(lx));
    if (slot === ABSENT || (slot + 1) * this.#perSlot > this.#data.length) return false;
    const cz = z.chunk, cy = y.chunk, cx = x.chunk;
    const oz = iz - z.within(iz), oy = iy - y.within(iy), ox = ix - x.within(ix);
    this.loZ = oz;
    this.loY = oy;
    this.loX = ox;
    this.hiZ = Math.min(oz + cz - 1 - reach, this.#lastZ - reach);
    this.hiY = Math.min(oy + cy - 1 - reach, this.#lastY - reach);
    this.hiX = Math.min(ox + cx - 1 - reach, this.#lastX - reach);
    this.base = slot * this.#perSlot - oz * this.strideZ - oy * this.strideY - ox;
    return iz <= this.hiZ && iy <= this.hiY && ix <= this.hiX;
  }

  /** Read through this sample's slot table from now on. */
  use(s: ResampleSample): void {
    const { chunkShape: [cz, cy, cx], volShape: [nz, ny, nx] } = this.#params;
    const [lz, ly, lx] = s.chunkLo;
    const [dz, dy, dx] = s.chunkDims;
    this.#offset = s.tableOffset;
    this.#lastEntry = -1;
    this.hiZ = this.hiY = this.hiX = -1; // the block belonged to the previous sample's table
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

  /**
   * `n` voxels along source axis `axis` (0 z, 1 y, 2 x) from voxel `(iz, iy, ix)`, stepping by
   * `step` (1 or -1), into `out` from `o`: what {@link voxel} gives for each, chunk by chunk. Every
   * voxel must lie inside the volume.
   */
  row(out: Float32Array, o: number, n: number, iz: number, iy: number, ix: number, axis: 0 | 1 | 2, step: 1 | -1): void {
    const axes = [this.#z, this.#y, this.#x] as const;
    const start = [iz, iy, ix];
    const moving = axes[axis];
    // The two fixed axes: their table and element terms, the same for the whole row.
    let fixedTable = 0, fixedElem = 0;
    for (let a = 0; a < 3; a++) {
      if (a === axis) continue;
      const l = axes[a]!.local(start[a]!);
      if (l < 0) {
        out.fill(this.#fill, o, o + n);
        return;
      }
      fixedTable += axes[a]!.tableAt(l);
      fixedElem += axes[a]!.elemAt(l);
    }
    const data = this.#data;
    const stride = moving.elemStride * step;
    let i = start[axis]!;
    for (let k = 0; k < n;) {
      // The voxels from i on that lie in i's chunk, in the direction of travel.
      const r = moving.within(i);
      const run = Math.min(n - k, step > 0 ? moving.chunk - r : r + 1);
      const l = moving.local(i);
      const slot = l < 0 ? ABSENT : this.#slot(fixedTable + moving.tableAt(l));
      if (slot === ABSENT) {
        out.fill(this.#fill, o, o + run);
      } else {
        const base = slot * this.#perSlot + fixedElem + moving.elemAt(l);
        const last = base + (run - 1) * stride;
        if (Math.max(base, last) < data.length) {
          for (let m = 0, e = base; m < run; m++, e += stride) out[o + m] = data[e]!;
        } else {
          // A slot past the cache reads as zero words.
          for (let m = 0, e = base; m < run; m++, e += stride) out[o + m] = data[e] ?? 0;
        }
      }
      o += run;
      k += run;
      i += run * step;
    }
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
  /** Chunk extent along this axis. */
  chunk = 1;
  /** Element term of one voxel step within a chunk. */
  elemStride = 1;
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
    this.chunk = c;
    this.elemStride = elemStride;
  }

  /** Position of voxel `i` within its chunk (`i mod c`). */
  within(i: number): number {
    return i - Math.floor(i / this.chunk) * this.chunk;
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

