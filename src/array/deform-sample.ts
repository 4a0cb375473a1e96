/**
 * One array's view of a sample's elastic deformation: the dataset draws one field per sample in
 * world units (`src/augment/deform.ts`); each array re-expresses it in its own output voxels for
 * the resample shader, and grows the sample's source box by the largest displacement so that the
 * chunks of every displaced read are fetched.
 *
 * @example
 * ```ts
 * const st = transformer.forSample(center, augment);
 * const { box, localMatrix, displacement } = deformSample(transformer, st, field);
 * ```
 * @module
 */

import { maxDisplacement, type DeformField } from "../augment/deform.ts";
import { ArgumentError } from "../errors.ts";
import { applyAffine } from "../geometry/affine.ts";
import type { CoordinateTransformer, SampleTransform } from "../geometry/transformer.ts";
import type { Vec3, VoxelBox } from "../geometry/types.ts";
import type { ResampleDisplacement } from "../kernels/resample/contract.ts";

/** Check a field handed to `CellMapArray.sample` (it may come from outside the dataset). */
export function checkDeformField(field: DeformField, name: string): void {
  if (!field.dims.every((n) => Number.isInteger(n) && n >= 1)) throw new ArgumentError(`${name}.dims`, "must hold three positive integers", field.dims);
  if (!field.spacing.every((s) => Number.isFinite(s) && s > 0)) throw new ArgumentError(`${name}.spacing`, "must hold three positive numbers", field.spacing);
  const n = 3 * field.dims[0] * field.dims[1] * field.dims[2];
  if (field.values.length !== n) throw new ArgumentError(`${name}.values`, `must hold 3 numbers per control point (${n})`, field.values.length);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(field.values[i])) throw new ArgumentError(`${name}.values`, "must be finite", field.values[i]);
  }
}

/**
 * The displaced sample of one array: the field in this array's output voxels, the source box
 * grown by the largest displacement (so it holds every displaced read), and the affine relative
 * to that box.
 *
 * @param t The array's transformer for this output grid.
 * @param st `t.forSample(center, augment)`.
 * @param field The sample's field (world units, output frame).
 * @returns `box` is null when even the displaced reads miss the volume.
 */
export function deformSample(
  t: CoordinateTransformer,
  st: SampleTransform,
  field: DeformField,
): { box: VoxelBox | null; localMatrix: Float64Array; displacement: ResampleDisplacement } {
  const n = t.output.shape;
  const s = t.output.scale;
  // u = o / spacing + (dims - 1) / 2 with o = (j - (n - 1) / 2) * s, so u = j * step + start.
  const step = [0, 1, 2].map((k) => s[k]! / field.spacing[k]!) as Vec3;
  const start = [0, 1, 2].map((k) => (-((n[k]! - 1) / 2) * s[k]!) / field.spacing[k]! + (field.dims[k]! - 1) / 2) as Vec3;
  const values = new Float32Array(field.values.length);
  for (let i = 0; i < values.length; i++) values[i] = field.values[i]! / s[i % 3]!;
  const displacement: ResampleDisplacement = { dims: [...field.dims] as Vec3, step, start, values };

  // Reads sit at M · (j + d / s) with |d_k| <= max_k: the images of the corners of the output
  // index box grown by max_k / s_k bound them (M is affine).
  const grow = maxDisplacement(field).map((m, k) => m / s[k]!);
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  const p: Vec3 = [0, 0, 0];
  for (let c = 0; c < 8; c++) {
    const j = [0, 1, 2].map((k) => (c & (4 >> k) ? n[k]! - 1 + grow[k]! : -grow[k]!)) as Vec3;
    applyAffine(st.matrix, j, p);
    for (let k = 0; k < 3; k++) {
      lo[k] = Math.min(lo[k]!, p[k]!);
      hi[k] = Math.max(hi[k]!, p[k]!);
    }
  }
  // The same margins as the undisplaced box (CoordinateTransformer): a voxel each side for float32.
  const vol = t.levelGeometry.shape;
  const shift = t.interp === "nearest" ? 0.5 : 0;
  let box: VoxelBox | null = { lo: [0, 0, 0], hi: [0, 0, 0] };
  for (let k = 0; k < 3; k++) {
    const a = Math.max(0, Math.floor(lo[k]! + shift) - 1);
    const b = Math.min(vol[k]! - 1, Math.floor(hi[k]! + shift) + 2);
    if (a > b) {
      box = null;
      break;
    }
    box.lo[k] = a;
    box.hi[k] = b;
  }
  const localMatrix = new Float64Array(st.matrix);
  if (box) for (let r = 0; r < 3; r++) localMatrix[r * 4 + 3] = st.matrix[r * 4 + 3]! - box.lo[r]!;
  return { box, localMatrix, displacement };
}
