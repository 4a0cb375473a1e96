/**
 * `window.__cellmap`: a small read-mostly handle for the end-to-end tests (and the console): the
 * slice geometry, so a test can map a voxel to its pixel; the pixels on screen; the drawn batch
 * (its arrays' values and its figure's layout); and a promise that settles when nothing is
 * rendering or streaming.
 * @module
 */
import type { Vec3 } from "../../src/index.ts";
import type { App } from "./app.ts";
import type { DrawnBatch } from "./batch-source.ts";
import { pixelToWorld, worldToPixel, type PlaneName } from "./planes.ts";

export interface CellMapHook {
  /** "starting", "ready" or "error". */
  status: string;
  /** The error message shown, when status is "error". */
  error?: string;
  app?: App;
  /** Resolves when the views are drawn and no chunk is in flight. */
  ready(): Promise<void>;
  /** Geometry of the frame on screen: center (z, y, x world), pixel size, size, axes, level. */
  geometry(plane: PlaneName): { center: Vec3; pixelSize: number; width: number; height: number; axes: { h: number; v: number; n: number }; level: string; frames: number } | undefined;
  worldToPixel(plane: PlaneName, world: Vec3): [number, number];
  pixelToWorld(plane: PlaneName, px: number, py: number): Vec3;
  /** RGBA of the slice image (without the 2D overlay), row-major, base64, from the canvas on screen. */
  pixels(plane: PlaneName): { width: number; height: number; rgba: string };
  setCenter(center: Vec3): void;
  setPixelSize(pixelSize: number): void;
  /** The drawn batch: per sample its center, matrix and the boxes drawn in each view (pixels). */
  batch(): {
    count: number;
    /** Each array's batch shape (`[B, C, z, y, x]`, or `[B, C, h, w]` for 2D slices). */
    shapes: Record<string, number[]>;
    samples: Array<{ index: number; crop: string; center: Vec3; augment: number[] | null; slicingAxis: string | null; deformed: boolean; targets: Record<string, { present: number; absent: number; unknown: number }> }>;
    boxes: Record<PlaneName, Array<{ sample: number; array: string; points: Array<[number, number]> }>>;
  } | undefined;
  /** The values of one sample of a batch array (`[C, ...]`, C order), as the loader gave them. */
  sampleArray(index: number, name: string): { shape: number[]; data: number[] } | undefined;
  /** The batch figure's size and columns (what the saved PNG shows). */
  figure(): { width: number; height: number; columns: Array<{ title: string; x: number; width: number }>; rows: Array<{ y: number; height: number }> } | undefined;
  cacheStats(): Record<string, number>;
}

declare global {
  interface Window {
    __cellmap: CellMapHook;
  }
}

/** Per target class of one sample: voxels present (1), absent (0) and unknown (NaN), over every target array. */
function targetSummary(d: DrawnBatch, b: number): Record<string, { present: number; absent: number; unknown: number }> {
  const out: Record<string, { present: number; absent: number; unknown: number }> = {};
  for (const name of d.targets) {
    const a = d.batch[name]!;
    const C = a.shape[1]!;
    const V = a.data.length / (a.shape[0]! * C);
    d.classes.forEach((cls, c) => {
      const e = (out[cls] ??= { present: 0, absent: 0, unknown: 0 });
      for (const v of a.data.subarray((b * C + c) * V, (b * C + c + 1) * V)) {
        if (v !== v) e.unknown++;
        else if (v > 0.5) e.present++;
        else e.absent++;
      }
    });
  }
  return out;
}

export function installHook(): CellMapHook {
  let app: App | undefined;
  const need = (): App => {
    if (!app) throw new Error("the app has not started");
    return app;
  };
  const hook: CellMapHook = {
    status: "starting",
    async ready() {
      const a = need();
      for (;;) {
        await Promise.all(Object.values(a.views).map((v) => v.idle()));
        await new Promise((r) => setTimeout(r, 50));
        const t = a.arrays.totals();
        if (t.requestsInFlight === 0 && !a.samplePanel.busy && Object.values(a.views).every((v) => !v.pending)) return;
      }
    },
    geometry(plane) {
      const v = need().views[plane];
      const g = v.rendered;
      if (!g) return undefined;
      return { center: [...g.center] as Vec3, pixelSize: g.pixelSize, width: g.width, height: g.height, axes: { ...g.axes }, level: v.level(g).path, frames: v.frames };
    },
    worldToPixel(plane, world) {
      const g = need().views[plane].rendered;
      if (!g) throw new Error(`view ${plane} has no frame yet`);
      return worldToPixel(g, world);
    },
    pixelToWorld(plane, px, py) {
      const g = need().views[plane].rendered;
      if (!g) throw new Error(`view ${plane} has no frame yet`);
      return pixelToWorld(g, px, py);
    },
    pixels(plane) {
      const c = need().views[plane].renderer.canvas;
      const ctx = c.getContext("2d");
      if (!ctx) throw new Error("pixels() needs the texture-copy presentation (?present=copy)");
      const img = ctx.getImageData(0, 0, c.width, c.height);
      let bin = "";
      for (let i = 0; i < img.data.length; i += 0x8000) bin += String.fromCharCode(...img.data.subarray(i, i + 0x8000));
      return { width: c.width, height: c.height, rgba: btoa(bin) };
    },
    setCenter(center) {
      need().store.set({ center: [...center] as Vec3 });
    },
    setPixelSize(pixelSize) {
      need().store.set({ pixelSize });
    },
    batch() {
      const a = need();
      const d = a.samplePanel.drawn;
      if (!d) return undefined;
      const boxes = Object.fromEntries(Object.entries(a.views).map(([p, v]) => [p, v.boxes.map((b) => ({ sample: b.sample, array: b.array, points: b.points }))])) as Record<PlaneName, Array<{ sample: number; array: string; points: Array<[number, number]> }>>;
      return {
        count: d.samples.length,
        shapes: Object.fromEntries([...d.inputs, ...d.targets].map((n) => [n, [...d.batch[n]!.shape]])),
        samples: d.samples.map((s) => ({
          index: s.index,
          crop: s.crop,
          center: [...s.center] as Vec3,
          augment: s.augment ? Array.from(s.augment) : null,
          slicingAxis: s.slicingAxis ?? null,
          deformed: s.deformed,
          targets: targetSummary(d, s.index),
        })),
        boxes,
      };
    },
    sampleArray(index, name) {
      const a = need().samplePanel.drawn?.batch[name];
      if (!a) return undefined;
      const n = a.data.length / a.shape[0]!;
      return { shape: a.shape.slice(1), data: Array.from(a.data.subarray(index * n, (index + 1) * n)) };
    },
    figure() {
      const f = need().samplePanel.figure;
      if (!f) return undefined;
      return { width: f.grid.width, height: f.grid.height, columns: f.grid.columns.map((c) => ({ title: c.title, x: c.x, width: c.width })), rows: f.grid.rows.map((r) => ({ ...r })) };
    },
    cacheStats() {
      return { ...need().arrays.totals() };
    },
  };
  Object.defineProperty(hook, "app", { get: () => app, set: (a: App) => (app = a), enumerable: false });
  window.__cellmap = hook;
  return hook;
}
