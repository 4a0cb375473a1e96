/**
 * The dataset configuration of `cellmap-data batch`: a JSON file holding the options of
 * `CellMapDataset.open` for one dataset, or shared options plus a list of datasets
 * (`datasets: [...]`, read as one `CellMapMultiDataset`), or shared options plus a split
 * (`split: { train: [...], validate: [...] }` or a datasplit CSV, as `CellMapDataSplit`).
 * JSON has no NaN, so `emptyValue` and `inputPad` also take the string `"NaN"`; local paths are
 * relative to the file's folder, URLs are taken as given.
 *
 * Every dataset's options are checked here, before anything is fetched: the library's own checks
 * run on each entry, and their errors name the entry (`datasets[2].inputArrays.raw.shape`).
 * @module
 */

import { DEFAULT_CACHE_BYTES } from "../array/cellmap-array.ts";
import { parseSpatialTransforms } from "../augment/spatial.ts";
import { parseDatasplitCsv } from "../dataset/csv.ts";
import { resolveDatasetOptions, type CellMapDatasetOptions } from "../dataset/dataset-options.ts";
import { ArgumentError } from "../errors.ts";
import { resolveLocation } from "../store/open.ts";
import { nodeFs, nodePath } from "./node-fs.ts";
import { mergeStoreOptions, parseStoreOptions, storeOptionsKey } from "./store-options.ts";

/** One dataset's options as a config file gives them (the runtime ones come from the command line). */
export type BatchConfig = Omit<CellMapDatasetOptions<string, string>, "gpu" | "device" | "pool" | "arrays" | "signal">;

/** The fields of the one-dataset form. */
export const CONFIG_FIELDS = [
  "inputPath", "targetPath", "classes", "inputArrays", "targetArrays", "slicingAxis",
  "spatialTransforms", "valueTransforms", "targetValueTransforms", "classRelationships",
  "emptyValue", "inputPad", "pad", "isTrain", "forceHasData", "seed", "cacheBytes", "workers", "storeOptions",
] as const;

/** Fields every dataset of a batch must share (a batch stacks their arrays), and process-wide ones. */
export const SHARED_FIELDS = ["classes", "inputArrays", "targetArrays", "emptyValue", "classRelationships", "seed", "workers"] as const;

/** Fields a dataset entry of `datasets` or `split` may hold (`raw` and `gt`: Python's dict keys). */
export const ENTRY_FIELDS = [
  "inputPath", "targetPath", "raw", "gt", "slicingAxis", "spatialTransforms", "valueTransforms", "targetValueTransforms",
  "inputPad", "pad", "isTrain", "forceHasData", "cacheBytes", "storeOptions",
] as const;

/** One dataset of a config. */
export interface BatchDatasetEntry {
  /** Where it sits in the config: `""` (the one-dataset form), `datasets[2]`, `split.train[0]`. */
  field: string;
  /** Its position in its list. */
  index: number;
  /** Its list in the split form. */
  usage?: "train" | "validate";
  options: BatchConfig;
}

/** A checked config. */
export interface ParsedBatchConfig {
  /** `dataset`: one dataset; `datasets`: a multi-dataset; `split`: training and validation lists. */
  form: "dataset" | "datasets" | "split";
  seed?: number;
  forceHasData?: boolean;
  entries: BatchDatasetEntry[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const at = (prefix: string, k: string) => (prefix ? `${prefix}.${k}` : k);

/** True for `scheme://...` locations (http, https, s3, file), which are not resolved. */
export function isUrl(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location);
}

function numberOrNaN(field: string, v: unknown): number {
  if (typeof v === "string" && /^nan$/i.test(v.trim())) return NaN;
  if (typeof v === "number" && Number.isFinite(v)) return v;
  throw new ArgumentError(field, 'must be a number or "NaN"', v);
}

function path(field: string, v: unknown, resolve: (p: string) => string): string {
  if (typeof v !== "string" || v.trim() === "") throw new ArgumentError(field, "must be a URL or a path (relative to the config file)", v);
  return isUrl(v) ? v : resolve(v);
}

function strings(field: string, v: unknown): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string" && s !== "")) throw new ArgumentError(field, "must be a list of names", v);
  return [...v] as string[];
}

