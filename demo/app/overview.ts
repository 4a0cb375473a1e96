/**
 * The overview: the whole volume in three projections laid out like the slice views (xy, yz to
 * its right, xz below), with the crops, the regions where sample centers can fall, the drawn
 * samples' centers, the current center and what each view shows. Click to move the center.
 * @module
 */
import type { Vec3 } from "../../src/index.ts";
import { BOX_COLORS, CROP_COLORS, PLANE_COLORS, REGION_COLOR } from "./colors.ts";
import { h } from "./dom.ts";
import { PLANES, type PlaneName } from "./planes.ts";
import type { Source } from "./source.ts";
import type { Store } from "./state.ts";

interface Panel {
  plane: PlaneName;
  x: number;
  y: number;
  w: number;
  hgt: number;
}

export class Overview {
  readonly element: HTMLElement;
  readonly #canvas: HTMLCanvasElement;
  readonly #source: Source;
  readonly #store: Store;
  #panels: Panel[] = [];
  #scale = 1;
  /** Extents (world, h/v) of what each slice view shows, set by the app. */
  viewExtents: Partial<Record<PlaneName, { width: number; height: number }>> = {};

  constructor(source: Source, store: Store) {
    this.#source = source;
    this.#store = store;
    this.#canvas = h("canvas", { class: "overview-canvas" });
    this.element = h("div", { class: "overview" }, this.#canvas, h("div", { class: "overview-header" }, "overview · crops, sampling regions, sample centers"));
    new ResizeObserver(() => this.draw()).observe(this.element);
    this.#canvas.addEventListener("click", (e) => this.#click(e));
  }

  #layout(w: number, hh: number): void {
    const b = this.#source.bounds;
    const ext = [0, 1, 2].map((k) => b.hi[k]! - b.lo[k]!) as Vec3;
    const gap = 14;
    const top = 34;
    const s = Math.min((w - 3 * gap) / (ext[2] + ext[0]), (hh - top - 2 * gap) / (ext[1] + ext[0]));
    this.#scale = Math.max(1e-9, s);
    const X = ext[2] * s;
    const Y = ext[1] * s;
    const Z = ext[0] * s;
    this.#panels = [
      { plane: "xy", x: gap, y: top, w: X, hgt: Y },
      { plane: "yz", x: 2 * gap + X, y: top, w: Z, hgt: Y },
      { plane: "xz", x: gap, y: top + gap + Y, w: X, hgt: Z },
    ];
  }

  /** Canvas position of a world point in a panel. */
  #toPx(p: Panel, world: Readonly<Vec3>): [number, number] {
    const a = PLANES[p.plane];
    const lo = this.#source.bounds.lo;
    return [p.x + (world[a.h] - lo[a.h]!) * this.#scale, p.y + (world[a.v] - lo[a.v]!) * this.#scale];
  }

  draw(): void {
    const r = this.element.getBoundingClientRect();
    const w = Math.max(1, Math.floor(r.width));
    const hh = Math.max(1, Math.floor(r.height));
    if (this.#canvas.width !== w || this.#canvas.height !== hh) {
      this.#canvas.width = w;
      this.#canvas.height = hh;
      this.#canvas.style.width = `${w}px`;
      this.#canvas.style.height = `${hh}px`;
    }
    this.#layout(w, hh);
    const ctx = this.#canvas.getContext("2d");
    if (!ctx) return;
    const s = this.#store.state;
    ctx.clearRect(0, 0, w, hh);
    ctx.font = "10px system-ui, sans-serif";
    const box = (p: Panel, lo: Readonly<Vec3>, hi: Readonly<Vec3>) => {
      const [x0, y0] = this.#toPx(p, lo);
      const [x1, y1] = this.#toPx(p, hi);
      return [x0, y0, Math.max(1, x1 - x0), Math.max(1, y1 - y0)] as const;
    };
    for (const p of this.#panels) {
      const a = PLANES[p.plane];
      ctx.save();
      ctx.beginPath();
      ctx.rect(p.x - 1, p.y - 1, p.w + 2, p.hgt + 2);
      ctx.clip();
      ctx.fillStyle = "#20262e";
      ctx.fillRect(...box(p, this.#source.bounds.lo, this.#source.bounds.hi));
      // Sampling regions.
      for (const reg of s.regions) {
        ctx.fillStyle = "rgba(125,255,138,0.22)";
        ctx.fillRect(...box(p, reg.box.lo, reg.box.hi));
        ctx.strokeStyle = REGION_COLOR;
        ctx.setLineDash([2, 2]);
        ctx.strokeRect(...box(p, reg.box.lo, reg.box.hi));
      }
      ctx.setLineDash([]);
      // Crops.
      this.#source.crops.forEach((c, i) => {
        ctx.strokeStyle = CROP_COLORS[i % CROP_COLORS.length]!;
        ctx.strokeRect(...box(p, c.bounds.lo, c.bounds.hi));
      });
      // What each view shows, and the planes through the center.
      const [cx, cy] = this.#toPx(p, s.center);
      const view = this.viewExtents[p.plane];
      if (view) {
        ctx.strokeStyle = PLANE_COLORS[p.plane];
        ctx.globalAlpha = 0.8;
        const vw = view.width * this.#scale;
        const vh = view.height * this.#scale;
        ctx.strokeRect(cx - vw / 2, cy - vh / 2, vw, vh);
        ctx.globalAlpha = 1;
      }
      ctx.globalAlpha = 0.7;
      for (const [plane, along] of [[a.h === 2 ? "yz" : "xy", "v"], [a.v === 1 ? "xz" : "xy", "h"]] as Array<[PlaneName, "h" | "v"]>) {
        ctx.strokeStyle = PLANE_COLORS[plane];
        ctx.beginPath();
        if (along === "v") {
          ctx.moveTo(cx, p.y);
          ctx.lineTo(cx, p.y + p.hgt);
        } else {
          ctx.moveTo(p.x, cy);
          ctx.lineTo(p.x + p.w, cy);
        }
        ctx.stroke();
      }
      ctx.globalAlpha = 1;
      // Drawn sample centers.
      for (const smp of s.samples) {
        const [x, y] = this.#toPx(p, smp.center);
        ctx.fillStyle = smp.index === s.selected ? "#ffffff" : BOX_COLORS.input;
        ctx.beginPath();
        ctx.arc(x, y, smp.index === s.selected ? 3 : 2, 0, 2 * Math.PI);
        ctx.fill();
      }
      ctx.restore();
      ctx.fillStyle = "#8b95a3";
      ctx.fillText(p.plane, p.x, p.y - 3);
    }
    // Legend.
    // Legend, in the free corner below the yz projection.
    const lx = this.#panels[1]?.x ?? 0;
    let ly = (this.#panels[2]?.y ?? 0) + 10;
    const line = (color: string, text: string, dash = false) => {
      ctx.strokeStyle = color;
      ctx.setLineDash(dash ? [2, 2] : []);
      ctx.strokeRect(lx, ly - 8, 10, 8);
      ctx.setLineDash([]);
      ctx.fillStyle = "#d9dee5";
      ctx.fillText(text, lx + 14, ly);
      ly += 14;
    };
    this.#source.crops.forEach((c, i) => line(CROP_COLORS[i % CROP_COLORS.length]!, `${c.name} (${c.classes.join(", ")})`));
    if (s.regions.length) {
      const n = s.regions.reduce((a, r) => a + r.count, 0);
      line(REGION_COLOR, `sample centers: ${n.toLocaleString()}`, true);
    }
    if (s.samples.length) {
      ctx.fillStyle = BOX_COLORS.input;
      ctx.fillRect(lx + 3, ly - 6, 4, 4);
      ctx.fillStyle = "#d9dee5";
      ctx.fillText(`${s.samples.length} drawn samples`, lx + 14, ly);
    }
  }

  #click(e: MouseEvent): void {
    const r = this.#canvas.getBoundingClientRect();
    const x = e.clientX - r.left;
    const y = e.clientY - r.top;
    const p = this.#panels.find((q) => x >= q.x && x <= q.x + q.w && y >= q.y && y <= q.y + q.hgt);
    if (!p) return;
    const a = PLANES[p.plane];
    const lo = this.#source.bounds.lo;
    const c = [...this.#store.state.center] as Vec3;
    c[a.h] = lo[a.h]! + (x - p.x) / this.#scale;
    c[a.v] = lo[a.v]! + (y - p.y) / this.#scale;
    this.#store.set({ center: c });
  }
}
