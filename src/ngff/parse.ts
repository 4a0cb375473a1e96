import { MetadataError } from "../errors.ts";
import type { CellMapAnnotation, NgffAxis, NgffLevel, NgffMultiscale } from "./types.ts";

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function numberArray(url: string, field: string, v: unknown, length: number): number[] {
  if (!Array.isArray(v) || v.length !== length || !v.every((x) => typeof x === "number" && Number.isFinite(x))) {
    throw new MetadataError(url, field, `must be an array of ${length} finite numbers`, v);
  }
  return v as number[];
}

/**
 * Find the multiscales list in a group's attributes: NGFF 0.5 keeps it under
 * `ome.multiscales` (zarr v3 `attributes`), 0.4 at the top of `.zattrs`.
 */
function findMultiscales(url: string, attrs: unknown): { list: unknown[]; version: "0.4" | "0.5"; field: string } {
  if (!isObject(attrs)) throw new MetadataError(url, "attributes", "must be a JSON object", attrs);
  if (isObject(attrs["ome"])) {
    const ome = attrs["ome"];
    const list = ome["multiscales"];
    if (!Array.isArray(list) || list.length === 0) {
      throw new MetadataError(url, "ome.multiscales", "must be a non-empty array", list);
    }
    const version = ome["version"] ?? "0.5";
    if (version !== "0.5") throw new MetadataError(url, "ome.version", 'is not supported (expected "0.5")', version);
    return { list, version: "0.5", field: "ome.multiscales" };
  }
  const list = attrs["multiscales"];
  if (list === undefined) {
    throw new MetadataError(url, "multiscales", "is missing: this is not an OME-NGFF multiscale group", Object.keys(attrs));
  }
  if (!Array.isArray(list) || list.length === 0) {
    throw new MetadataError(url, "multiscales", "must be a non-empty array", list);
  }
  const first = list[0];
  const version = isObject(first) ? first["version"] : undefined;
  if (version !== undefined && version !== "0.4" && version !== "0.5") {
    throw new MetadataError(url, "multiscales[0].version", 'is not supported (expected "0.4" or "0.5")', version);
  }
  return { list, version: version === "0.5" ? "0.5" : "0.4", field: "multiscales" };
}

interface Transform {
  scale: number[] | undefined;
  translation: number[] | undefined;
}

function parseTransforms(url: string, field: string, v: unknown, ndim: number): Transform {
  if (v === undefined) return { scale: undefined, translation: undefined };
  if (!Array.isArray(v)) throw new MetadataError(url, field, "must be an array", v);
  const out: Transform = { scale: undefined, translation: undefined };
  v.forEach((t, i) => {
    const f = `${field}[${i}]`;
    if (!isObject(t)) throw new MetadataError(url, f, "must be an object", t);
    const type = t["type"];
    if ((type === "scale" && out.scale) || (type === "translation" && out.translation)) {
      throw new MetadataError(url, `${f}.type`, `is a second ${type as string} transform; NGFF allows one`, type);
    }
    if (type === "scale") {
      if ("path" in t) throw new MetadataError(url, `${f}.path`, "is not supported (inline scale only)", t["path"]);
      out.scale = numberArray(url, `${f}.scale`, t["scale"], ndim);
      if (out.scale.some((s) => s <= 0)) throw new MetadataError(url, `${f}.scale`, "must be positive", t["scale"]);
    } else if (type === "translation") {
      if ("path" in t) throw new MetadataError(url, `${f}.path`, "is not supported (inline translation only)", t["path"]);
      out.translation = numberArray(url, `${f}.translation`, t["translation"], ndim);
    } else if (type !== "identity") {
      throw new MetadataError(url, `${f}.type`, 'must be "scale", "translation" or "identity"', type);
    }
  });
  return out;
}

