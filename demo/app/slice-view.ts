/**
 * One orthogonal slice view: the WebGPU-rendered image (see slice-renderer.ts), a 2D overlay on
 * top (crosshair, crops, sampling regions, sample boxes, scale bar), and the mouse: drag to pan,
 * click to set the center, wheel to move through slices, ctrl/cmd + wheel to zoom.
 * @module
 */
import type { Vec3 } from "../../src/index.ts";
import { PLANE_COLORS } from "./colors.ts";
import { drawOverlay, fmt, type DrawnBox } from "./slice-overlay.ts";
import { AXIS_NAMES, PLANES, pixelToWorld, sliceOutput, type PlaneName, type SliceGeometry } from "./planes.ts";
import { SliceRenderer, type LabelPlane, type PresentMode, type SliceStyle } from "./slice-renderer.ts";
import type { Source } from "./source.ts";
import type { Store, ViewState } from "./state.ts";


/** What the header shows about the level being read. */
export interface LevelInfo {
  index: number;
  path: string;
  scale: Vec3;
}


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
    if (ctx) this.#boxes = drawOverlay(ctx, g, this.#store.state, this.#source);
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

export type { DrawnBox, ViewState };
