/**
 * The sample panel: configure arrays, classes, transforms and the loader, draw a batch through
 * the dataset API and show it as the network would get it (raw after value transforms, and each
 * target class), with each sample's box on the slice views, a neuroglancer link per sample and
 * the batch as one figure (`imageGrid`, saved as PNG); plus the class-balance plot.
 * @module
 */
import type { GpuContext } from "../../src/index.ts";
import type { WorkerPool } from "../../src/index.ts";
import { datasetNeuroglancerUrl } from "../../src/index.ts";
import { batchFigure, divergingColormap, type BatchFigure } from "./batch-figure.ts";
import { mountBalancePlot } from "./balance-plot.ts";
import { drawBatch, openDatasets, samplingRegions, type Datasets, type DrawnBatch } from "./batch-source.ts";
import type { ArrayRegistry } from "./cache-panel.ts";
import { classColor } from "./colors.ts";
import { h } from "./dom.ts";
import { createConfigForm, datasetKey, type SampleConfig } from "./sample-config.ts";
import type { Source } from "./source.ts";
import type { Store } from "./state.ts";

export interface SamplePanel {
  /** True while datasets open or batches are read. */
  readonly busy: boolean;
  /** The last drawn batch. */
  readonly drawn: DrawnBatch | undefined;
  /** The last drawn batch's figure (what "Save batch as PNG" saves). */
  readonly figure: BatchFigure | undefined;
  /** Draw a batch with the current form (what the button does). */
  draw(): Promise<void>;
  /** Run the class-balance plot (what its button does). */
  balance(): Promise<void>;
}

const THUMB = 48;

export function mountSamplePanel(options: {
  sampleRoot: HTMLElement;
  balanceRoot: HTMLElement;
  source: Source;
  store: Store;
  gpu: GpuContext;
  pool: WorkerPool;
  arrays: ArrayRegistry;
  onError: (e: unknown) => void;
}): SamplePanel {
  const { sampleRoot, source, store, gpu, pool, arrays } = options;
  const form = createConfigForm(source);
  const button = h("button", { type: "button", id: "draw-batch" }, "Draw batch");
  const status = h("div", { class: "muted", id: "batch-status" });
  const cards = h("div", { class: "samples", id: "samples" });
  const configView = h("details", {}, h("summary", { class: "muted" }, "config as code"), h("textarea", { rows: 10, readOnly: true, id: "config-json" }));
  const saveButton = h("button", { type: "button", id: "save-png", disabled: true, title: "imageGrid + encodePng: the middle slice of every array of every sample" }, "Save batch as PNG");
  const gridImage = h("img", { id: "batch-grid", alt: "the batch as one figure: a row per sample, raw then each class" });
  const figureView = h("div", { class: "batch-figure", hidden: true }, h("div", { class: "row" }, saveButton, h("span", { class: "muted", id: "batch-grid-size" })), gridImage);
  sampleRoot.append(form.element, h("div", { class: "row" }, button, status), cards, figureView, configView);

  let datasets: Datasets | undefined;
  let busy = 0;
  let drawn: DrawnBatch | undefined;
  let figure: { figure: BatchFigure; url: string; name: string } | undefined;
  const save = () => {
    if (!figure) return;
    const a = h("a", { href: figure.url, download: figure.name });
    document.body.append(a);
    a.click();
    a.remove();
  };
  saveButton.addEventListener("click", save);
  // Batch draws and balance runs take turns, so reopening datasets never pulls them from under a run.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    busy++;
    const run = queue.then(op, op).finally(() => busy--);
    queue = run.catch(() => {});
    return run;
  };

  /** The datasets of a config, reopened only when arrays, classes, crops or transforms change. */
  const datasetsFor = async (config: SampleConfig): Promise<Datasets> => {
    if (datasets?.key === datasetKey(config)) return datasets;
    const d = await openDatasets(source, config, gpu, pool);
    datasets?.destroy();
    datasets = d;
    arrays.set("sample panel", d.crops.flatMap((c) => [c.dataset.input, ...c.dataset.annotatedClasses.map((cls) => c.dataset.classArray(cls)!)]));
    return d;
  };

  const updateRegions = () => {
    const r = form.read();
    const text = configView.querySelector("textarea")!;
    if (!r.config) {
      status.textContent = r.error;
      status.className = "error-text";
      return;
    }
    status.className = "muted";
    if (!busy) status.textContent = "";
    text.value = configAsCode(source, r.config);
    try {
      store.set({ regions: samplingRegions(source, r.config) });
    } catch {
      store.set({ regions: [] });
    }
  };
  form.onChange(updateRegions);
  updateRegions();

  const draw = () => serial(async () => {
    const r = form.read();
    if (!r.config) {
      status.textContent = r.error;
      status.className = "error-text";
      return;
    }
    const config = r.config;
    button.disabled = true;
    status.className = "muted";
    status.textContent = "reading a batch…";
    const started = performance.now();
    try {
      const d = await datasetsFor(config);
      const result = await drawBatch(d, config);
      drawn = result;
      const signedDistance = config.targetValueTransforms !== undefined;
      renderCards(cards, result, store, signedDistance);
      const f = await batchFigure(result, { signedDistance });
      if (figure) URL.revokeObjectURL(figure.url);
      figure = { figure: f, url: URL.createObjectURL(new Blob([f.png as Uint8Array<ArrayBuffer>], { type: "image/png" })), name: `batch-seed${config.seed}-epoch${config.epoch}.png` };
      gridImage.src = figure.url;
      gridImage.dataset["width"] = String(f.grid.width);
      gridImage.dataset["height"] = String(f.grid.height);
      byIdIn(figureView, "batch-grid-size").textContent = `${f.grid.width} × ${f.grid.height} px: ${f.grid.columns.map((c) => c.title).join(" | ")}`;
      figureView.hidden = false;
      saveButton.disabled = false;
      store.set({ samples: result.samples, selected: -1 });
      const ms = performance.now() - started;
      status.textContent = `${result.samples.length} samples from ${d.multi.length.toLocaleString()} centers (${config.sampler}, seed ${config.seed}, epoch ${config.epoch}) in ${(ms / 1000).toFixed(2)} s`;
      cards.dataset["count"] = String(result.samples.length);
    } catch (e) {
      status.className = "error-text";
      status.textContent = (e as Error).message;
    } finally {
      button.disabled = false;
    }
  });
  button.addEventListener("click", () => void draw());

  const balance = mountBalancePlot(options.balanceRoot, {
    read: () => form.read(),
    datasets: datasetsFor,
    serial,
  });

  store.subscribe((s, changed) => {
    if (changed.has("selected")) {
      cards.querySelectorAll<HTMLElement>(".sample").forEach((c) => c.classList.toggle("selected", Number(c.dataset["index"]) === s.selected));
    }
  });

  return {
    get busy() {
      return busy > 0;
    },
    get drawn() {
      return drawn;
    },
    get figure() {
      return figure?.figure;
    },
    draw,
    balance,
  };
}

