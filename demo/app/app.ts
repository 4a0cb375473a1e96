/**
 * The QA app: opens a dataset with the library's CellMapArray (one GPU, one worker pool for
 * everything), then mounts the three slice views, the overview and the side panels.
 * @module
 */
import type { Vec3 } from "../../src/index.ts";
import { GpuContext } from "../../src/index.ts";
import { WorkerPool } from "../../src/index.ts";
import { mountCachePanel, trackedArrays, type ArrayRegistry } from "./cache-panel.ts";
import { classColor } from "./colors.ts";
import { byId, h } from "./dom.ts";
import { showError } from "./errors.ts";
import { mountLayersPanel } from "./layers-panel.ts";
import { mountNeuroglancerLink } from "./neuroglancer-link.ts";
import { Overview } from "./overview.ts";
import type { PlaneName } from "./planes.ts";
import { mountSamplePanel, type SamplePanel } from "./sample-panel.ts";
import type { LabelPlane, PresentMode, SliceStyle } from "./slice-renderer.ts";
import { clampZoom, SliceView, snapToVoxel } from "./slice-view.ts";
import { openSource, type Source } from "./source.ts";
import { Store } from "./state.ts";

export interface App {
  readonly gpu: GpuContext;
  readonly source: Source;
  readonly store: Store;
  readonly views: Readonly<Record<PlaneName, SliceView>>;
  readonly overview: Overview;
  readonly samplePanel: SamplePanel;
  readonly arrays: ArrayRegistry;
  readonly mode: PresentMode;
}

/** Start the app on a dataset URL. Errors are shown on the page and rethrown. */
export async function startApp(options: { url: string; crops?: string[] | undefined; present: PresentMode | "auto" }): Promise<App> {
  if (!("gpu" in navigator) || !navigator.gpu) {
    throw Object.assign(new Error("This browser has no WebGPU (navigator.gpu is missing)."), { name: "NoWebGpu" });
  }
  const gpu = await GpuContext.create({ label: "cellmap-qa" });
  const pool = await WorkerPool.create({ size: Math.max(1, Math.min(4, navigator.hardwareConcurrency || 2)) });
  let source: Source;
  try {
    source = await openSource(options.url, { gpu, pool, ...(options.crops ? { crops: options.crops } : {}) });
  } catch (e) {
    pool.terminate();
    gpu.destroy();
    throw e;
  }
  gpu.lost.then((e) => showError(e));
  // SwiftShader and other software adapters cannot present WebGPU canvases in headless browsers.
  const mode: PresentMode = options.present === "auto" ? (gpu.isSoftware ? "copy" : "webgpu") : options.present;

  const l0 = source.raw.levels[0]!;
  const center = [0, 1, 2].map((k) => snapToVoxel(source, k, (source.bounds.lo[k]! + source.bounds.hi[k]!) / 2, 0)) as Vec3;
  const store = new Store({
    center,
    pixelSize: 1,
    opacity: 0.45,
    window: defaultWindow(l0.dtype),
    shown: new Set(source.classes),
    samples: [],
    selected: -1,
    regions: [],
  });

  const labels: LabelPlane[] = source.crops.flatMap((c) => c.classes.map((cls) => ({ array: c.arrays.get(cls)!, className: cls })));
  const colors = new Map(source.classes.map((c) => [c, classColor(c)] as const));
  const style = (): SliceStyle => ({
    window: store.state.window,
    opacity: store.state.opacity,
    colors,
    shown: store.state.shown,
    background: [0.07, 0.08, 0.1],
  });
  const onError = (e: unknown) => {
    if ((e as Error)?.name === "AbortedError") return;
    showError(e);
  };
  const views = Object.fromEntries((["xy", "yz", "xz"] as const).map((p) => [p, new SliceView(p, { store, source, labels, mode, style, onError })])) as Record<PlaneName, SliceView>;
  for (const v of Object.values(views)) byId("views").querySelector(`[data-slot="${v.plane}"]`)!.append(v.element);
  const overview = new Overview(source, store);
  byId("views").querySelector('[data-slot="overview"]')!.append(overview.element);

  const arrays = trackedArrays(source);
  mountDatasetPanel(byId("dataset-panel"), source, mode, gpu);
  mountNeuroglancerLink(byId("dataset-panel"), source, store);
  mountLayersPanel(byId("layers-panel"), source, store);
  const samplePanel = mountSamplePanel({ sampleRoot: byId("sample-panel"), balanceRoot: byId("balance-panel"), source, store, gpu, pool, arrays, onError });
  mountCachePanel(byId("cache-panel"), arrays, () => Object.values(views).some((v) => v.pending) || samplePanel.busy);

  byId("app").hidden = false;
  // The views have a size once the layout is shown: fit the volume into them.
  await new Promise((r) => requestAnimationFrame(() => r(undefined)));
  const fit = () => {
    const view = views.xy.element.getBoundingClientRect();
    const extent = Math.max(...[0, 1, 2].map((k) => source.bounds.hi[k]! - source.bounds.lo[k]!));
    store.set({ center, pixelSize: clampZoom(source, niceZoom((extent * 1.08) / Math.max(64, Math.min(view.width, view.height)))) });
  };
  fit();
  const zoomBy = (f: number) => store.set({ pixelSize: clampZoom(source, niceZoom(store.state.pixelSize * f)) });
  byId("zoom-in").addEventListener("click", () => zoomBy(2 ** -0.5));
  byId("zoom-out").addEventListener("click", () => zoomBy(2 ** 0.5));
  byId("zoom-fit").addEventListener("click", fit);
  const showZoom = () => (byId("zoom-value").textContent = `${+store.state.pixelSize.toPrecision(3)} ${source.raw.multiscale.unit === "nanometer" ? "nm" : "units"}/px`);
  byId("zoom").hidden = false;
  showZoom();

  store.subscribe((_, changed) => {
    if (changed.has("pixelSize")) showZoom();
    const frame = ["center", "pixelSize", "opacity", "window", "shown"].some((k) => changed.has(k as never));
    for (const v of Object.values(views)) {
      if (frame) v.requestRender();
      else v.redrawOverlay();
    }
    setExtents();
    overview.draw();
  });
  const setExtents = () => {
    for (const v of Object.values(views)) {
      const g = v.geometry();
      overview.viewExtents[v.plane] = { width: g.width * g.pixelSize, height: g.height * g.pixelSize };
    }
  };
  setExtents();
  for (const v of Object.values(views)) v.requestRender();
  overview.draw();
  return { gpu, source, store, views, overview, samplePanel, arrays, mode };
}

