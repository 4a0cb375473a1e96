/**
 * `cellmap-data link`: print a neuroglancer URL that opens an array served over HTTP, centered on
 * a world point (default: the array's center), with optional label layers. Only metadata is read.
 * @module
 */

import { openMultiscale, type OpenedMultiscale } from "../array/open-multiscale.ts";
import { ArgumentError } from "../errors.ts";
import type { Vec3 } from "../geometry/types.ts";
import { resolveLocation } from "../store/open.ts";
import { classColor, rgbHex } from "../viz/colors.ts";
import { NEUROGLANCER_DEMO, neuroglancerState, neuroglancerUrl, type NeuroglancerLayerSpec } from "../viz/neuroglancer.ts";
import { numberList, rejectUnknown, stringOption, type ParsedArgs } from "./args.ts";
import type { CliIo } from "./io.ts";

/** Options of `link` known on the command line. */
export const LINK_OPTIONS = ["center", "labels", "base"] as const;

/** Refuse what neuroglancer cannot read, before anything is opened. */
function checkServed(field: string, location: string): void {
  if (/^https?:\/\//i.test(resolveLocation(location))) return;
  if (/^gs:\/\//i.test(location)) throw new ArgumentError(field, "must be read over HTTP here: use the bucket's https://storage.googleapis.com/... address", location);
  throw new ArgumentError(field, "is a local path, which neuroglancer cannot read: serve the folder over HTTP (npm start serves the sample data; any static server with CORS works) and pass the http:// URL", location);
}

/** The world center of an array's finest level: `translation + (shape - 1) / 2 * scale`. */
export function arrayCenter(ms: OpenedMultiscale): Vec3 {
  const l = ms.levels[0]!;
  return [0, 1, 2].map((k) => l.translation[k]! + ((l.shape[k]! - 1) / 2) * l.scale[k]!) as Vec3;
}

/** Run `cellmap-data link`; resolves with the exit code. */
export async function linkCommand(target: string, args: ParsedArgs, io: CliIo): Promise<number> {
  rejectUnknown(args, LINK_OPTIONS);
  checkServed("<url>", target);
  const centerText = stringOption(args, "center", false);
  const center = centerText === undefined ? undefined : (numberList("center", centerText, 3) as Vec3);
  const labelsText = stringOption(args, "labels", false);
  const labels = labelsText === undefined ? [] : labelsText.split(",").map((s) => s.trim());
  if (labels.some((l) => l === "")) throw new ArgumentError("--labels", "must be comma-separated URLs", labelsText);
  labels.forEach((l) => checkServed("--labels", l));
  const base = stringOption(args, "base", false) ?? NEUROGLANCER_DEMO;
  if (!/^https?:\/\//i.test(base) || base.includes("#")) throw new ArgumentError("--base", "must be an http(s) URL without a fragment", base);

  const [raw, ...labelArrays] = await Promise.all([target, ...labels].map((u) => openMultiscale(u)));
  const nameOf = (url: string) => url.split("/").filter((s) => s !== "").pop() ?? "array";
  const names = new Set<string>();
  const unique = (name: string) => {
    let n = name;
    for (let k = 2; names.has(n); k++) n = `${name}-${k}`;
    names.add(n);
    return n;
  };
  const layers: NeuroglancerLayerSpec[] = [{ name: unique(nameOf(raw!.url)), url: raw!.url, kind: "image", zarrFormat: raw!.levels[0]!.zarrFormat }];
  labelArrays.forEach((a, i) => layers.push({
    name: unique(nameOf(a.url)), url: a.url, kind: "segmentation", zarrFormat: a.levels[0]!.zarrFormat,
    segments: ["1"], segmentColors: { "1": rgbHex(classColor(i)) },
  }));
  const position = center ?? arrayCenter(raw!);
  const options = { layers, voxelSize: raw!.levels[0]!.scale, position };
  const unit = raw!.multiscale.unit;
  let state;
  try {
    state = neuroglancerState(unit === undefined ? options : { ...options, unit });
  } catch (e) {
    // A unit neuroglancer has no name for: show voxels as nanometers, as the library's helpers do.
    if (!(e instanceof ArgumentError && e.field === "unit")) throw e;
    state = neuroglancerState(options);
  }
  io.stdout(neuroglancerUrl(state, base) + "\n");
  return 0;
}