function parseAxes(url: string, field: string, v: unknown): NgffAxis[] {
  if (!Array.isArray(v) || v.length === 0) throw new MetadataError(url, field, "must be a non-empty array", v);
  const axes = v.map((a, i): NgffAxis => {
    if (typeof a === "string") return { name: a, type: undefined, unit: undefined };
    if (!isObject(a) || typeof a["name"] !== "string") {
      throw new MetadataError(url, `${field}[${i}].name`, "must be a string", isObject(a) ? a["name"] : a);
    }
    for (const k of ["type", "unit"] as const) {
      if (a[k] !== undefined && a[k] !== null && typeof a[k] !== "string") throw new MetadataError(url, `${field}[${i}].${k}`, "must be a string", a[k]);
    }
    return {
      name: a["name"],
      type: typeof a["type"] === "string" ? a["type"] : undefined,
      unit: typeof a["unit"] === "string" ? a["unit"] : undefined,
    };
  });
  const names = axes.map((a) => a.name.toLowerCase());
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new MetadataError(url, field, `names axis "${twice}" twice`, axes.map((a) => a.name));
  return axes;
}

/**
 * A level's path: a relative path below the group, its segments neither empty nor "." or "..".
 * Segments may hold any other character (`#`, `%`, `?` included, as zarr-python 3 writes them);
 * they are zarr keys, not URL text.
 */
function checkLevelPath(url: string, field: string, v: unknown): asserts v is string {
  if (typeof v !== "string" || v === "") throw new MetadataError(url, field, "must be a non-empty string", v);
  const segments = v.split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) {
    throw new MetadataError(url, field, 'must be a relative path below the group, without empty, "." or ".." segments (e.g. "s0")', v);
  }
}

/**
 * Parse the multiscale metadata of an OME-NGFF 0.4 (`.zattrs`) or 0.5
 * (`zarr.json` `attributes`) group into levels in z, y, x order.
 *
 * Level transforms are composed with any multiscale-wide transform, as NGFF
 * says: the dataset's scale/translation first, then the multiscale's.
 *
 * @param url Where the attributes came from, used in error messages.
 * @param attrs The group's attributes, as parsed JSON.
 * @returns The first multiscale image of the group.
 * @example
 * ```ts
 * const ms = parseMultiscales("s3://x/raw", JSON.parse(zattrsText));
 * ms.levels[0].scale; // [8, 4, 4]
 * ```
 */
