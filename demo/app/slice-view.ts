/**
 * One orthogonal slice view: the WebGPU-rendered image (see slice-renderer.ts), a 2D overlay on
 * top (crosshair, crops, sampling regions, sample boxes, scale bar), and the mouse: drag to pan,
 * click to set the center, wheel to move through slices, ctrl/cmd + wheel to zoom.
 * @module
 */
import type { Vec3 } from "../../src/index.ts";
import { BOX_COLORS, CROP_COLORS, PLANE_COLORS, REGION_COLOR } from "./colors.ts";
import { AXIS_NAMES, cutBox, PLANES, pixelToWorld, sampleBox, sliceOutput, worldToPixel, type PlaneName, type SliceGeometry } from "./planes.ts";
import { SliceRenderer, type LabelPlane, type PresentMode, type SliceStyle } from "./slice-renderer.ts";
import type { Source } from "./source.ts";
import type { Store, ViewState } from "./state.ts";

/** A sample box as drawn in a view, in pixels (for tests and tooltips). */
export interface DrawnBox {
  sample: number;
  array: string;
  kind: "input" | "target";
  points: Array<[number, number]>;
}

/** What the header shows about the level being read. */
export interface LevelInfo {
  index: number;
  path: string;
  scale: Vec3;
}

const OTHER_LINES: Record<PlaneName, Array<{ plane: PlaneName; along: "h" | "v" }>> = {
  // In the xy view, the yz plane is the vertical line x = cx and the xz plane the horizontal y = cy.
  xy: [{ plane: "yz", along: "v" }, { plane: "xz", along: "h" }],
  yz: [{ plane: "xy", along: "v" }, { plane: "xz", along: "h" }],
  xz: [{ plane: "yz", along: "v" }, { plane: "xy", along: "h" }],
};

export class SliceView {
  readonly plane: PlaneName;
  readonly element: HTMLElement;
  readonly renderer: SliceRenderer;
  readonly #overlay: HTMLCanvasElement;
  readonly #header: HTMLElement;
  readonly #store: Store;
  readonly #source: Source;
  readonly #labels: LabelPlane[];
  readonly #style: () => SliceStyle;
  readonly #onError: (e: unknown) => void;
  #width = 0;
  #height = 0;
  #busy = false;
  #dirty = false;
  #frame = 0;
  #rendered: SliceGeometry | undefined;
  #boxes: DrawnBox[] = [];
  #idleWaiters: Array<() => void> = [];
  #abort: AbortController | undefined;
  /** Frames drawn so far (tests wait for changes). */
  frames = 0;

