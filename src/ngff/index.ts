export type { CellMapAnnotation, NgffAxis, NgffLevel, NgffMultiscale } from "./types.ts";
export { parseCellMapAnnotation, parseMultiscales } from "./parse.ts";