export function parseMultiscales(url: string, attrs: unknown): NgffMultiscale {
  const { list, version, field } = findMultiscales(url, attrs);
  const ms = list[0];
  const f0 = `${field}[0]`;
  if (!isObject(ms)) throw new MetadataError(url, f0, "must be an object", ms);
  const datasets = ms["datasets"];
  if (!Array.isArray(datasets) || datasets.length === 0) {
    throw new MetadataError(url, `${f0}.datasets`, "must be a non-empty array", datasets);
  }
  let axes: NgffAxis[];
  if (ms["axes"] === undefined) {
    if (version === "0.5") throw new MetadataError(url, `${f0}.axes`, "is required in NGFF 0.5");
    axes = ["z", "y", "x"].map((name) => ({ name, type: "space", unit: undefined }));
  } else {
    axes = parseAxes(url, `${f0}.axes`, ms["axes"]);
  }
  const ndim = axes.length;
  const spatial = (["z", "y", "x"] as const).map((n) => axes.findIndex((a) => a.name.toLowerCase() === n));
  if (spatial.some((i) => i < 0)) {
    throw new MetadataError(url, `${f0}.axes`, "must include axes named z, y and x", axes.map((a) => a.name));
  }
  for (let i = 0; i < ndim; i++) {
    if (!spatial.includes(i) && axes[i]!.type === "space") {
      throw new MetadataError(url, `${f0}.axes[${i}]`, "is a fourth spatial axis, which is not supported", axes[i]!.name);
    }
  }
  const spatialDims = spatial as [number, number, number];
  const global = parseTransforms(url, `${f0}.coordinateTransformations`, ms["coordinateTransformations"], ndim);
  const pick = (v: number[]): [number, number, number] => [v[spatialDims[0]]!, v[spatialDims[1]]!, v[spatialDims[2]]!];
  const paths = new Set<string>();
  const levels: NgffLevel[] = datasets.map((d, i) => {
    const fd = `${f0}.datasets[${i}]`;
    if (!isObject(d)) throw new MetadataError(url, fd, "must be an object", d);
    checkLevelPath(url, `${fd}.path`, d["path"]);
    if (paths.has(d["path"])) throw new MetadataError(url, `${fd}.path`, "names the same array as an earlier level", d["path"]);
    paths.add(d["path"]);
    const t = parseTransforms(url, `${fd}.coordinateTransformations`, d["coordinateTransformations"], ndim);
    if (t.scale === undefined && version === "0.5") {
      throw new MetadataError(url, `${fd}.coordinateTransformations`, "must contain a scale transform");
    }
    const ls = t.scale ?? new Array<number>(ndim).fill(1);
    const lt = t.translation ?? new Array<number>(ndim).fill(0);
    const gs = global.scale ?? new Array<number>(ndim).fill(1);
    const gt = global.translation ?? new Array<number>(ndim).fill(0);
    // world = gs * (ls * i + lt) + gt
    const scale = ls.map((s, k) => s * gs[k]!);
    const translation = lt.map((x, k) => x * gs[k]! + gt[k]!);
    return { path: d["path"], scale: pick(scale), translation: pick(translation) };
  });
  const units = spatialDims.map((i) => axes[i]!.unit);
  return {
    version,
    name: typeof ms["name"] === "string" ? ms["name"] : undefined,
    axes,
    spatialDims,
    unit: units[0],
    levels,
  };
}

/**
 * Read the CellMap `cellmap.annotation` attributes of a label array group.
 *
 * @returns The annotation, or `undefined` when the attributes carry none.
 */
export function parseCellMapAnnotation(url: string, attrs: unknown): CellMapAnnotation | undefined {
  if (!isObject(attrs)) return undefined;
  const cellmap = attrs["cellmap"];
  if (cellmap === undefined) return undefined;
  if (!isObject(cellmap)) throw new MetadataError(url, "cellmap", "must be an object", cellmap);
  const ann = cellmap["annotation"];
  if (ann === undefined) return undefined;
  if (!isObject(ann)) throw new MetadataError(url, "cellmap.annotation", "must be an object", ann);
  const className = ann["class_name"];
  // A crop group's annotation lists `class_names` instead: it describes no single label array.
  if (className === undefined && Array.isArray(ann["class_names"])) return undefined;
  if (typeof className !== "string") {
    throw new MetadataError(url, "cellmap.annotation.class_name", "must be a string", className);
  }
  const type = ann["annotation_type"];
  let annotationType: string | undefined;
  let encoding: Record<string, number> = {};
  if (isObject(type)) {
    annotationType = typeof type["type"] === "string" ? type["type"] : undefined;
    const enc = type["encoding"];
    if (enc !== undefined) {
      if (!isObject(enc) || !Object.values(enc).every((x) => typeof x === "number")) {
        throw new MetadataError(url, "cellmap.annotation.annotation_type.encoding", "must map names to numbers", enc);
      }
      encoding = enc as Record<string, number>;
    }
  }
  const cc = ann["complement_counts"];
  let complementCounts: Record<string, number> | undefined;
  if (cc !== undefined && cc !== null) {
    if (!isObject(cc) || !Object.values(cc).every((x) => typeof x === "number" && x >= 0)) {
      throw new MetadataError(url, "cellmap.annotation.complement_counts", "must map names to counts", cc);
    }
    complementCounts = cc as Record<string, number>;
  }
  return { className, annotationType, encoding, complementCounts };
}
