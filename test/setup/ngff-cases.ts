// OME-NGFF metadata parsing: bodies run in Node, Deno and Chromium from the case registry (test/setup/cases.ts). Pure logic over
// JSON literals written here: no GPU, file system or network.

import { parseCellMapAnnotation, parseMultiscales } from "../../src/ngff/parse.ts";
import { caughtSync, check, isTagged, same } from "./assert.ts";
import type { Cases } from "./cases.ts";

const axes = [
  { name: "z", type: "space", unit: "nanometer" },
  { name: "y", type: "space", unit: "nanometer" },
  { name: "x", type: "space", unit: "nanometer" },
];
const ds = (path: string, s: number[], t: unknown[]) => ({
  path,
  coordinateTransformations: [{ type: "scale", scale: s }, { type: "translation", translation: t }],
});

/** Malformed multiscales attributes and the field each error must name. */
export const BAD_MULTISCALES: ReadonlyArray<readonly [name: string, attrs: unknown, field: string]> = [
  ["no multiscales", { foo: 1 }, "multiscales"],
  ["empty datasets", { multiscales: [{ version: "0.4", axes, datasets: [] }] }, "multiscales[0].datasets"],
  ["scale of wrong length", { multiscales: [{ version: "0.4", axes, datasets: [ds("s0", [1, 2], [0, 0, 0])] }] }, "multiscales[0].datasets[0].coordinateTransformations[0].scale"],
  ["non-numeric translation", { multiscales: [{ version: "0.4", axes, datasets: [ds("s0", [1, 1, 1], [0, "a", 0])] }] }, "multiscales[0].datasets[0].coordinateTransformations[1].translation"],
  ["negative scale", { multiscales: [{ version: "0.4", axes, datasets: [ds("s0", [1, -1, 1], [0, 0, 0])] }] }, "multiscales[0].datasets[0].coordinateTransformations[0].scale"],
  ["missing x axis", { multiscales: [{ version: "0.4", axes: axes.slice(0, 2), datasets: [ds("s0", [1, 1], [0, 0])] }] }, "multiscales[0].axes"],
  ["unknown version", { multiscales: [{ version: "0.1", axes, datasets: [ds("s0", [1, 1, 1], [0, 0, 0])] }] }, "multiscales[0].version"],
  ["unknown transform", { multiscales: [{ version: "0.4", axes, datasets: [{ path: "s0", coordinateTransformations: [{ type: "affine" }] }] }] }, "multiscales[0].datasets[0].coordinateTransformations[0].type"],
  ["missing path", { multiscales: [{ version: "0.4", axes, datasets: [{ coordinateTransformations: [] }] }] }, "multiscales[0].datasets[0].path"],
];

/** Each malformed attribute set gives a MetadataError naming the field and the URL. */
function rejectsBad(name: string): void {
  const entry = BAD_MULTISCALES.find(([n]) => n === name);
  check(entry !== undefined, `no bad case named ${name}`);
  const [, attrs, field] = entry;
  const e = caughtSync(() => parseMultiscales("http://h/a.zarr/raw", attrs), name);
  const err = isTagged(e, "metadata", field, name);
  check(err.message.includes("http://h/a.zarr/raw"), `${name}: the message does not name the URL: ${err.message}`);
  check(err.message.includes(field), `${name}: the message does not name ${field}: ${err.message}`);
}

export const ngffCases = {
  /** NGFF 0.4: levels in z, y, x order with their scale and translation. */
  "reads NGFF 0.4 levels in z,y,x order"(): void {
    const ms = parseMultiscales("u", { multiscales: [{ version: "0.4", axes, datasets: [ds("s0", [8, 4, 4], [1, 2, 3]), ds("s1", [16, 8, 8], [5, 4, 5])] }] });
    same(ms.version, "0.4", "version");
    same(ms.unit, "nanometer", "unit");
    same(ms.levels, [
      { path: "s0", scale: [8, 4, 4], translation: [1, 2, 3] },
      { path: "s1", scale: [16, 8, 8], translation: [5, 4, 5] },
    ], "levels");
  },

  /** NGFF 0.5 under `attributes.ome`, axes stored x, y, z: reordered to z, y, x. */
  "reads NGFF 0.5 under attributes.ome and reorders x,y,z axes"(): void {
    const xyz = [axes[2], axes[1], axes[0]];
    const ms = parseMultiscales("u", { ome: { version: "0.5", multiscales: [{ axes: xyz, datasets: [ds("0", [4, 5, 6], [7, 8, 9])] }] } });
    same(ms.version, "0.5", "version");
    same(ms.spatialDims, [2, 1, 0], "spatialDims");
    same(ms.levels[0], { path: "0", scale: [6, 5, 4], translation: [9, 8, 7] }, "level 0 in z, y, x");
  },

  /** A multiscale-wide transform applies after each level's: scale 2 * 3, translation 1 * 3 + (10, 0, 0). */
  "composes a multiscale-wide transform with each level's"(): void {
    const ms = parseMultiscales("u", {
      multiscales: [{
        version: "0.4",
        axes,
        datasets: [ds("s0", [2, 2, 2], [1, 1, 1])],
        coordinateTransformations: [{ type: "scale", scale: [3, 3, 3] }, { type: "translation", translation: [10, 0, 0] }],
      }],
    });
    same(ms.levels[0], { path: "s0", scale: [6, 6, 6], translation: [13, 3, 3] }, "composed level 0");
  },

  /** A channel axis is not one of the spatial dims. */
  "keeps a channel axis out of the spatial dims"(): void {
    const ms = parseMultiscales("u", { multiscales: [{ version: "0.4", axes: [{ name: "c", type: "channel" }, ...axes], datasets: [ds("s0", [1, 8, 4, 4], [0, 1, 2, 3])] }] });
    same(ms.spatialDims, [1, 2, 3], "spatialDims");
    same(ms.levels[0]!.scale, [8, 4, 4], "spatial scale");
  },

  ...Object.fromEntries(BAD_MULTISCALES.map(([name, , field]) => [`rejects ${name}, naming ${field}`, () => rejectsBad(name)])),

  /** The cellmap annotation: class name, encoding and complement counts. */
  "reads class name, encoding and complement counts"(): void {
    const a = parseCellMapAnnotation("u", {
      cellmap: { annotation: { class_name: "mito", annotation_type: { type: "semantic_segmentation", encoding: { absent: 0, present: 1 } }, complement_counts: { absent: 123 } } },
    });
    same(a, { className: "mito", annotationType: "semantic_segmentation", encoding: { absent: 0, present: 1 }, complementCounts: { absent: 123 } }, "annotation");
  },

  /** No cellmap attributes: undefined; a non-string class name is refused by field. */
  "is undefined without cellmap attributes, and rejects a bad class name"(): void {
    check(parseCellMapAnnotation("u", { multiscales: [] }) === undefined, "attributes without cellmap give an annotation");
    const e = caughtSync(() => parseCellMapAnnotation("u", { cellmap: { annotation: { class_name: 3 } } }), "class_name 3");
    check(String((e as Error).message).includes("cellmap.annotation.class_name"), `the error does not name cellmap.annotation.class_name: ${String(e)}`);
    check(parseCellMapAnnotation("u", { cellmap: { annotation: { class_names: ["mito", "er"] } } }) === undefined, "a multi-class annotation gives an annotation");
  },
} satisfies Cases;
