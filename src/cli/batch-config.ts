/**
 * The dataset configuration of `cellmap-data batch`: a JSON file holding the options of
 * `CellMapDataset.open`. JSON has no NaN, so `emptyValue` and `inputPad` also take the string
 * `"NaN"`; local paths are relative to the file's folder, URLs are taken as given. Fields the
 * dataset checks itself (array specs, transforms, slicing) are left to it: its errors name the
 * same fields.
 * @module
 */

import type { CellMapDatasetOptions } from "../dataset/dataset-options.ts";
import { ArgumentError } from "../errors.ts";
import { nodeFs, nodePath } from "./node-fs.ts";

/** The dataset options a config file can hold (the runtime ones come from the command line). */
export type BatchConfig = Omit<CellMapDatasetOptions<string, string>, "gpu" | "device" | "pool" | "arrays" | "signal" | "storeOptions">;

/** The fields a config file may have. */
export const CONFIG_FIELDS = [
  "inputPath", "targetPath", "classes", "inputArrays", "targetArrays", "slicingAxis",
  "spatialTransforms", "valueTransforms", "targetValueTransforms", "classRelationships",
  "emptyValue", "inputPad", "pad", "isTrain", "forceHasData", "seed", "cacheBytes", "workers",
] as const;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** True for `scheme://...` locations (http, https, s3, file), which are not resolved. */
export function isUrl(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location);
}

function numberOrNaN(field: string, v: unknown): number {
  if (typeof v === "string" && /^nan$/i.test(v.trim())) return NaN;
  if (typeof v === "number" && Number.isFinite(v)) return v;
  throw new ArgumentError(field, 'must be a number or "NaN"', v);
}

function bool(field: string, v: unknown): boolean {
  if (typeof v !== "boolean") throw new ArgumentError(field, "must be true or false", v);
  return v;
}

function path(field: string, v: unknown, resolve: (p: string) => string): string {
  if (typeof v !== "string" || v.trim() === "") throw new ArgumentError(field, "must be a URL or a path (relative to the config file)", v);
  return isUrl(v) ? v : resolve(v);
}

function strings(field: string, v: unknown): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string" && s !== "")) throw new ArgumentError(field, "must be a list of names", v);
  return [...v] as string[];
}

/**
 * Check a parsed config and turn it into dataset options.
 *
 * @param json The parsed file.
 * @param resolve Turns a local path of the file into one the process can open.
 * @throws {ArgumentError} naming the JSON field.
 * @example
 * ```ts
 * parseBatchConfig({ inputPath: "data.zarr/em", inputArrays: { raw: { shape: [8, 8, 8], scale: [4, 4, 4] } } }, (p) => `/data/${p}`);
 * // { inputPath: "/data/data.zarr/em", inputArrays: { raw: ... } }
 * ```
 */
export function parseBatchConfig(json: unknown, resolve: (p: string) => string): BatchConfig {
  if (!isRecord(json)) throw new ArgumentError("--config", "must hold a JSON object of dataset options ({ inputPath, inputArrays, ... })", json);
  for (const k of Object.keys(json)) {
    if (!(CONFIG_FIELDS as readonly string[]).includes(k)) throw new ArgumentError(k, `is not a dataset option of the config (known: ${CONFIG_FIELDS.join(", ")})`);
  }
  if (json["inputArrays"] === undefined) throw new ArgumentError("inputArrays", "is required: { raw: { shape: [z, y, x], scale: [z, y, x] } }");
  const out: Record<string, unknown> = { ...json };
  out["inputPath"] = path("inputPath", json["inputPath"], resolve);
  const target = json["targetPath"];
  if (typeof target === "string") out["targetPath"] = path("targetPath", target, resolve);
  else if (isRecord(target)) out["targetPath"] = Object.fromEntries(Object.entries(target).map(([c, u]) => [c, path(`targetPath.${c}`, u, resolve)]));
  else if (target !== undefined) throw new ArgumentError("targetPath", 'must be a path template (".../crop1/[mito,er]") or a { class: path } map', target);
  if (json["classes"] !== undefined) out["classes"] = strings("classes", json["classes"]);
  const rel = json["classRelationships"];
  if (rel !== undefined) {
    if (!isRecord(rel)) throw new ArgumentError("classRelationships", 'must be { class: ["other", ...] }', rel);
    for (const [c, others] of Object.entries(rel)) strings(`classRelationships.${c}`, others);
  }
  for (const k of ["emptyValue", "inputPad"] as const) if (json[k] !== undefined) out[k] = numberOrNaN(k, json[k]);
  for (const k of ["pad", "isTrain", "forceHasData"] as const) if (json[k] !== undefined) bool(k, json[k]);
  const seed = json["seed"];
  if (seed !== undefined && !(typeof seed === "number" && Number.isSafeInteger(seed))) throw new ArgumentError("seed", "must be an integer", seed);
  const workers = json["workers"];
  if (workers !== undefined && !(typeof workers === "number" && Number.isInteger(workers) && workers >= 0)) {
    throw new ArgumentError("workers", "must be an integer >= 0 (0: fetch on the main thread)", workers);
  }
  const cache = json["cacheBytes"];
  if (cache !== undefined && !(typeof cache === "number" && cache > 0)) throw new ArgumentError("cacheBytes", "must be a positive number of bytes", cache);
  return out as unknown as BatchConfig;
}

/**
 * Read and check a config file (Node and Deno).
 *
 * @throws {ArgumentError} on `--config` when the file cannot be read or is not JSON, and naming
 * the field when a field is wrong.
 */
export async function readBatchConfig(file: string): Promise<BatchConfig> {
  const fs = await nodeFs();
  const p = await nodePath();
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (e) {
    throw new ArgumentError("--config", `cannot be read: ${e instanceof Error ? e.message : String(e)}`, file);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ArgumentError("--config", `is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, file);
  }
  const dir = p.dirname(p.resolve(file));
  return parseBatchConfig(json, (rel) => p.resolve(dir, rel));
}
