/** A vector in z, y, x order. */
export type Vec3 = [number, number, number];

/** A vector in z, y, x order that is only read. */
export type ReadonlyVec3 = Readonly<Vec3>;

/** An inclusive voxel box: voxels lo..hi on every axis (z, y, x). */
export interface VoxelBox {
  lo: Vec3;
  hi: Vec3;
}

/** What one output array of a sample looks like, in world units. */
export interface OutputSpec {
  /** Output voxels per axis (z, y, x). */
  shape: Vec3;
  /** Output voxel size per axis (z, y, x), world units. */
  scale: Vec3;
}

/** One level of a source array: where its voxels sit in the world and how many there are. */
export interface LevelGeometry {
  scale: Vec3;
  translation: Vec3;
  /** Voxels per axis (z, y, x). */
  shape: Vec3;
}

/** Interpolation: trilinear for raw, nearest for labels. */
export type Interpolation = "linear" | "nearest";
