/** One scale level of an OME-NGFF multiscale image, in z, y, x order. */
export interface NgffLevel {
  /** Path of the level's array relative to the multiscale group (e.g. "s0"). */
  path: string;
  /** World size of one voxel per axis (z, y, x). */
  scale: [number, number, number];
  /** World position of voxel 0's center per axis (z, y, x). */
  translation: [number, number, number];
}

/** An axis of the image as NGFF describes it. */
export interface NgffAxis {
  name: string;
  type: string | undefined;
  unit: string | undefined;
}

/** A parsed multiscale image, reduced to its three spatial axes in z, y, x order. */
export interface NgffMultiscale {
  version: "0.4" | "0.5";
  name: string | undefined;
  axes: NgffAxis[];
  /** Index in the stored array's dimensions of z, y and x. */
  spatialDims: [number, number, number];
  /** The unit of the spatial axes (nanometer for CellMap data), if given. */
  unit: string | undefined;
  levels: NgffLevel[];
}

/** The CellMap `cellmap.annotation` attributes of a label array, when present. */
export interface CellMapAnnotation {
  className: string;
  annotationType: string | undefined;
  /** Encoding of the label values, e.g. { absent: 0, present: 1 }. */
  encoding: Record<string, number>;
  /** Voxel counts of the values that are not "present", e.g. { absent: 1234, unknown: 0 }. */
  complementCounts: Record<string, number> | undefined;
}
