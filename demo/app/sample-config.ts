/**
 * The sample panel's form: arrays (shape, scale, 3D or 2D slices), classes, crops, spatial
 * transforms (with elastic deformation), raw and target value transforms, sampler, batch size and
 * seed, turned into the options of `CellMapDataset.open` (or `openSlicedDatasets`) and
 * `CellMapDataLoader` (the same shapes a training script passes).
 * @module
 */
import type { SpatialTransformsConfig } from "../../src/index.ts";
import type { ValueTransformSpec } from "../../src/index.ts";
import type { SamplerKind } from "../../src/index.ts";
import type { ArrayRequest } from "../../src/index.ts";
import type { Vec3 } from "../../src/index.ts";
import { h, numberInput } from "./dom.ts";
import type { Source } from "./source.ts";

/** Everything the panel configures. */
export interface SampleConfig {
  /** 3D shapes `[z, y, x]`, or 2D `[h, w]` (from the y and x fields) when `slices2D`. */
  inputArrays: Record<string, ArrayRequest>;
  targetArrays: Record<string, ArrayRequest>;
  /** Read 2D slices along z, y and x (`openSlicedDatasets`) instead of 3D patches. */
  slices2D: boolean;
  classes: string[];
  crops: string[];
  isTrain: boolean;
  spatialTransforms: SpatialTransformsConfig;
  valueTransforms: { raw: ValueTransformSpec };
  /** One spec for every class (`targetValueTransforms`), or undefined for the plain labels. */
  targetValueTransforms: ValueTransformSpec | undefined;
  pad: boolean;
  sampler: SamplerKind;
  batchSize: number;
  seed: number;
  epoch: number;
}

const AXES = ["z", "y", "x"] as const;

/** The form and a getter for the current config (null with a message when a field is invalid). */
export interface ConfigForm {
  element: HTMLElement;
  read(): { config: SampleConfig; error?: undefined } | { config?: undefined; error: string };
  onChange(f: () => void): void;
}

function vecInputs(id: string, v: Vec3, attrs: Record<string, string> = {}): HTMLInputElement[] {
  return v.map((x, k) => numberInput(x, { id: `${id}-${AXES[k]}`, "aria-label": `${id} ${AXES[k]}`, ...attrs }));
}