/** Zoom steps of 2^(k/4), so zooming in and out returns to the same sizes. */
function niceZoom(p: number): number {
  return 2 ** (Math.round(Math.log2(p) * 4) / 4);
}

function defaultWindow(dtype: string): [number, number] {
  if (dtype === "uint8") return [0, 255];
  if (dtype === "uint16") return [0, 65535];
  if (dtype === "int8") return [-128, 127];
  if (dtype === "int16") return [-32768, 32767];
  return [0, 1];
}

function mountDatasetPanel(root: HTMLElement, source: Source, mode: PresentMode, gpu: GpuContext): void {
  const raw = source.raw;
  const l0 = raw.levels[0]!;
  const unit = raw.multiscale.unit ?? "";
  const dl = h("dl", { class: "kv" });
  const add = (k: string, v: string) => dl.append(h("dt", {}, k), h("dd", {}, v));
  add("raw", source.rawUrl.replace(source.root ?? "\u0000", "…"));
  add("format", `zarr v${l0.zarrFormat}, OME-NGFF ${raw.multiscale.version}, ${l0.dtype}`);
  add("codecs", l0.codecs.join(", ") + (l0.shards ? `; shards ${l0.shards.join("×")}` : ""));
  add("levels", raw.levels.map((l) => `${l.path} ${l.shape.join("×")} @ ${l.scale.join("×")}${unit === "nanometer" ? " nm" : ""}`).join("\n"));
  add("chunks", l0.chunks.join("×"));
  add("crops", source.crops.length ? source.crops.map((c) => `${c.name}: ${c.classes.join(", ")}`).join("\n") : "none");
  add("GPU", `${gpu.adapterInfo.description || gpu.adapterInfo.vendor || "adapter"}${gpu.isSoftware ? " (software)" : ""}; frames via ${mode === "webgpu" ? "WebGPU canvas" : "texture copy"}`);
  dl.querySelectorAll("dd").forEach((d) => (d.style.whiteSpace = "pre-wrap"));
  root.append(dl);
  if (source.root && /_v[23]\.zarr$/.test(source.root)) {
    const other = source.root.replace(/_v([23])\.zarr$/, (_, v: string) => `_v${v === "3" ? "2" : "3"}.zarr`);
    const link = h("a", { href: `?url=${encodeURIComponent(other)}` }, `open the zarr v${source.root.endsWith("_v3.zarr") ? 2 : 3} copy`);
    root.append(h("div", { class: "row muted" }, link));
  }
  root.append(h("div", { class: "row muted" }, "Drag to pan, click to set the center, wheel to move through slices, Ctrl/⌘ + wheel to zoom."));
}