/** Check the fields of one object of the config (the whole file, its shared part, or an entry). */
function checkFields(prefix: string, json: Record<string, unknown>, resolve: (p: string) => string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...json };
  for (const k of ["inputPath", "raw"]) if (json[k] !== undefined) out[k] = path(at(prefix, k), json[k], resolve);
  for (const k of ["targetPath", "gt"]) {
    const target = json[k];
    if (typeof target === "string") out[k] = path(at(prefix, k), target, resolve);
    else if (isRecord(target)) out[k] = Object.fromEntries(Object.entries(target).map(([c, u]) => [c, path(at(prefix, `${k}.${c}`), u, resolve)]));
    else if (target !== undefined) throw new ArgumentError(at(prefix, k), 'must be a path template (".../crop1/[mito,er]") or a { class: path } map', target);
  }
  if (json["classes"] !== undefined) out["classes"] = strings(at(prefix, "classes"), json["classes"]);
  const rel = json["classRelationships"];
  if (rel !== undefined) {
    if (!isRecord(rel)) throw new ArgumentError(at(prefix, "classRelationships"), 'must be { class: ["other", ...] }', rel);
    for (const [c, others] of Object.entries(rel)) strings(at(prefix, `classRelationships.${c}`), others);
  }
  for (const k of ["emptyValue", "inputPad"]) if (json[k] !== undefined) out[k] = numberOrNaN(at(prefix, k), json[k]);
  for (const k of ["pad", "isTrain", "forceHasData"]) {
    if (json[k] !== undefined && typeof json[k] !== "boolean") throw new ArgumentError(at(prefix, k), "must be true or false", json[k]);
  }
  const seed = json["seed"];
  if (seed !== undefined && !(typeof seed === "number" && Number.isSafeInteger(seed))) throw new ArgumentError(at(prefix, "seed"), "must be an integer", seed);
  const workers = json["workers"];
  if (workers !== undefined && !(typeof workers === "number" && Number.isInteger(workers) && workers >= 0)) {
    throw new ArgumentError(at(prefix, "workers"), "must be an integer >= 0 (0: fetch on the main thread)", workers);
  }
  const cache = json["cacheBytes"];
  if (cache !== undefined && !(typeof cache === "number" && cache > 0)) throw new ArgumentError(at(prefix, "cacheBytes"), "must be a positive number of bytes", cache);
  if (json["storeOptions"] !== undefined) {
    const so = parseStoreOptions(at(prefix, "storeOptions"), json["storeOptions"]);
    if (Object.keys(so).length > 0) out["storeOptions"] = so;
    else delete out["storeOptions"];
  }
  return out;
}

/** The library's checks of one dataset's options, with the entry's place prefixed to the field. */
function checkDataset(prefix: string, o: BatchConfig): ReturnType<typeof resolveDatasetOptions> {
  try {
    const resolved = resolveDatasetOptions(o);
    parseSpatialTransforms(o.spatialTransforms);
    return resolved;
  } catch (e) {
    if (!prefix || !(e instanceof ArgumentError)) throw e;
    throw new ArgumentError(`${prefix}.${e.field}`, e.problem, e.value);
  }
}

/** A dataset entry over the shared options. */
function entryOptions(field: string, json: unknown, shared: Record<string, unknown>, usage: "train" | "validate" | undefined, resolve: (p: string) => string): BatchConfig {
  if (!isRecord(json)) throw new ArgumentError(field, "must be an object of dataset options ({ inputPath, targetPath, ... })", json);
  for (const k of Object.keys(json)) {
    if ((SHARED_FIELDS as readonly string[]).includes(k)) {
      throw new ArgumentError(`${field}.${k}`, "is shared by every dataset of a batch: set it at the top level of the config");
    }
    if (!(ENTRY_FIELDS as readonly string[]).includes(k)) throw new ArgumentError(`${field}.${k}`, `is not an option of a dataset entry (known: ${ENTRY_FIELDS.join(", ")})`);
  }
  for (const [ours, python] of [["inputPath", "raw"], ["targetPath", "gt"]] as const) {
    if (json[ours] !== undefined && json[python] !== undefined) throw new ArgumentError(`${field}.${python}`, `is ${ours} under Python's name: give one of them`);
  }
  const own = checkFields(field, json, resolve);
  for (const [ours, python] of [["inputPath", "raw"], ["targetPath", "gt"]] as const) {
    if (own[python] !== undefined) own[ours] = own[python];
    delete own[python];
  }
  if (own["inputPath"] === undefined) throw new ArgumentError(`${field}.inputPath`, "is required: the raw group of this dataset (or raw, as in Python's dataset dict)");
  const defaults: Record<string, unknown> = usage === "train" ? { isTrain: true } : usage === "validate" ? { isTrain: false } : {};
  const base = { ...shared };
  if (usage === "validate") delete base["spatialTransforms"]; // as CellMapDataSplit: training only
  const out = { ...defaults, ...base, ...own } as Record<string, unknown>;
  const store = mergeStoreOptions(shared["storeOptions"] as BatchConfig["storeOptions"], own["storeOptions"] as BatchConfig["storeOptions"]);
  if (store) out["storeOptions"] = store;
  return out as unknown as BatchConfig;
}

