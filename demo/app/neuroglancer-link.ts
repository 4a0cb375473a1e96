/**
 * "Open in neuroglancer": a link that opens the dataset where the views look, kept up to date as
 * the center and zoom change. The layers are the raw image and one segmentation layer per class
 * of every crop, all read by the viewer from the same HTTP server the app reads (`npm start`
 * serves the data on loopback, which neuroglancer's https page may read).
 * @module
 */
import type { Vec3 } from "../../src/index.ts";
import { neuroglancerState, neuroglancerUrl, type NeuroglancerLayerSpec } from "../../src/index.ts";
import { classColor } from "./colors.ts";
import { h } from "./dom.ts";
import type { Source } from "./source.ts";
import type { Store } from "./state.ts";

/** Neuroglancer's units for the NGFF unit names the sample data and CellMap use. */
const UNITS = new Set(["nm", "nanometer", "um", "micrometer", "µm", "mm", "millimeter", "m", "meter", "pm", "picometer", "angstrom", "Å"]);

/** The app's colour of a class as `#rrggbb`. */
export function classHex(cls: string): string {
  return `#${classColor(cls).map((v) => Math.round(Math.max(0, Math.min(1, v)) * 255).toString(16).padStart(2, "0")).join("")}`;
}

/** The neuroglancer layers of a source: raw, then `crop/class` per class of every crop. */
export function sourceLayers(source: Source): NeuroglancerLayerSpec[] {
  const layers: NeuroglancerLayerSpec[] = [{ name: "raw", url: source.rawUrl, kind: "image", zarrFormat: source.raw.levels[0]!.zarrFormat }];
  for (const c of source.crops) {
    for (const cls of c.classes) {
      const a = c.arrays.get(cls)!;
      layers.push({ name: `${c.name}/${cls}`, url: a.url, kind: "segmentation", zarrFormat: a.levels[0]!.zarrFormat, segments: ["1"], segmentColors: { "1": classHex(cls) } });
    }
  }
  return layers;
}

/** The neuroglancer URL of the source centered on a world point (z, y, x), at a zoom. */
export function viewNeuroglancerUrl(source: Source, center: Readonly<Vec3>, pixelSize: number): string {
  const voxelSize = source.raw.levels[0]!.scale;
  const unit = source.raw.multiscale.unit;
  return neuroglancerUrl(neuroglancerState({
    layers: sourceLayers(source),
    voxelSize,
    unit: unit !== undefined && UNITS.has(unit) ? unit : "nm",
    position: center,
    crossSectionScale: pixelSize / voxelSize[2]!,
    selectedLayer: "raw",
  }));
}

/** A link (`#ng-view`) that always opens the current view position. */
export function mountNeuroglancerLink(root: HTMLElement, source: Source, store: Store): HTMLAnchorElement {
  const link = h("a", { id: "ng-view", target: "_blank", rel: "noopener", title: "The raw and every label layer, centered where the views look" }, "Open in neuroglancer");
  const update = () => {
    try {
      link.href = viewNeuroglancerUrl(source, store.state.center, store.state.pixelSize);
      link.removeAttribute("aria-disabled");
    } catch (e) {
      // A dataset neuroglancer cannot read (not over HTTP): say why instead of linking.
      link.removeAttribute("href");
      link.setAttribute("aria-disabled", "true");
      link.title = (e as Error).message;
    }
  };
  update();
  store.subscribe((_, changed) => {
    if (changed.has("center") || changed.has("pixelSize")) update();
  });
  root.append(h("div", { class: "row" }, link, h("span", { class: "muted" }, "at the views' center")));
  return link;
}
