import { ArgumentError } from "../errors.ts";
import { applyAffine, type Affine } from "./affine.ts";
import { chooseLevel } from "./level.ts";
import type { Interpolation, LevelGeometry, OutputSpec, Vec3, VoxelBox } from "./types.ts";

/** The per-sample result: which source voxels to read and how output indices map onto them. */
export interface SampleTransform {
  /** Output index -> source voxel of the chosen level (3x4, float64, global voxel coordinates). */
  matrix: Affine;
  /** Output index -> source voxel relative to `box.lo` (what the shader gets, exact in float32). */
  localMatrix: Affine;
  /** The source voxels the sample can touch, clamped to the volume; `null` if it misses the volume. */
  box: VoxelBox | null;
}

/**
 * The output-index -> source-voxel affine of one array, split so that the
 * part that never changes (level choice, NGFF scale and translation, output
 * grid) is computed once, and each sample only composes its center and
 * augmentation matrix, in float64.
 *
 * For output voxel `j`: world `p = c + A·((j - (n-1)/2) ∘ s)` and source voxel
 * `v = (p - t_L) / s_L`, so `v = D·A·S·j + D·(c - t_L) - D·A·S·(n-1)/2` with
 * `D = diag(1/s_L)` and `S = diag(s)`.
 *
 * @example
 * ```ts
 * const t = new CoordinateTransformer(levels, { shape: [64, 64, 64], scale: [8, 8, 8] }, "linear");
 * const { localMatrix, box } = t.forSample([1000, 2000, 2000]);
 * ```
 */
export class CoordinateTransformer {
  /** Index of the level that is read. */
  readonly level: number;
  readonly output: Readonly<OutputSpec>;
  readonly interp: Interpolation;
  readonly #geom: LevelGeometry;
  readonly #inv: Vec3;
  readonly #half: Vec3;
  readonly #corners: Vec3[];

  constructor(levels: readonly LevelGeometry[], output: OutputSpec, interp: Interpolation) {
    if (levels.length === 0) throw new ArgumentError("levels", "must not be empty");
    for (const k of [0, 1, 2]) {
      if (!(Number.isInteger(output.shape[k]) && output.shape[k]! > 0)) {
        throw new ArgumentError("shape", "must be three positive integers", output.shape);
      }
      if (!(output.scale[k]! > 0 && Number.isFinite(output.scale[k]))) {
        throw new ArgumentError("scale", "must be three positive numbers", output.scale);
      }
    }
    this.output = { shape: [...output.shape], scale: [...output.scale] };
    this.interp = interp;
    this.level = chooseLevel(levels.map((l) => l.scale), output.scale);
    this.#geom = levels[this.level]!;
    this.#inv = this.#geom.scale.map((s) => 1 / s) as Vec3;
    this.#half = output.shape.map((n) => (n - 1) / 2) as Vec3;
    const [nz, ny, nx] = output.shape.map((n) => n - 1) as Vec3;
    this.#corners = [];
    for (const z of [0, nz]) for (const y of [0, ny]) for (const x of [0, nx]) this.#corners.push([z, y, x]);
  }

  /** Geometry of the chosen level. */
  get levelGeometry(): Readonly<LevelGeometry> {
    return this.#geom;
  }

  /**
   * Compose one sample's affine and source box.
   *
   * @param center World center (z, y, x).
   * @param augment Augmentation matrix A (9 numbers, row-major z, y, x); identity if omitted.
   */
  forSample(center: Readonly<Vec3>, augment?: ArrayLike<number>): SampleTransform {
    const inv = this.#inv;
    const s = this.output.scale;
    const h = this.#half;
    const t = this.#geom.translation;
    const m = new Float64Array(12);
    for (let r = 0; r < 3; r++) {
      let tr = inv[r]! * (center[r]! - t[r]!);
      for (let c = 0; c < 3; c++) {
        const a = augment ? augment[r * 3 + c]! : r === c ? 1 : 0;
        const v = inv[r]! * a * s[c]!;
        m[r * 4 + c] = v;
        tr -= v * h[c]!;
      }
      m[r * 4 + 3] = tr;
    }
    const box = this.#box(m);
    const local = new Float64Array(m);
    if (box) for (let r = 0; r < 3; r++) local[r * 4 + 3] = m[r * 4 + 3]! - box.lo[r]!;
    return { matrix: m, localMatrix: local, box };
  }

  #box(m: Affine): VoxelBox | null {
    const lo: Vec3 = [Infinity, Infinity, Infinity];
    const hi: Vec3 = [-Infinity, -Infinity, -Infinity];
    const p: Vec3 = [0, 0, 0];
    for (const c of this.#corners) {
      applyAffine(m, c, p);
      for (let k = 0; k < 3; k++) {
        if (p[k]! < lo[k]!) lo[k] = p[k]!;
        if (p[k]! > hi[k]!) hi[k] = p[k]!;
      }
    }
    const n = this.#geom.shape;
    const shift = this.interp === "nearest" ? 0.5 : 0;
    const out: VoxelBox = { lo: [0, 0, 0], hi: [0, 0, 0] };
    for (let k = 0; k < 3; k++) {
      // One voxel of margin on each side keeps float32 rounding in the shader inside the box.
      const a = Math.max(0, Math.floor(lo[k]! + shift) - 1);
      const b = Math.min(n[k]! - 1, Math.floor(hi[k]! + shift) + 2);
      if (a > b) return null;
      out.lo[k] = a;
      out.hi[k] = b;
    }
    return out;
  }
}