/**
 * Datasets that read one array share it (one cache, one fetch per chunk), so they must agree on
 * its cache budget and store options; and a multi-dataset's datasets must output the same classes.
 */
function checkAcrossEntries(entries: readonly BatchDatasetEntry[], resolved: ReadonlyArray<ReturnType<typeof resolveDatasetOptions>>): void {
  const arrays = new Map<string, { entry: BatchDatasetEntry; cache: number; store: string }>();
  entries.forEach((entry, i) => {
    const r = resolved[i]!;
    const first = entries[0]!;
    if (JSON.stringify(r.classes) !== JSON.stringify(resolved[0]!.classes)) {
      throw new ArgumentError(`${entry.field}.targetPath`, `names the classes [${r.classes.join(", ")}] but ${first.field} names [${resolved[0]!.classes.join(", ")}]: list the classes at the top level (classes: [...])`);
    }
    const urls = [entry.options.inputPath, ...r.classes.filter((c) => r.urls.has(c)).map((c) => r.urls.get(c)!)];
    for (const url of urls) {
      const key = resolveLocation(url).replace(/\/+$/, "");
      const mine = { entry, cache: entry.options.cacheBytes ?? DEFAULT_CACHE_BYTES, store: storeOptionsKey(entry.options.storeOptions) };
      const seen = arrays.get(key);
      if (!seen) {
        arrays.set(key, mine);
        continue;
      }
      const why = `must be the same as ${seen.entry.field}'s: both read ${key}, which they share (one array, one cache)`;
      if (seen.cache !== mine.cache) throw new ArgumentError(`${entry.field}.cacheBytes`, why, mine.cache);
      if (seen.store !== mine.store) throw new ArgumentError(`${entry.field}.storeOptions`, why);
    }
  });
}

/**
 * Check a parsed config and turn it into the options of each dataset.
 *
 * @param json The parsed file (a `split` given as a CSV path must already be read: see
 *   {@link readBatchConfig}).
 * @param resolve Turns a local path of the file into one the process can open.
 * @throws {ArgumentError} naming the JSON field, with the entry's place for a dataset entry
 *   (`datasets[2].inputPath`, `split.validate[0].storeOptions.headers`).
 * @example
 * ```ts
 * parseBatchConfig({
 *   classes: ["mito"], inputArrays: { raw: { shape: [8, 8, 8], scale: [4, 4, 4] } },
 *   datasets: [{ inputPath: "a.zarr/em", targetPath: "a.zarr/gt/[mito]" }, { raw: "b.zarr/em", gt: "b.zarr/gt/[mito]" }],
 * }, (p) => `/data/${p}`);
 * // { form: "datasets", entries: [{ field: "datasets[0]", index: 0, options: { inputPath: "/data/a.zarr/em", ... } }, ...] }
 * ```
 */
