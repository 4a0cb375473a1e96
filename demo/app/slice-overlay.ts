/**
 * The 2D overlay of a slice view, drawn over the WebGPU image: the volume outline, the sampling
 * regions and crops the plane cuts, the other two planes, every drawn sample's boxes where the
 * plane cuts them (in their true, rotated orientation) and a scale bar.
 * @module
 */
import type { Vec3 } from "../../src/index.ts";
import { BOX_COLORS, CROP_COLORS, PLANE_COLORS, REGION_COLOR } from "./colors.ts";
import { cutBox, sampleBox, worldToPixel, type PlaneName, type SliceGeometry } from "./planes.ts";
import type { Source } from "./source.ts";
import type { ViewState } from "./state.ts";

/** A sample box as drawn in a view, in pixels (for tests and tooltips). */
export interface DrawnBox {
  sample: number;
  array: string;
  kind: "input" | "target";
  points: Array<[number, number]>;
}

const OTHER_LINES: Record<PlaneName, Array<{ plane: PlaneName; along: "h" | "v" }>> = {
  // In the xy view, the yz plane is the vertical line x = cx and the xz plane the horizontal y = cy.
  xy: [{ plane: "yz", along: "v" }, { plane: "xz", along: "h" }],
  yz: [{ plane: "xy", along: "v" }, { plane: "xz", along: "h" }],
  xz: [{ plane: "yz", along: "v" }, { plane: "xy", along: "h" }],
};

/** Draw the overlay of one frame; returns the sample boxes it drew, in pixels. */
export function drawOverlay(ctx: CanvasRenderingContext2D, g: SliceGeometry, s: Readonly<ViewState>, source: Source): DrawnBox[] {
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
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
  const b = source.bounds;
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
  source.crops.forEach((c, i) => {
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
  for (const line of OTHER_LINES[g.plane]) {
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
  const boxes: DrawnBox[] = [];
  for (const smp of s.samples) {
    const selected = smp.index === s.selected;
    for (const a of smp.arrays) {
      const box = sampleBox(smp.center, smp.augment, a.shape, a.scale);
      const poly = cutBox(box, n, g.center[n], g.axes);
      if (poly.length < 3) continue;
      const pts = poly.map(toPx);
      boxes.push({ sample: smp.index, array: a.name, kind: a.kind, points: pts.map(([x, y]) => [x - 0.5, y - 0.5]) });
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
  return boxes;
}

/** A number for labels: integers as they are, others with 1 or 2 decimals. */
export function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(Math.abs(x) < 10 ? 2 : 1);
}