  constructor(plane: PlaneName, options: {
    store: Store;
    source: Source;
    labels: LabelPlane[];
    mode: PresentMode;
    style: () => SliceStyle;
    onError: (e: unknown) => void;
  }) {
    this.plane = plane;
    this.#store = options.store;
    this.#source = options.source;
    this.#labels = options.labels;
    this.#style = options.style;
    this.#onError = options.onError;
    this.renderer = new SliceRenderer(options.source.gpu, options.mode, plane);
    this.element = document.createElement("div");
    this.element.className = "view";
    this.element.dataset["plane"] = plane;
    this.element.style.setProperty("--plane-color", PLANE_COLORS[plane]);
    this.#overlay = document.createElement("canvas");
    this.#overlay.className = "slice-overlay";
    this.#header = document.createElement("div");
    this.#header.className = "view-header";
    this.element.append(this.renderer.canvas, this.#overlay, this.#header);
    this.#bindMouse();
    new ResizeObserver(() => this.#resize()).observe(this.element);
  }

  /** The geometry the view asks for now. */
  geometry(): SliceGeometry {
    const s = this.#store.state;
    return { plane: this.plane, axes: PLANES[this.plane], center: [...s.center] as Vec3, pixelSize: s.pixelSize, width: this.#width, height: this.#height };
  }

  /** The geometry of the frame on screen (undefined before the first frame). */
  get rendered(): SliceGeometry | undefined {
    return this.#rendered;
  }

  /** Sample boxes drawn on the overlay, in pixels. */
  get boxes(): readonly DrawnBox[] {
    return this.#boxes;
  }

  /** The raw level the view reads at its zoom. */
  level(g: SliceGeometry = this.geometry()): LevelInfo {
    const out = sliceOutput(g);
    const t = this.#source.raw.transformer({ shape: out.shape, scale: out.scale }, "linear");
    const l = this.#source.raw.levels[t.level]!;
    return { index: t.level, path: l.path, scale: [...l.scale] as Vec3 };
  }

  /** Schedule a frame: resample when the geometry changed, else only recolour. */
  requestRender(): void {
    this.#dirty = true;
    if (this.#busy || this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      void this.#render();
    });
  }

  /** Redraw only the overlay (sample boxes, regions) over the current frame. */
  redrawOverlay(): void {
    if (this.#rendered) this.#drawOverlay(this.#rendered);
  }

  /** True while a frame is being made or waits to be. */
  get pending(): boolean {
    return this.#busy || this.#dirty || this.#frame !== 0 || this.#width === 0;
  }

  /** Resolves when no frame is pending. */
  idle(): Promise<void> {
    if (!this.pending) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async #render(): Promise<void> {
    if (this.#busy) return;
    if (this.#width === 0 || this.#height === 0) return;
    this.#busy = true;
    try {
      while (this.#dirty) {
        this.#dirty = false;
        const g = this.geometry();
        if (!this.renderer.holds(g, this.#labels)) {
          this.#abort = new AbortController();
          await this.renderer.resample(g, this.#source.raw, this.#labels, this.#abort.signal);
          // A newer geometry is waiting: skip drawing this one.
          if (this.#dirty && !sameGeometry(g, this.geometry())) continue;
        }
        await this.renderer.draw(g, this.#style());
        this.#rendered = g;
        this.frames++;
        this.#drawOverlay(g);
        this.#updateHeader(g);
      }
    } catch (e) {
      this.#onError(e);
    } finally {
      this.#busy = false;
      this.#abort = undefined;
      if (this.#dirty) this.requestRender();
      else if (!this.pending) for (const w of this.#idleWaiters.splice(0)) w();
    }
  }

  #resize(): void {
    const r = this.element.getBoundingClientRect();
    // Odd sizes put a pixel center exactly on the view center.
    const odd = (n: number) => Math.max(1, Math.floor(n) - (Math.floor(n) % 2 === 0 ? 1 : 0));
    const w = odd(r.width);
    const h = odd(r.height);
    if (w === this.#width && h === this.#height) return;
    this.#width = w;
    this.#height = h;
    for (const c of [this.renderer.canvas, this.#overlay]) {
      c.style.width = `${w}px`;
      c.style.height = `${h}px`;
    }
    this.#overlay.width = w;
    this.#overlay.height = h;
    this.requestRender();
  }

  #updateHeader(g: SliceGeometry): void {
    const n = g.axes.n;
    const lv = this.level(g);
    const unit = this.#source.raw.multiscale.unit === "nanometer" || this.#source.raw.multiscale.unit === undefined ? "nm" : this.#source.raw.multiscale.unit;
    this.#header.textContent = `${this.plane}  ${AXIS_NAMES[n]} = ${fmt(g.center[n])} ${unit}  ·  ${lv.path} (${lv.scale.map(fmt).join("×")} ${unit})  ·  ${fmt(g.pixelSize)} ${unit}/px`;
    this.element.dataset["level"] = lv.path;
  }

  #drawOverlay(g: SliceGeometry): void {
    const ctx = this.#overlay.getContext("2d");
    if (!ctx) return;
    const s = this.#store.state;
    ctx.clearRect(0, 0, this.#overlay.width, this.#overlay.height);
    ctx.lineWidth = 1;
    const n = g.axes.n;
    const toPx = (p: Readonly<Vec3>) => {
      const [x, y] = worldToPixel(g, p);
      return [x + 0.5, y + 0.5] as [number, number];
    };
    const rect = (lo: Vec3, hi: Vec3) => {
      const [x0, y0] = toPx(lo);
      const [x1, y1] = toPx(hi);
      return [x0, y0, x1 - x0, y1 - y0] as const;
    };
    // Volume outline.
    const b = this.#source.bounds;
    ctx.strokeStyle = "rgba(255,255,255,0.35)";
    ctx.setLineDash([]);
    ctx.strokeRect(...rect(b.lo, b.hi));
    // Sampling regions (where centers can fall) of the crops the plane cuts.
    for (const r of s.regions) {
      if (g.center[n] < r.box.lo[n] || g.center[n] > r.box.hi[n]) continue;
      const [x, y, w, hh] = rect(r.box.lo, r.box.hi);
      ctx.fillStyle = "rgba(125,255,138,0.08)";
      ctx.fillRect(x, y, Math.max(w, 1), Math.max(hh, 1));
      ctx.strokeStyle = REGION_COLOR;
      ctx.setLineDash([2, 3]);
      ctx.strokeRect(x, y, Math.max(w, 1), Math.max(hh, 1));
    }
    // Crops.
    ctx.font = "11px system-ui, sans-serif";
    this.#source.crops.forEach((c, i) => {
      if (g.center[n] < c.bounds.lo[n] || g.center[n] > c.bounds.hi[n]) return;
      ctx.strokeStyle = CROP_COLORS[i % CROP_COLORS.length]!;
      ctx.setLineDash([6, 4]);
      const [x, y, w, hh] = rect(c.bounds.lo, c.bounds.hi);
      ctx.strokeRect(x, y, w, hh);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fillText(c.name, x + 3, y + 12);
    });
    ctx.setLineDash([]);
    // Crosshair: the other two planes.
    const [cx, cy] = toPx(g.center);
    for (const line of OTHER_LINES[this.plane]) {
      ctx.strokeStyle = PLANE_COLORS[line.plane];
      ctx.globalAlpha = 0.6;
      ctx.beginPath();
      if (line.along === "v") {
        ctx.moveTo(cx, 0);
        ctx.lineTo(cx, g.height);
      } else {
        ctx.moveTo(0, cy);
        ctx.lineTo(g.width, cy);
      }
      ctx.stroke();
      ctx.globalAlpha = 1;
    }
    // Sample boxes where the plane cuts them, in their true (rotated) orientation.
    this.#boxes = [];
    for (const smp of s.samples) {
      const selected = smp.index === s.selected;
      for (const a of smp.arrays) {
        const box = sampleBox(smp.center, smp.augment, a.shape, a.scale);
        const poly = cutBox(box, n, g.center[n], g.axes);
        if (poly.length < 3) continue;
        const pts = poly.map(toPx);
        this.#boxes.push({ sample: smp.index, array: a.name, kind: a.kind, points: pts.map(([x, y]) => [x - 0.5, y - 0.5]) });
        ctx.strokeStyle = BOX_COLORS[a.kind];
        ctx.lineWidth = selected ? 2.5 : 1.25;
        ctx.globalAlpha = s.selected < 0 || selected ? 1 : 0.55;
        ctx.beginPath();
        pts.forEach(([x, y], k) => (k === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
        ctx.closePath();
        ctx.stroke();
        if (a.kind === "input") {
          const top = pts.reduce((m, p) => (p[1] < m[1] ? p : m), pts[0]!);
          ctx.fillStyle = BOX_COLORS.input;
          ctx.fillText(String(smp.index), top[0] + 2, top[1] - 3);
        }
        ctx.globalAlpha = 1;
        ctx.lineWidth = 1;
      }
      // Mark the center when the plane passes within half a pixel of it.
      if (Math.abs(smp.center[n] - g.center[n]) <= g.pixelSize / 2) {
        const [x, y] = toPx(smp.center);
        ctx.fillStyle = BOX_COLORS.input;
        ctx.fillRect(x - 1.5, y - 1.5, 3, 3);
      }
    }
    // Scale bar.
    const target = g.width * g.pixelSize / 5;
    const nice = 10 ** Math.floor(Math.log10(target));
    const len = [5, 2, 1].map((m) => m * nice).find((l) => l <= target) ?? nice;
    const px = len / g.pixelSize;
    ctx.fillStyle = "rgba(255,255,255,0.85)";
    ctx.fillRect(10, g.height - 14, px, 3);
    ctx.fillText(`${fmt(len)} nm`, 10, g.height - 18);
  }

  #bindMouse(): void {
    const el = this.#overlay;
    let drag: { x: number; y: number; center: Vec3; moved: boolean; id: number } | undefined;
    el.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      el.setPointerCapture(e.pointerId);
      drag = { x: e.clientX, y: e.clientY, center: [...this.#store.state.center] as Vec3, moved: false, id: e.pointerId };
    });
    el.addEventListener("pointermove", (e) => {
      if (!drag || e.pointerId !== drag.id) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 3) return;
      drag.moved = true;
      const { h, v } = PLANES[this.plane];
      const p = this.#store.state.pixelSize;
      const c = [...drag.center] as Vec3;
      c[h] -= dx * p;
      c[v] -= dy * p;
      this.#store.set({ center: c });
    });
    const end = (e: PointerEvent) => {
      if (!drag || e.pointerId !== drag.id) return;
      const wasClick = !drag.moved;
      drag = undefined;
      if (!wasClick) return;
      const g = this.#rendered ?? this.geometry();
      const r = el.getBoundingClientRect();
      const world = pixelToWorld(g, e.clientX - r.left - 0.5, e.clientY - r.top - 0.5);
      this.#store.set({ center: world });
    };
    el.addEventListener("pointerup", end);
    el.addEventListener("pointercancel", () => (drag = undefined));
    el.addEventListener("wheel", (e) => {
      e.preventDefault();
      const sign = Math.sign(e.deltaY);
      if (sign === 0) return;
      if (e.ctrlKey || e.metaKey) {
        this.#store.set({ pixelSize: clampZoom(this.#source, this.#store.state.pixelSize * (sign > 0 ? 1.25 : 0.8)) });
        return;
      }
      // One voxel of the level being read along the normal.
      const n = PLANES[this.plane].n;
      const step = this.level().scale[n];
      const c = [...this.#store.state.center] as Vec3;
      c[n] = snapToVoxel(this.#source, n, c[n] + sign * step, this.level().index);
      this.#store.set({ center: c });
    }, { passive: false });
  }

  /** Cancel chunk reads in flight (the next frame starts over). */
  abort(): void {
    this.#abort?.abort();
  }

  destroy(): void {
    this.abort();
    this.renderer.destroy();
    this.element.remove();
  }
}

function sameGeometry(a: SliceGeometry, b: SliceGeometry): boolean {
  return a.pixelSize === b.pixelSize && a.width === b.width && a.height === b.height && a.center.every((x, i) => x === b.center[i]);
}

/** Move a coordinate onto the nearest voxel center of a level along one axis. */
export function snapToVoxel(source: Source, axis: number, value: number, level: number): number {
  const l = source.raw.levels[level]!;
  const s = l.scale[axis]!;
  const t = l.translation[axis]!;
  const i = Math.round((value - t) / s);
  const max = l.shape[axis]! - 1;
  return t + Math.min(max, Math.max(0, i)) * s;
}

/** Keep the zoom between an eighth of the finest voxel and the whole volume in ~16 pixels. */
export function clampZoom(source: Source, pixelSize: number): number {
  const finest = Math.min(...source.raw.levels[0]!.scale);
  const b = source.bounds;
  const extent = Math.max(...[0, 1, 2].map((k) => b.hi[k]! - b.lo[k]!));
  return Math.min(extent / 16, Math.max(finest / 8, pixelSize));
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(Math.abs(x) < 10 ? 2 : 1);
}

export type { ViewState };
