/**
 * The labels panel: one toggle per class (with its colour and the crops that annotate it), the
 * overlay opacity and the raw contrast window.
 * @module
 */
import { classColor, css } from "./colors.ts";
import { h } from "./dom.ts";
import type { Source } from "./source.ts";
import type { Store } from "./state.ts";

export function mountLayersPanel(root: HTMLElement, source: Source, store: Store): void {
  if (source.classes.length === 0) {
    root.append(h("p", { class: "muted" }, source.root
      ? "No crops found. Add ?crops=crop1,crop2 to the page URL to overlay ground-truth crops."
      : "This image has no CellMap labels."));
  }
  for (const cls of source.classes) {
    const crops = source.crops.filter((c) => c.classes.includes(cls)).map((c) => c.name);
    const box = h("input", { type: "checkbox", checked: store.state.shown.has(cls), "data-class": cls, id: `layer-${cls}` });
    box.addEventListener("change", () => {
      const shown = new Set(store.state.shown);
      if (box.checked) shown.add(cls);
      else shown.delete(cls);
      store.set({ shown });
    });
    root.append(h("div", { class: "layer row" },
      box,
      h("label", { for: `layer-${cls}` }, h("span", { class: "swatch", style: `background:${css(classColor(cls))}` }), cls),
      h("span", { class: "muted" }, crops.join(", "))));
  }
  const opacity = h("input", { type: "range", min: "0", max: "1", step: "0.05", value: String(store.state.opacity), id: "opacity" });
  opacity.addEventListener("input", () => store.set({ opacity: Number(opacity.value) }));
  root.append(h("div", { class: "row" }, h("label", { for: "opacity" }, "opacity"), opacity));
  const lo = h("input", { type: "number", value: String(store.state.window[0]), id: "window-lo", step: "1" });
  const hi = h("input", { type: "number", value: String(store.state.window[1]), id: "window-hi", step: "1" });
  const onWindow = () => {
    const a = Number(lo.value);
    const b = Number(hi.value);
    if (Number.isFinite(a) && Number.isFinite(b) && b > a) store.set({ window: [a, b] });
  };
  lo.addEventListener("change", onWindow);
  hi.addEventListener("change", onWindow);
  root.append(h("div", { class: "row" }, h("label", {}, "raw window"), lo, h("span", { class: "muted" }, "to"), hi));
}
