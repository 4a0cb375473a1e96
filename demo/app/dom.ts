/** Tiny DOM helpers: the app uses plain DOM, no framework. */

type Attrs = Record<string, string | number | boolean | undefined>;

/** Create an element with attributes (`class`, `data-*`, properties such as `value`) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === "class") el.className = String(v);
    else if (k.startsWith("data-") || k.startsWith("aria-") || k === "for" || k === "role") el.setAttribute(k, String(v));
    else if (k in el) (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, String(v));
  }
  el.append(...children);
  return el;
}

/** The element with this id, typed; throws when the page lacks it. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

/** Bytes as B / KiB / MiB / GiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** A number input bound to a value. */
export function numberInput(value: number, attrs: Attrs = {}): HTMLInputElement {
  return h("input", { type: "number", value: String(value), ...attrs });
}