function byIdIn(root: HTMLElement, id: string): HTMLElement {
  return root.querySelector<HTMLElement>(`#${id}`)!;
}

/**
 * One card per sample: crop, center, matrix, a neuroglancer link at its center, and a middle
 * slice (2D: the slice) of every array and class.
 */
function renderCards(root: HTMLElement, result: DrawnBatch, store: Store, signedDistance: boolean): void {
  const { batch, samples, classes } = result;
  root.replaceChildren();
  for (const s of samples) {
    const thumbs: HTMLElement[] = [];
    for (const name of result.inputs) {
      const a = batch[name]!;
      thumbs.push(thumb(`${name}`, grayThumb(a.data, a.shape, s.index, 0)));
    }
    for (const name of result.targets) {
      const a = batch[name]!;
      classes.forEach((cls, c) => thumbs.push(thumb(cls, signedDistance ? distanceThumb(a.data, a.shape, s.index, c) : labelThumb(a.data, a.shape, s.index, c, classColor(cls)))));
    }
    const A = s.augment;
    const matrix = A ? [0, 1, 2].map((r) => [0, 1, 2].map((c) => fmt(A[r * 3 + c]!)).join(" ")).join(" | ") : "identity";
    const ng = h("a", { class: "ng-link", target: "_blank", rel: "noopener", title: "Open this sample's center in neuroglancer" }, "neuroglancer");
    try {
      ng.href = datasetNeuroglancerUrl(s.dataset, { index: s.localIndex });
    } catch (e) {
      ng.title = (e as Error).message;
    }
    // The link opens the viewer; it does not also pick the card.
    ng.addEventListener("click", (e) => e.stopPropagation());
    const shape = (name: string) => result.batch[name]!.shape.slice(1).join("×");
    const card = h("div", { class: "sample", "data-index": String(s.index), "data-slicing-axis": s.slicingAxis ?? "", title: `A (rows z | y | x): ${matrix}` },
      h("div", { class: "title" }, h("b", {}, `#${s.index}`), h("span", {}, `${s.crop} · idx ${s.datasetIndex}`)),
      h("div", { class: "meta" }, `center ${s.center.map((x) => x.toFixed(0)).join(", ")} nm`),
      h("div", { class: "meta" }, s.slicingAxis ? `2D slice across ${s.slicingAxis} · ${result.inputs.map(shape).join(", ")}` : `3D · ${result.inputs.map(shape).join(", ")}`),
      h("div", { class: "meta" }, (A ? describeMatrix(A) : "no augmentation") + (s.deformed ? " + deformed" : "")),
      h("div", { class: "thumbs" }, ...thumbs),
      h("div", { class: "meta" }, ng));
    card.addEventListener("click", () => {
      store.set({ selected: s.index, center: [...s.center] });
    });
    root.append(card);
  }
}

function thumb(label: string, canvas: HTMLCanvasElement): HTMLElement {
  return h("div", { class: "thumb" }, canvas, label);
}