export function createConfigForm(source: Source): ConfigForm {
  const listeners: Array<() => void> = [];
  const changed = () => listeners.forEach((f) => f());
  const rawShape = vecInputs("raw-shape", [16, 48, 48], { min: "1", step: "1" });
  const rawScale = vecInputs("raw-scale", [8, 8, 8], { min: "0.1", step: "any" });
  const gtShape = vecInputs("gt-shape", [16, 32, 32], { min: "1", step: "1" });
  const gtScale = vecInputs("gt-scale", [8, 8, 8], { min: "0.1", step: "any" });
  const classBoxes = source.classes.map((c) => h("input", { type: "checkbox", checked: true, value: c, "data-sample-class": c, id: `sample-class-${c}` }));
  const cropBoxes = source.crops.map((c) => h("input", { type: "checkbox", checked: true, value: c.name, "data-sample-crop": c.name, id: `sample-crop-${c.name}` }));
  const slices2D = h("input", { type: "checkbox", id: "slices-2d" });
  const isTrain = h("input", { type: "checkbox", checked: true, id: "is-train" });
  const mirror = AXES.map((a) => numberInput(a === "z" ? 0 : 0.5, { id: `mirror-${a}`, min: "0", max: "1", step: "0.1", "aria-label": `mirror ${a}` }));
  const transpose = AXES.map((a) => h("input", { type: "checkbox", checked: a !== "z", id: `transpose-${a}`, "aria-label": `transpose ${a}` }));
  const rotate = AXES.map((a) => [
    numberInput(a === "z" ? -180 : 0, { id: `rotate-${a}-min`, step: "1", "aria-label": `rotate ${a} min` }),
    numberInput(a === "z" ? 180 : 0, { id: `rotate-${a}-max`, step: "1", "aria-label": `rotate ${a} max` }),
  ] as const);
  const deformOn = h("input", { type: "checkbox", id: "deform" });
  const deformSpacing = numberInput(160, { id: "deform-spacing", min: "1", step: "any", "aria-label": "deform spacing" });
  const deformMagnitude = numberInput(24, { id: "deform-magnitude", min: "0", step: "any", "aria-label": "deform magnitude" });
  const deformP = numberInput(1, { id: "deform-p", min: "0", max: "1", step: "0.1", "aria-label": "deform probability" });
  const targetTransform = h("select", { id: "target-transform" }, h("option", { value: "none" }, "labels (none)"), h("option", { value: "signedDistance" }, "signed distance, tanh"));
  const tanhScale = numberInput(40, { id: "tanh-scale", min: "0.1", step: "any", "aria-label": "tanh scale" });
  const normalize = h("input", { type: "checkbox", checked: true, id: "vt-normalize" });
  const noise = numberInput(0.03, { id: "vt-noise", min: "0", step: "0.01", "aria-label": "noise std" });
  const contrast = [numberInput(0.8, { id: "vt-contrast-min", step: "0.05" }), numberInput(1.25, { id: "vt-contrast-max", step: "0.05" })];
  const contrastOn = h("input", { type: "checkbox", checked: true, id: "vt-contrast" });
  const pad = h("input", { type: "checkbox", checked: true, id: "pad" });
  const sampler = h("select", { id: "sampler" }, ...(["random", "sequential", "weighted", "classBalanced"] as const).map((s) => h("option", { value: s }, s)));
  const batchSize = numberInput(6, { id: "batch-size", min: "1", max: "64", step: "1" });
  const seed = numberInput(1, { id: "seed", step: "1" });
  const epoch = numberInput(0, { id: "epoch", min: "0", step: "1" });

  const row = (label: string, ...children: Array<Node | string>) => h("div", { class: "row" }, h("label", {}, label), ...children);
  const element = h("div", { class: "sample-form" },
    h("fieldset", {}, h("legend", {}, "arrays (z, y, x)"),
      row("raw shape", ...rawShape), row("raw scale", ...rawScale),
      row("gt shape", ...gtShape), row("gt scale", ...gtScale),
      h("div", { class: "row" }, slices2D, h("label", { for: "slices-2d" }, "2D slices [h, w] = (y, x) along z, y, x (openSlicedDatasets)"))),
    h("fieldset", {}, h("legend", {}, "classes and crops"),
      h("div", { class: "row" }, ...classBoxes.flatMap((b) => [b, h("label", { for: b.id }, b.value)])),
      h("div", { class: "row" }, ...cropBoxes.flatMap((b) => [b, h("label", { for: b.id }, b.value)])),
      h("div", { class: "row" }, pad, h("label", { for: "pad" }, "pad (samples may hang over the crop's edge)"))),
    h("fieldset", {}, h("legend", {}, "spatial transforms"),
      h("div", { class: "row" }, isTrain, h("label", { for: "is-train" }, "apply (isTrain)")),
      row("mirror p", ...mirror),
      row("transpose", ...transpose.flatMap((b, k) => [b, h("label", { for: b.id }, AXES[k]!)])),
      ...rotate.map(([lo, hi], k) => row(`rotate ${AXES[k]}°`, lo, h("span", { class: "muted" }, "to"), hi)),
      h("div", { class: "row" }, deformOn, h("label", { for: "deform" }, "elastic deformation")),
      row("spacing nm", deformSpacing, h("span", { class: "muted" }, "magnitude"), deformMagnitude, h("span", { class: "muted" }, "p"), deformP)),
    h("fieldset", {}, h("legend", {}, "value transforms (raw)"),
      h("div", { class: "row" }, normalize, h("label", { for: "vt-normalize" }, "normalize [0, 255] → [0, 1]")),
      row("noise std", noise),
      h("div", { class: "row" }, contrastOn, h("label", { for: "vt-contrast" }, "contrast"), ...contrast)),
    h("fieldset", {}, h("legend", {}, "target transforms (every class)"),
      row("target", targetTransform), row("tanh scale nm", tanhScale)),
    h("fieldset", {}, h("legend", {}, "loader"),
      row("sampler", sampler), row("batch size", batchSize), row("seed", seed), row("epoch", epoch)));
  element.addEventListener("input", changed);
  element.addEventListener("change", changed);

  const num = (el: HTMLInputElement, name: string, check: (x: number) => boolean, what: string): number => {
    const v = Number(el.value);
    if (el.value.trim() === "" || !Number.isFinite(v) || !check(v)) throw new Error(`${name} ${what} (got "${el.value}")`);
    return v;
  };
  const vec = (els: HTMLInputElement[], name: string, int: boolean): Vec3 =>
    els.map((e, k) => num(e, `${name} ${AXES[k]}`, (x) => x > 0 && (!int || Number.isInteger(x)), int ? "must be a positive integer" : "must be positive")) as Vec3;
  // 2D: the shape is [h, w], taken from the y and x fields (z is not used).
  const shapeOf = (els: HTMLInputElement[], name: string): Vec3 | [number, number] => {
    if (!slices2D.checked) return vec(els, name, true);
    return els.slice(1).map((e, k) => num(e, `${name} ${AXES[k + 1]}`, (x) => x > 0 && Number.isInteger(x), "must be a positive integer")) as [number, number];
  };
  const sync = () => {
    rawShape[0]!.disabled = gtShape[0]!.disabled = slices2D.checked;
    for (const el of [deformSpacing, deformMagnitude, deformP]) el.disabled = !deformOn.checked;
    tanhScale.disabled = targetTransform.value === "none";
  };
  element.addEventListener("change", sync);
  sync();

  return {
    element,
    onChange: (f) => listeners.push(f),
    read() {
      try {
        const classes = classBoxes.filter((b) => b.checked).map((b) => b.value);
        if (classes.length === 0 && source.classes.length > 0) throw new Error("choose at least one class");
        const crops = cropBoxes.filter((b) => b.checked).map((b) => b.value);
        if (crops.length === 0 && source.crops.length > 0) throw new Error("choose at least one crop");
        const spatial: SpatialTransformsConfig = {};
        const mirrorAxes: Partial<Record<(typeof AXES)[number], number>> = {};
        mirror.forEach((m, k) => {
          const p = num(m, `mirror ${AXES[k]}`, (x) => x >= 0 && x <= 1, "must be a probability in [0, 1]");
          if (p > 0) mirrorAxes[AXES[k]!] = p;
        });
        if (Object.keys(mirrorAxes).length) spatial.mirror = { axes: mirrorAxes };
        const tAxes = AXES.filter((_, k) => transpose[k]!.checked);
        if (tAxes.length >= 2) spatial.transpose = { axes: [...tAxes] };
        const rAxes: Partial<Record<(typeof AXES)[number], readonly [number, number]>> = {};
        rotate.forEach(([lo, hi], k) => {
          const a = num(lo, `rotate ${AXES[k]} min`, () => true, "");
          const b = num(hi, `rotate ${AXES[k]} max`, (x) => x >= a, "must be >= the minimum");
          if (a !== 0 || b !== 0) rAxes[AXES[k]!] = [a, b];
        });
        if (Object.keys(rAxes).length) spatial.rotate = { axes: rAxes };
        if (deformOn.checked) {
          spatial.deform = {
            spacing: num(deformSpacing, "deform spacing", (x) => x > 0, "must be positive"),
            magnitude: num(deformMagnitude, "deform magnitude", (x) => x >= 0, "must be >= 0"),
            p: num(deformP, "deform p", (x) => x >= 0 && x <= 1, "must be a probability in [0, 1]"),
          };
        }
        const targetValue: ValueTransformSpec | undefined = targetTransform.value === "signedDistance"
          ? [{ signedDistance: { tanhScale: num(tanhScale, "tanh scale", (x) => x > 0, "must be positive") } }]
          : undefined;
        const value: ValueTransformSpec = [];
        if (normalize.checked) value.push({ normalize: { range: [0, 255] } });
        const std = num(noise, "noise std", (x) => x >= 0, "must be >= 0");
        if (std > 0) value.push({ gaussianNoise: { std } });
        if (contrastOn.checked) {
          const a = num(contrast[0]!, "contrast min", (x) => x > 0, "must be positive");
          const b = num(contrast[1]!, "contrast max", (x) => x >= a, "must be >= the minimum");
          value.push({ randomContrast: { range: [a, b] } });
        }
        const config: SampleConfig = {
          inputArrays: { raw: { shape: shapeOf(rawShape, "raw shape"), scale: vec(rawScale, "raw scale", false) } },
          targetArrays: { gt: { shape: shapeOf(gtShape, "gt shape"), scale: vec(gtScale, "gt scale", false) } },
          slices2D: slices2D.checked,
          classes,
          crops,
          isTrain: isTrain.checked,
          spatialTransforms: spatial,
          valueTransforms: { raw: value },
          targetValueTransforms: targetValue,
          pad: pad.checked,
          sampler: sampler.value as SamplerKind,
          batchSize: num(batchSize, "batch size", (x) => Number.isInteger(x) && x >= 1 && x <= 64, "must be an integer from 1 to 64"),
          seed: num(seed, "seed", Number.isInteger, "must be an integer"),
          epoch: num(epoch, "epoch", (x) => Number.isInteger(x) && x >= 0, "must be a non-negative integer"),
        };
        return { config };
      } catch (e) {
        return { error: (e as Error).message };
      }
    },
  };
}

/** The part of the config that needs the datasets reopened when it changes. */
export function datasetKey(c: SampleConfig): string {
  return JSON.stringify([c.inputArrays, c.targetArrays, c.slices2D, c.classes, c.crops, c.isTrain, c.spatialTransforms, c.valueTransforms, c.targetValueTransforms ?? null, c.pad]);
}
