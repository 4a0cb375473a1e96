import { describe, expect, test } from "vitest";
import { isCellMapError, MetadataError, parseCellMapAnnotation, parseMultiscales } from "../src/index.ts";

const axes = [
  { name: "z", type: "space", unit: "nanometer" },
  { name: "y", type: "space", unit: "nanometer" },
  { name: "x", type: "space", unit: "nanometer" },
];
const ds = (path: string, s: number[], t: number[]) => ({
  path,
  coordinateTransformations: [{ type: "scale", scale: s }, { type: "translation", translation: t }],
});

describe("parseMultiscales", () => {
  test("reads NGFF 0.4 levels in z,y,x order", () => {
    const ms = parseMultiscales("u", { multiscales: [{ version: "0.4", axes, datasets: [ds("s0", [8, 4, 4], [1, 2, 3]), ds("s1", [16, 8, 8], [5, 4, 5])] }] });
    expect(ms.version).toBe("0.4");
    expect(ms.unit).toBe("nanometer");
    expect(ms.levels).toEqual([
      { path: "s0", scale: [8, 4, 4], translation: [1, 2, 3] },
      { path: "s1", scale: [16, 8, 8], translation: [5, 4, 5] },
    ]);
  });

  test("reads NGFF 0.5 under attributes.ome and reorders x,y,z axes", () => {
    const xyz = [axes[2], axes[1], axes[0]];
    const ms = parseMultiscales("u", { ome: { version: "0.5", multiscales: [{ axes: xyz, datasets: [ds("0", [4, 5, 6], [7, 8, 9])] }] } });
    expect(ms.version).toBe("0.5");
    expect(ms.spatialDims).toEqual([2, 1, 0]);
    expect(ms.levels[0]).toEqual({ path: "0", scale: [6, 5, 4], translation: [9, 8, 7] });
  });

  test("composes a multiscale-wide transform with each level's", () => {
    const ms = parseMultiscales("u", {
      multiscales: [{ version: "0.4", axes, datasets: [ds("s0", [2, 2, 2], [1, 1, 1])], coordinateTransformations: [{ type: "scale", scale: [3, 3, 3] }, { type: "translation", translation: [10, 0, 0] }] }],
    });
    expect(ms.levels[0]).toEqual({ path: "s0", scale: [6, 6, 6], translation: [13, 3, 3] });
  });

  test("keeps a channel axis out of the spatial dims", () => {
    const ms = parseMultiscales("u", { multiscales: [{ version: "0.4", axes: [{ name: "c", type: "channel" }, ...axes], datasets: [ds("s0", [1, 8, 4, 4], [0, 1, 2, 3])] }] });
    expect(ms.spatialDims).toEqual([1, 2, 3]);
    expect(ms.levels[0]!.scale).toEqual([8, 4, 4]);
  });

  const bad: Array<[string, unknown, string]> = [
    ["no multiscales", { foo: 1 }, "multiscales"],
    ["empty datasets", { multiscales: [{ version: "0.4", axes, datasets: [] }] }, "multiscales[0].datasets"],
    ["scale of wrong length", { multiscales: [{ version: "0.4", axes, datasets: [ds("s0", [1, 2], [0, 0, 0])] }] }, "multiscales[0].datasets[0].coordinateTransformations[0].scale"],
    ["non-numeric translation", { multiscales: [{ version: "0.4", axes, datasets: [ds("s0", [1, 1, 1], [0, "a", 0] as never)] }] }, "multiscales[0].datasets[0].coordinateTransformations[1].translation"],
    ["negative scale", { multiscales: [{ version: "0.4", axes, datasets: [ds("s0", [1, -1, 1], [0, 0, 0])] }] }, "multiscales[0].datasets[0].coordinateTransformations[0].scale"],
    ["missing x axis", { multiscales: [{ version: "0.4", axes: axes.slice(0, 2), datasets: [ds("s0", [1, 1], [0, 0])] }] }, "multiscales[0].axes"],
    ["unknown version", { multiscales: [{ version: "0.1", axes, datasets: [ds("s0", [1, 1, 1], [0, 0, 0])] }] }, "multiscales[0].version"],
    ["unknown transform", { multiscales: [{ version: "0.4", axes, datasets: [{ path: "s0", coordinateTransformations: [{ type: "affine" }] }] }] }, "multiscales[0].datasets[0].coordinateTransformations[0].type"],
    ["missing path", { multiscales: [{ version: "0.4", axes, datasets: [{ coordinateTransformations: [] }] }] }, "multiscales[0].datasets[0].path"],
  ];
  for (const [name, attrs, field] of bad) {
    test(`rejects ${name}, naming ${field}`, () => {
      let err: unknown;
      try {
        parseMultiscales("http://h/a.zarr/raw", attrs);
      } catch (e) {
        err = e;
      }
      expect(isCellMapError(err, "metadata")).toBe(true);
      expect((err as MetadataError).field).toBe(field);
      expect((err as MetadataError).message).toContain("http://h/a.zarr/raw");
      expect((err as MetadataError).message).toContain(field);
    });
  }
});

describe("parseCellMapAnnotation", () => {
  test("reads class name, encoding and complement counts", () => {
    const a = parseCellMapAnnotation("u", {
      cellmap: { annotation: { class_name: "mito", annotation_type: { type: "semantic_segmentation", encoding: { absent: 0, present: 1 } }, complement_counts: { absent: 123 } } },
    });
    expect(a).toEqual({ className: "mito", annotationType: "semantic_segmentation", encoding: { absent: 0, present: 1 }, complementCounts: { absent: 123 } });
  });
  test("is undefined without cellmap attributes, and rejects a bad class name", () => {
    expect(parseCellMapAnnotation("u", { multiscales: [] })).toBeUndefined();
    expect(() => parseCellMapAnnotation("u", { cellmap: { annotation: { class_name: 3 } } })).toThrow(/cellmap.annotation.class_name/);
    expect(parseCellMapAnnotation("u", { cellmap: { annotation: { class_names: ["mito", "er"] } } })).toBeUndefined();
  });
});