export function parseBatchConfig(json: unknown, resolve: (p: string) => string): ParsedBatchConfig {
  if (!isRecord(json)) throw new ArgumentError("--config", "must hold a JSON object of dataset options ({ inputPath, inputArrays, ... })", json);
  const multi = ["datasets", "split"].filter((k) => json[k] !== undefined);
  if (multi.length > 1) throw new ArgumentError("split", "cannot be given with datasets: give one list of datasets");
  const known: readonly string[] = multi.length ? [...CONFIG_FIELDS.filter((k) => k !== "inputPath" && k !== "targetPath"), multi[0]!] : CONFIG_FIELDS;
  for (const k of Object.keys(json)) {
    if (multi.length && (k === "inputPath" || k === "targetPath")) throw new ArgumentError(k, `belongs in each entry of ${multi[0]} (the config has a list of datasets)`);
    if (!known.includes(k)) throw new ArgumentError(k, `is not a dataset option of the config (known: ${[...CONFIG_FIELDS, "datasets", "split"].join(", ")})`);
  }
  if (json["inputArrays"] === undefined) throw new ArgumentError("inputArrays", "is required: { raw: { shape: [z, y, x], scale: [z, y, x] } }");
  const shared = checkFields("", json, resolve);
  const seed = shared["seed"] as number | undefined;
  const force = shared["forceHasData"] as boolean | undefined;
  const common = { ...(seed !== undefined ? { seed } : {}), ...(force !== undefined ? { forceHasData: force } : {}) };
  if (!multi.length) {
    if (json["inputPath"] === undefined) throw new ArgumentError("inputPath", "is required (or datasets: [...] for several datasets)");
    const options = shared as unknown as BatchConfig;
    checkDataset("", options);
    return { form: "dataset", ...common, entries: [{ field: "", index: 0, options }] };
  }
  delete shared["datasets"];
  delete shared["split"];
  const entries: BatchDatasetEntry[] = [];
  const list = (field: string, v: unknown, usage: "train" | "validate" | undefined, required: boolean) => {
    if (v === undefined && !required) return;
    if (!Array.isArray(v) || (required && v.length === 0)) throw new ArgumentError(field, "must be a non-empty list of dataset entries ([{ inputPath, targetPath }, ...])", v);
    v.forEach((e, i) => entries.push({ field: `${field}[${i}]`, index: i, ...(usage ? { usage } : {}), options: entryOptions(`${field}[${i}]`, e, shared, usage, resolve) }));
  };
  if (multi[0] === "datasets") list("datasets", json["datasets"], undefined, true);
  else {
    const split = json["split"];
    if (!isRecord(split)) throw new ArgumentError("split", 'must be { "train": [...], "validate": [...] } or the path of a datasplit CSV', split);
    for (const k of Object.keys(split)) if (k !== "train" && k !== "validate") throw new ArgumentError(`split.${k}`, 'is not a list of the split (known: "train", "validate")');
    if (shared["isTrain"] !== undefined) throw new ArgumentError("isTrain", "is set by the split: true for train, false for validate (an entry may override it)");
    list("split.train", split["train"], "train", true);
    list("split.validate", split["validate"], "validate", false);
  }
  const resolved = entries.map((e) => checkDataset(e.field, e.options));
  checkAcrossEntries(entries, resolved);
  return { form: multi[0] === "datasets" ? "datasets" : "split", ...common, entries };
}

/**
 * Read and check a config file (Node and Deno). A `split` given as a string is the path of a
 * datasplit CSV (the Python library's 3- or 5-column layout), relative to the config file; its
 * relative dataset paths are relative to the CSV's folder.
 *
 * @throws {ArgumentError} on `--config` when the file cannot be read or is not JSON, on `split`
 * when the CSV cannot be read, and naming the field when a field is wrong.
 */
export async function readBatchConfig(file: string): Promise<ParsedBatchConfig> {
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
  if (isRecord(json) && typeof json["split"] === "string") {
    if (isUrl(json["split"])) throw new ArgumentError("split", "must be a local CSV file (relative to the config file)", json["split"]);
    const csv = p.resolve(dir, json["split"]);
    let csvText: string;
    try {
      csvText = await fs.readFile(csv, "utf8");
    } catch (e) {
      throw new ArgumentError("split", `cannot be read: ${e instanceof Error ? e.message : String(e)}`, csv);
    }
    let dict;
    try {
      dict = parseDatasplitCsv(csvText);
    } catch (e) {
      if (e instanceof ArgumentError) throw new ArgumentError(`split (${csv}) ${e.field}`, e.problem, e.value);
      throw e;
    }
    const csvDir = p.dirname(csv);
    const local = (s: string) => (isUrl(s) ? s : p.resolve(csvDir, s));
    const entries = (l: readonly { raw: string; gt: string }[]) => l.map((e) => ({ raw: local(e.raw), gt: local(e.gt) }));
    json = { ...json, split: { train: entries(dict.train), ...(dict.validate.length ? { validate: entries(dict.validate) } : {}) } };
  }
  return parseBatchConfig(json, (rel) => p.resolve(dir, rel));
}
