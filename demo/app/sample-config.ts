/**
 * The sample panel's form: arrays (shape, scale), classes, crops, spatial and value transforms,
 * sampler, batch size and seed, turned into the options of `CellMapDataset.open` and
 * `CellMapDataLoader` (the same shapes a training script passes).
 * @module
 */
import type { SpatialTransformsConfig } from "../../src/index.ts";
import type { ValueTransformSpec } from "../../src/index.ts";
import type { SamplerKind } from "../../src/index.ts";
import type { ArraySpec } from "../../src/index.ts";
import type { Vec3 } from "../../src/index.ts";
import { h, numberInput } from "./dom.ts";
import type { Source } from "./source.ts";

/** Everything the panel configures. */
export interface SampleConfig {
  inputArrays: Record<string, ArraySpec>;
  targetArrays: Record<string, ArraySpec>;
  classes: string[];
  crops: string[];
  isTrain: boolean;
  spatialTransforms: SpatialTransformsConfig;
  valueTransforms: { raw: ValueTransformSpec };
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
  const isTrain = h("input", { type: "checkbox", checked: true, id: "is-train" });
  const mirror = AXES.map((a) => numberInput(a === "z" ? 0 : 0.5, { id: `mirror-${a}`, min: "0", max: "1", step: "0.1", "aria-label": `mirror ${a}` }));
  const transpose = AXES.map((a) => h("input", { type: "checkbox", checked: a !== "z", id: `transpose-${a}`, "aria-label": `transpose ${a}` }));
  const rotate = AXES.map((a) => [
    numberInput(a === "z" ? -180 : 0, { id: `rotate-${a}-min`, step: "1", "aria-label": `rotate ${a} min` }),
    numberInput(a === "z" ? 180 : 0, { id: `rotate-${a}-max`, step: "1", "aria-label": `rotate ${a} max` }),
  ] as const);
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
      row("gt shape", ...gtShape), row("gt scale", ...gtScale)),
    h("fieldset", {}, h("legend", {}, "classes and crops"),
      h("div", { class: "row" }, ...classBoxes.flatMap((b) => [b, h("label", { for: b.id }, b.value)])),
      h("div", { class: "row" }, ...cropBoxes.flatMap((b) => [b, h("label", { for: b.id }, b.value)])),
      h("div", { class: "row" }, pad, h("label", { for: "pad" }, "pad (samples may hang over the crop's edge)"))),
    h("fieldset", {}, h("legend", {}, "spatial transforms"),
      h("div", { class: "row" }, isTrain, h("label", { for: "is-train" }, "apply (isTrain)")),
      row("mirror p", ...mirror),
      row("transpose", ...transpose.flatMap((b, k) => [b, h("label", { for: b.id }, AXES[k]!)])),
      ...rotate.map(([lo, hi], k) => row(`rotate ${AXES[k]}°`, lo, h("span", { class: "muted" }, "to"), hi))),
    h("fieldset", {}, h("legend", {}, "value transforms (raw)"),
      h("div", { class: "row" }, normalize, h("label", { for: "vt-normalize" }, "normalize [0, 255] → [0, 1]")),
      row("noise std", noise),
      h("div", { class: "row" }, contrastOn, h("label", { for: "vt-contrast" }, "contrast"), ...contrast)),
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
          inputArrays: { raw: { shape: vec(rawShape, "raw shape", true), scale: vec(rawScale, "raw scale", false) } },
          targetArrays: { gt: { shape: vec(gtShape, "gt shape", true), scale: vec(gtScale, "gt scale", false) } },
          classes,
          crops,
          isTrain: isTrain.checked,
          spatialTransforms: spatial,
          valueTransforms: { raw: value },
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
  return JSON.stringify([c.inputArrays, c.targetArrays, c.classes, c.crops, c.isTrain, c.spatialTransforms, c.valueTransforms, c.pad]);
}
