export { applyAffine, identityAffine, IDENTITY3, mul3, type Affine } from "./affine.ts";
export { chooseLevel } from "./level.ts";
export { CoordinateTransformer, type SampleTransform } from "./transformer.ts";
export type { Interpolation, LevelGeometry, OutputSpec, Vec3, VoxelBox } from "./types.ts";