/** The middle z slice of channel `c` of sample `b` of a `[B, C, z, y, x]` array (of `[B, C, h, w]`: the slice). */
function middleSlice(data: Float32Array, shape: number[], b: number, c: number): { values: Float32Array; w: number; h: number } {
  if (shape.length === 4) {
    const [, C, Y, X] = shape as [number, number, number, number];
    const start = (b * C + c) * Y * X;
    return { values: data.subarray(start, start + Y * X), w: X, h: Y };
  }
  const [, C, Z, Y, X] = shape as [number, number, number, number, number];
  const z = Math.floor(Z / 2);
  const start = (((b * C + c) * Z + z) * Y) * X;
  return { values: data.subarray(start, start + Y * X), w: X, h: Y };
}

function grayThumb(data: Float32Array, shape: number[], b: number, c: number): HTMLCanvasElement {
  const { values, w, h: hh } = middleSlice(data, shape, b, c);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) if (v === v) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const img = new ImageData(w, hh);
  values.forEach((v, i) => {
    const g = v === v && hi > lo ? Math.round((255 * (v - lo)) / (hi - lo)) : 0;
    img.data.set(v === v ? [g, g, g, 255] : [40, 20, 20, 255], i * 4);
  });
  return toCanvas(img);
}

function labelThumb(data: Float32Array, shape: number[], b: number, c: number, color: [number, number, number]): HTMLCanvasElement {
  const { values, w, h: hh } = middleSlice(data, shape, b, c);
  const img = new ImageData(w, hh);
  const on = color.map((x) => Math.round(x * 255));
  values.forEach((v, i) => {
    const x = i % w;
    const y = Math.floor(i / w);
    // NaN (unknown: outside the crop) is hatched.
    const px = v !== v ? ((x + y) % 4 < 2 ? [70, 70, 70] : [30, 30, 30]) : v > 0.5 ? on : [0, 0, 0];
    img.data.set([px[0]!, px[1]!, px[2]!, 255], i * 4);
  });
  return toCanvas(img);
}

/** A signed distance after tanh, [-1, 1], on the figure's diverging scale; NaN hatched. */
function distanceThumb(data: Float32Array, shape: number[], b: number, c: number): HTMLCanvasElement {
  const { values, w, h: hh } = middleSlice(data, shape, b, c);
  const img = new ImageData(w, hh);
  values.forEach((v, i) => {
    const x = i % w;
    const y = Math.floor(i / w);
    const px = v !== v ? ((x + y) % 4 < 2 ? [70, 70, 70] : [30, 30, 30]) : divergingColormap(Math.min(1, Math.max(0, (v + 1) / 2)));
    img.data.set([px[0]!, px[1]!, px[2]!, 255], i * 4);
  });
  return toCanvas(img);
}

function toCanvas(img: ImageData): HTMLCanvasElement {
  const c = h("canvas", { width: img.width, height: img.height });
  c.style.width = `${THUMB}px`;
  c.style.height = `${(THUMB * img.height) / img.width}px`;
  c.getContext("2d")!.putImageData(img, 0, 0);
  return c;
}

/** An augmentation matrix in one line (rows z · y · x), flagged when it mirrors (det < 0). */
function describeMatrix(A: ArrayLike<number>): string {
  const det = A[0]! * (A[4]! * A[8]! - A[5]! * A[7]!) - A[1]! * (A[3]! * A[8]! - A[5]! * A[6]!) + A[2]! * (A[3]! * A[7]! - A[4]! * A[6]!);
  const rows = [0, 1, 2].map((r) => [0, 1, 2].map((c) => short(A[r * 3 + c]!)).join(" ")).join(" · ");
  return `A ${rows}${det < 0 ? " (mirrors)" : ""}`;
}

function short(x: number): string {
  if (Math.abs(x) < 5e-3) return "0";
  const t = x.toFixed(2).replace(/^(-?)0\./, "$1.").replace(/\.?0+$/, "");
  return t.replace("-", "\u2212");
}

function fmt(x: number): string {
  return Math.abs(x) < 5e-3 ? "0" : x.toFixed(2);
}

/** The config as the TypeScript a training script would write. */
function configAsCode(source: Source, c: SampleConfig): string {
  const crops = source.crops.filter((x) => c.crops.includes(x.name));
  const opts = {
    inputPath: source.rawUrl,
    targetPath: crops.length === 1 ? `${crops[0]!.url}/[${crops[0]!.classes.filter((x) => c.classes.includes(x)).join(",")}]` : "(one dataset per crop)",
    classes: c.classes,
    inputArrays: c.inputArrays,
    targetArrays: c.targetArrays,
    spatialTransforms: c.spatialTransforms,
    valueTransforms: c.valueTransforms,
    ...(c.targetValueTransforms ? { targetValueTransforms: c.targetValueTransforms } : {}),
    isTrain: c.isTrain,
    pad: c.pad,
  };
  const loader = { batchSize: c.batchSize, sampler: c.sampler, seed: c.seed, epoch: c.epoch };
  const open = c.slices2D ? "openSlicedDatasets" : "CellMapDataset.open";
  return `const ds = await ${open}(${JSON.stringify(opts, null, 1)});\nconst loader = new CellMapDataLoader(ds, ${JSON.stringify(loader)});`;
}
