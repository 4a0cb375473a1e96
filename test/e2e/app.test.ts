// End-to-end tests of the QA app (`npm start`) in headless Chromium with WebGPU: the page loads
// cleanly, shows the dataset's real voxel values, overlays exactly the labelled pixels, draws
// batches with their boxes, links the view and each sample to neuroglancer, saves the batch as a
// PNG figure, deforms samples, shows signed-distance targets and 2D slices, and explains a bad
// URL. Screenshots go to test/artifacts/e2e/.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright";
import {
  ARTIFACTS,
  CHROMIUM_VULKAN_ARGS,
  chromiumPath,
  isExpectedZarrMiss,
  labelAt,
  launchChromium,
  PageLog,
  readArray,
  screenshot,
  startApp,
  waitForApp,
  type Grid,
  type RunningApp,
} from "./harness.ts";

type Vec3 = [number, number, number];

interface Manifest {
  raw: { path: string; levels: Array<Grid & { path: string }> };
  crops: Array<{ name: string; path: string; classes: string[]; levels: Array<Grid & { path: string }> }>;
}

const TIMEOUT = 300_000;

describe.skipIf(chromiumPath === undefined)("QA app in Chromium (WebGPU)", { timeout: TIMEOUT }, () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let log: PageLog;
  let manifest: Manifest;

  beforeAll(async () => {
    app = await startApp();
    manifest = JSON.parse(readFileSync(join(app.dataDir, "manifest.json"), "utf8")) as Manifest;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    log = new PageLog(page);
    await page.goto(app.url);
    await waitForApp(page);
  }, TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** Set the view center and pixel size, and wait for the frames. */
  async function look(center: Vec3, pixelSize: number): Promise<void> {
    await page.evaluate(([c, p]) => {
      window.__cellmap.setPixelSize(p);
      window.__cellmap.setCenter(c);
    }, [center, pixelSize] as const);
    await page.evaluate(() => window.__cellmap.ready());
  }

  const geometry = (plane: "xy" | "xz" | "yz") => page.evaluate((p) => window.__cellmap.geometry(p)!, plane);
  const pixels = async (plane: "xy" | "xz" | "yz") => {
    const p = await page.evaluate((q) => window.__cellmap.pixels(q), plane);
    return { width: p.width, height: p.height, data: new Uint8Array(Buffer.from(p.rgba, "base64")) };
  };

  test("loads the embedded dataset with no console errors", async () => {
    expect(await page.evaluate(() => window.__cellmap.status)).toBe("ready");
    // Cross-origin isolated (COOP + COEP), and still reading the data server on another origin.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await screenshot(page, "loaded");
    expect(log.pageErrors).toEqual([]);
    // The only failed requests allowed are zarr keys the store does not have (probes, fill chunks).
    const unexpected = log.failed.filter((f) => !isExpectedZarrMiss(f.url, app.dataUrl));
    expect(unexpected).toEqual([]);
    const errors = log.console.filter((m) => m.type === "error" && !(m.text.startsWith("Failed to load resource") && isExpectedZarrMiss(m.url, app.dataUrl)));
    expect(errors).toEqual([]);
    expect(log.gpuWarnings()).toEqual([]);
    for (const plane of ["xy", "xz", "yz"] as const) {
      const g = await geometry(plane);
      expect(g.frames).toBeGreaterThan(0);
      expect(g.width).toBeGreaterThan(100);
    }
    // The dataset panel describes the data, the label panel lists every class of the manifest.
    expect(await page.textContent("#dataset-panel")).toContain("OME-NGFF 0.5");
    const classes = new Set(manifest.crops.flatMap((c) => c.classes));
    for (const c of classes) expect(await page.isChecked(`#layer-${c}`)).toBe(true);
  });

  /** In every view, voxels outside the crops show their stored gray value at their pixel. */
  async function checkVoxelValues(copy: string): Promise<number> {
    const raw = await readArray(app.dataDir, copy, `${manifest.raw.path}/s0`);
    const l0 = manifest.raw.levels[0]!;
    const [, ny, nx] = raw.shape as Vec3;
    // A voxel outside every crop (no overlay there), viewed at one pixel per voxel in-plane.
    const voxel: Vec3 = [48, 30, 30];
    const world = voxel.map((i, k) => l0.translation[k]! + i * l0.scale[k]!) as Vec3;
    await look(world, l0.scale[2]!);
    const value = (i: Vec3) => raw.data[(i[0] * ny + i[1]) * nx + i[2]]!;
    let compared = 0;
    for (const plane of ["xy", "xz", "yz"] as const) {
      const g = await geometry(plane);
      expect(g.level).toBe("s0");
      const img = await pixels(plane);
      // In every view, the center pixel is the voxel itself; in xy, its neighbours too.
      const around: Vec3[] = plane === "xy"
        ? [-2, -1, 0, 1, 2].flatMap((dy) => [-2, -1, 0, 1, 2].map((dx): Vec3 => [voxel[0], voxel[1] + dy, voxel[2] + dx]))
        : [voxel];
      for (const v of around) {
        const w = v.map((i, k) => l0.translation[k]! + i * l0.scale[k]!) as Vec3;
        const [px, py] = await page.evaluate(([p, q]) => window.__cellmap.worldToPixel(p, q), [plane, w] as const);
        expect(Math.abs(px - Math.round(px))).toBeLessThan(1e-6);
        expect(Math.abs(py - Math.round(py))).toBeLessThan(1e-6);
        const at = (Math.round(py) * img.width + Math.round(px)) * 4;
        const rgb = [...img.data.subarray(at, at + 3)];
        expect({ copy, plane, voxel: v, rgb }).toEqual({ copy, plane, voxel: v, rgb: [value(v), value(v), value(v)] });
        compared++;
      }
    }
    return compared;
  }

  test("the data server gives CORS to the app's origin and neuroglancer's only, and answers loopback Host names only", async () => {
    const appOrigin = new URL(app.url).origin;
    const probe = (headers: Record<string, string>) => page.context().request.get(`${app.datasetUrl}/zarr.json`, { headers });
    const own = await probe({ origin: appOrigin });
    expect(own.status()).toBe(200);
    expect(own.headers()).toMatchObject({ "access-control-allow-origin": appOrigin, "cross-origin-resource-policy": "same-site" });
    expect((await probe({ origin: "https://neuroglancer-demo.appspot.com" })).headers()["access-control-allow-origin"]).toBe("https://neuroglancer-demo.appspot.com");
    const foreign = await probe({ origin: "http://evil.example" });
    expect(foreign.status()).toBe(200);
    expect(foreign.headers()["access-control-allow-origin"]).toBeUndefined();
    expect((await probe({ host: "evil.example" })).status()).toBe(403);
  });

  test("a slice shows the dataset's real voxel values at their pixels", async () => {
    expect(await checkVoxelValues("sample_v3.zarr")).toBe(27);
    await screenshot(page, "voxel-values");
  });

  test("zoom picks the level, a click sets the center, the wheel moves through slices", async () => {
    const l0 = manifest.raw.levels[0]!;
    const center = l0.shape.map((n, k) => l0.translation[k]! + Math.floor(n / 2) * l0.scale[k]!) as Vec3;
    // The coarsest level no coarser than a pixel on every axis (DESIGN: level choice).
    for (const [pixel, level] of [[4, "s0"], [16, "s1"], [32, "s2"]] as const) {
      await look(center, pixel);
      const g = await geometry("xy");
      expect({ pixel, level: g.level }).toEqual({ pixel, level });
      expect(await page.textContent('.view[data-plane="xy"] .view-header')).toContain(`${level} (`);
    }
    await look(center, 4);
    // Click 20 pixels right and 10 below the xy view's center: the center moves there (z stays).
    const g = await geometry("xy");
    const box = (await page.locator('.view[data-plane="xy"] .slice-overlay').boundingBox())!;
    const cx = (g.width - 1) / 2 + 20;
    const cy = (g.height - 1) / 2 + 10;
    await page.mouse.click(box.x + cx + 0.5, box.y + cy + 0.5);
    await page.evaluate(() => window.__cellmap.ready());
    const after = await geometry("yz");
    expect(after.center).toEqual([center[0], center[1] + 10 * 4, center[2] + 20 * 4]);
    // The wheel over the xy view steps z by one voxel of the level read (s0: 8 nm).
    await page.mouse.move(box.x + 50, box.y + 50);
    await page.mouse.wheel(0, 100);
    await page.evaluate(() => window.__cellmap.ready());
    expect((await geometry("xy")).center[0]).toBe(center[0] + l0.scale[0]!);
  });

  test("toggling a label overlay changes exactly the labelled pixels", async () => {
    const crop1 = manifest.crops.find((c) => c.name === "crop1")!;
    const crop2 = manifest.crops.find((c) => c.name === "crop2")!;
    const mito1 = await readArray(app.dataDir, "sample_v3.zarr", `${crop1.path}/mito/s0`);
    const mito2 = await readArray(app.dataDir, "sample_v3.zarr", `${crop2.path}/mito/s0`);
    const g1: Grid = crop1.levels[0]!;
    const g2: Grid = crop2.levels[0]!;
    // The crop1 z slice with the most mitochondrion voxels, at 4 nm per pixel (level s0 of both crops).
    const [nz, ny, nx] = mito1.shape as Vec3;
    let best = 0;
    let bestCount = -1;
    for (let z = 0; z < nz; z++) {
      let n = 0;
      for (let i = z * ny * nx; i < (z + 1) * ny * nx; i++) n += mito1.data[i]!;
      if (n > bestCount) [best, bestCount] = [z, n];
    }
    const center: Vec3 = [g1.translation[0]! + best * g1.scale[0]!, g1.translation[1]! + (ny / 2) * g1.scale[1]!, g1.translation[2]! + (nx / 2) * g1.scale[2]!];
    await look(center, 4);
    const g = await geometry("xy");
    const before = await pixels("xy");
    const frames = g.frames;
    await page.click("#layer-mito");
    await page.waitForFunction((f) => window.__cellmap.geometry("xy")!.frames > f, frames);
    await page.evaluate(() => window.__cellmap.ready());
    const after = await pixels("xy");
    await screenshot(page, "mito-hidden");
    await page.click("#layer-mito");
    await page.evaluate(() => window.__cellmap.ready());

    const changed = new Set<number>();
    for (let i = 0; i < before.width * before.height; i++) {
      const a = i * 4;
      if (before.data[a] !== after.data[a] || before.data[a + 1] !== after.data[a + 1] || before.data[a + 2] !== after.data[a + 2]) changed.add(i);
    }
    // Expected: pixels whose center lies in a mitochondrion voxel of either crop.
    const expected = new Set<number>();
    for (let py = 0; py < g.height; py++) {
      for (let px = 0; px < g.width; px++) {
        const w: Vec3 = [...g.center];
        w[g.axes.h] = g.center[g.axes.h]! + (px - (g.width - 1) / 2) * g.pixelSize;
        w[g.axes.v] = g.center[g.axes.v]! + (py - (g.height - 1) / 2) * g.pixelSize;
        if (labelAt(g1, mito1.data, w) === 1 || labelAt(g2, mito2.data, w) === 1) expected.add(py * g.width + px);
      }
    }
    expect(expected.size).toBeGreaterThan(200);
    const missing = [...expected].filter((i) => !changed.has(i));
    const extra = [...changed].filter((i) => !expected.has(i));
    expect({ missing: missing.length, extra: extra.length }).toEqual({ missing: 0, extra: 0 });
  });

  test("drawing a batch shows that many samples, with their boxes in their true orientation", async () => {
    log.clear();
    await page.fill("#batch-size", "5");
    await page.fill("#seed", "7");
    await page.click("#draw-batch");
    await page.waitForFunction(() => document.querySelectorAll("#samples .sample").length === 5, null, { timeout: TIMEOUT });
    await page.evaluate(() => window.__cellmap.ready());
    expect(await page.textContent("#batch-status")).toMatch(/^5 samples from/);
    const classes = await page.$$eval("#layers-panel input[data-class]", (els) => els.map((e) => (e as HTMLInputElement).dataset["class"]!));
    // Each card shows the raw and every target class.
    for (let i = 0; i < 5; i++) {
      expect(await page.$$eval(`#samples .sample[data-index="${i}"] canvas`, (els) => els.length)).toBe(1 + classes.length);
    }
    expect(log.gpuWarnings()).toEqual([]);
    const batch = (await page.evaluate(() => window.__cellmap.batch()))!;
    expect(batch.count).toBe(5);
    // The targets are what the loader read: a class the sample's crop does not annotate is
    // unknown (NaN) everywhere; the batch holds labelled voxels.
    let present = 0;
    for (const s of batch.samples) {
      const annotated = manifest.crops.find((c) => c.name === s.crop)!.classes;
      for (const [cls, t] of Object.entries(s.targets)) {
        present += t.present;
        if (!annotated.includes(cls)) expect({ sample: s.index, cls, ...t }).toEqual({ sample: s.index, cls, present: 0, absent: 0, unknown: t.unknown });
      }
    }
    expect(present).toBeGreaterThan(0);
    const raw = { shape: await vec("raw-shape"), scale: await vec("raw-scale") };
    const gt = { shape: await vec("gt-shape"), scale: await vec("gt-scale") };
    for (const k of [0, 3]) {
      // Picking a sample centers the views on it: every view then cuts both of its boxes.
      await page.click(`#samples .sample[data-index="${k}"]`);
      await page.evaluate(() => window.__cellmap.ready());
      const s = batch.samples[k]!;
      const A = s.augment ?? [1, 0, 0, 0, 1, 0, 0, 0, 1];
      const drawn = (await page.evaluate(() => window.__cellmap.batch()))!.boxes;
      for (const plane of ["xy", "xz", "yz"] as const) {
        const g = await geometry(plane);
        expect(g.center).toEqual(s.center);
        for (const [name, spec] of [["raw", raw], ["gt", gt]] as const) {
          const poly = drawn[plane].find((b) => b.sample === k && b.array === name);
          expect(poly, `${plane} ${name} box of sample ${k}`).toBeDefined();
          const half = spec.shape.map((n, i) => (n * spec.scale[i]!) / 2);
          // Every vertex lies on the surface of the oriented box c + A·u, |u_i| <= half_i.
          for (const [px, py] of poly!.points) {
            const w: number[] = [...g.center];
            w[g.axes.h] = g.center[g.axes.h]! + (px - (g.width - 1) / 2) * g.pixelSize;
            w[g.axes.v] = g.center[g.axes.v]! + (py - (g.height - 1) / 2) * g.pixelSize;
            const d = w.map((x, i) => x - s.center[i]!);
            const u = [0, 1, 2].map((c) => A[c]! * d[0]! + A[3 + c]! * d[1]! + A[6 + c]! * d[2]!);
            const r = Math.max(...u.map((x, i) => Math.abs(x) / half[i]!));
            expect(r).toBeCloseTo(1, 6);
          }
          // Through the center, the cut's area is the box's cross-section; when A keeps this
          // view's normal axis, it is the full in-plane rectangle, turned.
          const n = g.axes.n;
          const col = [0, 1, 2].find((c) => Math.abs(Math.abs(A[n * 3 + c]!) - 1) < 1e-9);
          if (col !== undefined) {
            const area = polygonArea(poly!.points) * g.pixelSize ** 2;
            const expectedArea = [0, 1, 2].filter((c) => c !== col).reduce((a, c) => a * 2 * half[c]!, 1);
            expect(area / expectedArea).toBeCloseTo(1, 6);
          }
        }
      }
    }
    await screenshot(page, "batch");
  });

  test("the class-balance plot draws batches with every sampler", async () => {
    log.clear();
    await page.fill("#balance-batches", "2");
    await page.click("#run-balance");
    await page.waitForFunction(() => document.querySelector<HTMLElement>("#balance-panel")!.dataset["result"] !== undefined, null, { timeout: TIMEOUT });
    const result = JSON.parse((await page.getAttribute("#balance-panel", "data-result"))!) as Record<string, { samples: number }>;
    expect(Object.keys(result).sort()).toEqual(["classBalanced", "random", "weighted"]);
    for (const r of Object.values(result)) expect(r.samples).toBe(2 * 5);
    expect(log.gpuWarnings()).toEqual([]);
    await page.evaluate(() => document.querySelector("#balance-panel")!.scrollIntoView());
    await screenshot(page, "balance");
  });

  /** Click "Draw batch" and wait until the new batch (and its figure) is shown. */
  async function drawAndWait(): Promise<void> {
    await page.evaluate(() => ((window as unknown as { __prev: unknown }).__prev = window.__cellmap.app!.samplePanel.drawn));
    await page.click("#draw-batch");
    await page.waitForFunction(() => {
      const p = window.__cellmap.app!.samplePanel;
      return !p.busy && p.drawn !== (window as unknown as { __prev: unknown }).__prev;
    }, null, { timeout: TIMEOUT });
    await page.evaluate(() => window.__cellmap.ready());
    expect(await page.getAttribute("#batch-status", "class")).toBe("muted");
  }

  test("Open in neuroglancer links the served raw and labels at the view's position, and each sample at its center", async () => {
    const l0 = manifest.raw.levels[0]!;
    const voxel: Vec3 = [40, 20, 25];
    await look(voxel.map((i, k) => l0.translation[k]! + i * l0.scale[k]!) as Vec3, 4);
    // Click 12 pixels left and 7 above the xy view's center: the link follows what the page shows.
    const g0 = await geometry("xy");
    const box = (await page.locator('.view[data-plane="xy"] .slice-overlay').boundingBox())!;
    await page.mouse.click(box.x + (g0.width - 1) / 2 - 12 + 0.5, box.y + (g0.height - 1) / 2 - 7 + 0.5);
    await page.evaluate(() => window.__cellmap.ready());
    const shown = (await geometry("xy")).center;
    expect(shown).toEqual([g0.center[0], g0.center[1] - 7 * 4, g0.center[2] - 12 * 4]);
    const state = decodeNeuroglancer((await page.getAttribute("#ng-view", "href"))!);
    expect(state.base).toBe("https://neuroglancer-demo.appspot.com/");
    // Neuroglancer's position is x, y, z in voxels of the finest raw level.
    const [sz, sy, sx] = l0.scale as Vec3;
    expect(state.dimensions).toEqual({ x: [sx * 1e-9, "m"], y: [sy * 1e-9, "m"], z: [sz * 1e-9, "m"] });
    const expectedVoxel = [shown[2] / sx, shown[1] / sy, shown[0] / sz];
    state.position.forEach((p, k) => expect(p).toBeCloseTo(expectedVoxel[k]!, 9));
    expect(state.position[0]).toBeCloseTo(l0.translation[2]! / sx + voxel[2] - 12, 9);
    expect(state.position[1]).toBeCloseTo(l0.translation[1]! / sy + voxel[1] - 7, 9);
    expect(state.position[2]).toBeCloseTo(l0.translation[0]! / sz + voxel[0], 9);
    // The raw layer reads the dataset from the data server the app reads (which serves it).
    const served = `${app.dataUrl}/sample_v3.zarr`;
    expect(state.layers[0]).toMatchObject({ type: "image", name: "raw", source: `zarr3://${served}/${manifest.raw.path}` });
    expect((await fetch(`${served}/${manifest.raw.path}/zarr.json`)).status).toBe(200);
    const labelLayers = manifest.crops.flatMap((c) => c.classes.map((cls) => ({ type: "segmentation", name: `${c.name}/${cls}`, source: `zarr3://${served}/${c.path}/${cls}` })));
    expect(state.layers.slice(1).map((l) => ({ type: l.type, name: l.name, source: l.source }))).toEqual(labelLayers);

    // Each drawn sample's card links to its own center, with its crop's classes.
    const batch = (await page.evaluate(() => window.__cellmap.batch()))!;
    expect(batch.count).toBeGreaterThan(0);
    for (const s of batch.samples) {
      const href = await page.getAttribute(`#samples .sample[data-index="${s.index}"] a.ng-link`, "href");
      const ng = decodeNeuroglancer(href!);
      [s.center[2] / sx, s.center[1] / sy, s.center[0] / sz].forEach((p, k) => expect(ng.position[k]).toBeCloseTo(p, 9));
      const crop = manifest.crops.find((c) => c.name === s.crop)!;
      expect(ng.layers[0]!.source).toBe(`zarr3://${served}/${manifest.raw.path}`);
      expect(ng.layers.slice(1).map((l) => l.source).sort()).toEqual(crop.classes.map((cls) => `zarr3://${served}/${crop.path}/${cls}`).sort());
    }
  });

  test("Save batch as PNG downloads the grid figure: its first tiles are the samples' raw in gray", async () => {
    log.clear();
    await page.fill("#batch-size", "5");
    await page.fill("#seed", "7");
    await drawAndWait();
    const shapes = (await page.evaluate(() => window.__cellmap.batch()))!.shapes;
    const [B, , Z, Y, X] = shapes["raw"]!;
    const [, C, , gy, gx] = shapes["gt"]!;
    // One row per sample, one column for the raw and one per class; tiles as large as the
    // longest slice side, 2 pixels apart.
    const tile = Math.max(Y!, X!, gy!, gx!);
    const size = { width: 2 + (1 + C!) * (tile + 2), height: 2 + B! * (tile + 2) };
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save-png")]);
    expect(download.suggestedFilename()).toBe("batch-seed7-epoch0.png");
    const file = join(ARTIFACTS, "batch-figure.png");
    await download.saveAs(file);
    const png = decodePng(file);
    expect({ width: png.width, height: png.height }).toEqual(size);
    expect(await page.evaluate(() => window.__cellmap.figure())).toMatchObject(size);
    // The panel shows the same image.
    const img = await page.$eval("#batch-grid", (el) => ({ w: (el as HTMLImageElement).naturalWidth, h: (el as HTMLImageElement).naturalHeight }));
    expect(img).toEqual({ w: size.width, h: size.height });
    for (const b of [0, 1]) {
      // The middle z slice of sample b's raw, its finite min..max mapped to black..white.
      const raw = (await page.evaluate((i) => window.__cellmap.sampleArray(i, "raw"), b))!;
      expect(raw.shape).toEqual([1, Z, Y, X]);
      const z = Math.floor(Z! / 2);
      const slice = raw.data.slice(z * Y! * X!, (z + 1) * Y! * X!);
      const lo = Math.min(...slice);
      const hi = Math.max(...slice);
      expect(hi).toBeGreaterThan(lo);
      let worst = 0;
      for (let r = 0; r < Y!; r++) {
        for (let c = 0; c < X!; c++) {
          const gray = Math.round((255 * (slice[r * X! + c]! - lo)) / (hi - lo));
          const at = ((2 + b * (tile + 2) + r) * png.width + 2 + c) * 4;
          const px = [...png.rgba.subarray(at, at + 4)];
          worst = Math.max(worst, ...px.slice(0, 3).map((v) => Math.abs(v - gray)));
          expect(px[3]).toBe(255);
        }
      }
      expect({ sample: b, worst }).toEqual({ sample: b, worst: 0 });
    }
    await page.evaluate(() => document.querySelector("#batch-grid")!.scrollIntoView());
    await screenshot(page, "batch-figure-panel");
    expect(log.pageErrors).toEqual([]);
  });

  test("elastic deformation changes the drawn samples and nothing else about them, with no console errors", async () => {
    log.clear();
    const read = () => page.evaluate(() => ({ batch: window.__cellmap.batch()!, raw: window.__cellmap.sampleArray(0, "raw")!.data, gt: window.__cellmap.sampleArray(0, "gt")!.data }));
    await drawAndWait();
    const plain = await read();
    await drawAndWait();
    // The same config draws the same batch: any change below comes from the deformation.
    expect((await read()).raw).toEqual(plain.raw);
    await page.check("#deform");
    expect(await page.inputValue("#deform-magnitude")).not.toBe("0");
    await drawAndWait();
    const bent = await read();
    expect(bent.batch.samples.map((s) => s.deformed)).toEqual(plain.batch.samples.map(() => true));
    expect(plain.batch.samples.every((s) => !s.deformed)).toBe(true);
    // Same centers and matrices (the field is drawn apart from the other transforms).
    expect(bent.batch.samples.map((s) => [s.center, s.augment])).toEqual(plain.batch.samples.map((s) => [s.center, s.augment]));
    const changed = bent.raw.filter((v, i) => Math.abs(v - plain.raw[i]!) > 1e-4).length;
    expect(changed / bent.raw.length).toBeGreaterThan(0.5);
    expect(bent.gt.some((v, i) => !Object.is(v, plain.gt[i]))).toBe(true);
    expect(await page.textContent('#samples .sample[data-index="0"]')).toContain("+ deformed");
    await screenshot(page, "deformed-batch");
    expect(log.pageErrors).toEqual([]);
    expect(log.gpuWarnings()).toEqual([]);
    // Reopening the datasets probes metadata keys the store does not have (404s, by design).
    const unexpected = log.failed.filter((f) => !isExpectedZarrMiss(f.url, app.dataUrl));
    expect(unexpected).toEqual([]);
    expect(log.console.filter((m) => m.type === "error" && !(m.text.startsWith("Failed to load resource") && isExpectedZarrMiss(m.url, app.dataUrl)))).toEqual([]);
    await page.uncheck("#deform");
  });

  test("a signed-distance target is positive on the labels, negative off them, unknown where they are", async () => {
    log.clear();
    await drawAndWait();
    const labels = (await page.evaluate(() => window.__cellmap.sampleArray(0, "gt")))!;
    await page.selectOption("#target-transform", "signedDistance");
    await drawAndWait();
    const sd = (await page.evaluate(() => window.__cellmap.sampleArray(0, "gt")))!;
    expect(sd.shape).toEqual(labels.shape);
    const mismatch = { inside: 0, outside: 0, unknown: 0 };
    let inside = 0;
    let outside = 0;
    labels.data.forEach((l, i) => {
      const d = sd.data[i]!;
      if (Number.isNaN(l)) { if (!Number.isNaN(d)) mismatch.unknown++; return; }
      if (l > 0.5) { inside++; if (!(d > 0 && d <= 1)) mismatch.inside++; }
      else { outside++; if (!(d < 0 && d >= -1)) mismatch.outside++; }
    });
    expect(inside).toBeGreaterThan(0);
    expect(outside).toBeGreaterThan(0);
    expect(mismatch).toEqual({ inside: 0, outside: 0, unknown: 0 });
    expect(log.pageErrors).toEqual([]);
    expect(log.gpuWarnings()).toEqual([]);
    await page.selectOption("#target-transform", "none");
  });

  test("the 2D option draws [1, h, w] slices from openSlicedDatasets and shows them", async () => {
    log.clear();
    await page.check("#slices-2d");
    await drawAndWait();
    const [, Y, X] = await vec("raw-shape");
    const [, gy, gx] = await vec("gt-shape");
    const batch = (await page.evaluate(() => window.__cellmap.batch()))!;
    const C = batch.shapes["gt"]![1]!;
    expect(batch.shapes).toEqual({ raw: [5, 1, Y, X], gt: [5, C, gy, gx] });
    expect((await page.evaluate(() => window.__cellmap.sampleArray(0, "raw")))!.shape).toEqual([1, Y, X]);
    for (const s of batch.samples) {
      expect(["z", "y", "x"]).toContain(s.slicingAxis);
      const card = `#samples .sample[data-index="${s.index}"]`;
      expect(await page.textContent(card)).toContain(`2D slice across ${s.slicingAxis}`);
      // The raw thumbnail is the h × w slice, each class's the gt slice.
      const sizes = await page.$$eval(`${card} canvas`, (els) => els.map((e) => [(e as HTMLCanvasElement).width, (e as HTMLCanvasElement).height]));
      expect(sizes).toEqual([[X, Y], ...Array.from({ length: C }, () => [gx, gy])]);
    }
    // The figure draws each slice as its tile.
    expect(await page.evaluate(() => window.__cellmap.figure())).toMatchObject({ width: 2 + (1 + C) * (Math.max(Y!, X!, gy!, gx!) + 2), height: 2 + 5 * (Math.max(Y!, X!, gy!, gx!) + 2) });
    expect(await page.inputValue("#config-json")).toContain("openSlicedDatasets");
    await screenshot(page, "slices-2d");
    expect(log.pageErrors).toEqual([]);
    expect(log.gpuWarnings()).toEqual([]);
    await page.uncheck("#slices-2d");
  });

  test("the zarr v2 (blosc) copy shows the same voxel values", async () => {
    log.clear();
    await page.goto(`${app.url}?url=${encodeURIComponent(`${app.dataUrl}/sample_v2.zarr`)}`);
    expect(await waitForApp(page)).toBe("ready");
    expect(await page.textContent("#dataset-panel")).toContain("zarr v2, OME-NGFF 0.4");
    expect(await checkVoxelValues("sample_v2.zarr")).toBe(27);
    expect(log.pageErrors).toEqual([]);
    expect(log.gpuWarnings()).toEqual([]);
  });

  test("frames also reach a WebGPU canvas without GPU errors (?present=webgpu)", async () => {
    const vulkan = await launchChromium(CHROMIUM_VULKAN_ARGS);
    try {
      const p = await vulkan.newPage({ viewport: { width: 1200, height: 800 } });
      const l = new PageLog(p);
      await p.goto(`${app.url}?present=webgpu`);
      expect(await waitForApp(p)).toBe("ready");
      expect(await p.evaluate(() => window.__cellmap.app!.mode)).toBe("webgpu");
      for (const plane of ["xy", "xz", "yz"] as const) {
        expect((await p.evaluate((q) => window.__cellmap.geometry(q)!, plane)).frames).toBeGreaterThan(0);
      }
      // A second frame that only recolours (the planes are reused).
      await p.click("#layer-mito");
      await p.evaluate(() => window.__cellmap.ready());
      expect(l.pageErrors).toEqual([]);
      expect(l.gpuWarnings()).toEqual([]);
      expect(await p.isVisible("#error")).toBe(false);
    } finally {
      await vulkan.close();
    }
  });

  test("a bad URL shows a readable error, not a blank page", async () => {
    const bad = `${app.dataUrl}/no-such-dataset.zarr`;
    await page.fill("#url-input", bad);
    await Promise.all([page.waitForURL(/no-such-dataset/), page.press("#url-input", "Enter")]);
    expect(await waitForApp(page)).toBe("error");
    expect(await page.isVisible("#error")).toBe(true);
    const text = (await page.textContent("#error"))!;
    expect(text).toContain("Could not open the dataset");
    expect(text).toContain(bad);
    await screenshot(page, "bad-url");
    // Not a URL at all.
    await page.goto(`${app.url}?url=${encodeURIComponent("not a url")}`);
    expect(await waitForApp(page)).toBe("error");
    expect(await page.textContent("#error")).toContain("is not a URL");
    // A host that does not answer.
    await page.goto(`${app.url}?url=${encodeURIComponent("http://127.0.0.1:9/data.zarr")}`);
    expect(await waitForApp(page)).toBe("error");
    expect(await page.textContent("#error")).toContain("could not reach");
    expect(log.pageErrors).toEqual([]);
  });

  async function vec(id: string): Promise<Vec3> {
    return (await Promise.all(["z", "y", "x"].map((a) => page.inputValue(`#${id}-${a}`)))).map(Number) as Vec3;
  }
});

interface DecodedNeuroglancer {
  base: string;
  dimensions: Record<string, [number, string]>;
  position: [number, number, number];
  layers: Array<{ type: string; name: string; source: string }>;
}

/** A neuroglancer URL's base and its state (the URL-encoded JSON after `#!`). */
function decodeNeuroglancer(href: string): DecodedNeuroglancer {
  const at = href.indexOf("#!");
  expect(at).toBeGreaterThan(0);
  return { base: href.slice(0, at), ...(JSON.parse(decodeURIComponent(href.slice(at + 2))) as Omit<DecodedNeuroglancer, "base">) };
}

/** A PNG decoded by Python's standard library (zlib and the five PNG row filters), independently of the app. */
const DECODE_PNG = String.raw`
import base64, json, struct, sys, zlib
b = open(sys.argv[1], "rb").read()
assert b[:8] == bytes([137, 80, 78, 71, 13, 10, 26, 10]), "not a PNG"
pos, idat, w = 8, b"", None
while pos < len(b):
    n, kind = struct.unpack(">I4s", b[pos:pos + 8])
    body = b[pos + 8:pos + 8 + n]
    assert zlib.crc32(b[pos + 4:pos + 8 + n]) == struct.unpack(">I", b[pos + 8 + n:pos + 12 + n])[0], "bad CRC"
    if kind == b"IHDR":
        w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        assert (depth, ctype, interlace) == (8, 6, 0), "expected 8-bit RGBA, not interlaced"
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * 4
out = bytearray()
prev = bytearray(stride)
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - 4] if i >= 4 else 0
        up = prev[i]
        c = prev[i - 4] if i >= 4 else 0
        if f == 0: p = 0
        elif f == 1: p = a
        elif f == 2: p = up
        elif f == 3: p = (a + up) // 2
        else:
            q = a + up - c
            pa, pb, pc = abs(q - a), abs(q - up), abs(q - c)
            p = a if pa <= pb and pa <= pc else (up if pb <= pc else c)
        line[i] = (line[i] + p) & 255
    out += line
    prev = line
print(json.dumps({"width": w, "height": h, "rgba": base64.b64encode(bytes(out)).decode()}))
`;

function decodePng(file: string): { width: number; height: number; rgba: Uint8Array } {
  const out = JSON.parse(execFileSync("/usr/bin/python3", ["-c", DECODE_PNG, file], { encoding: "utf8", maxBuffer: 1 << 28 })) as { width: number; height: number; rgba: string };
  return { width: out.width, height: out.height, rgba: new Uint8Array(Buffer.from(out.rgba, "base64")) };
}

function polygonArea(points: ReadonlyArray<[number, number]>): number {
  let a = 0;
  for (let i = 0; i < points.length; i++) {
    const [x0, y0] = points[i]!;
    const [x1, y1] = points[(i + 1) % points.length]!;
    a += x0 * y1 - x1 * y0;
  }
  return Math.abs(a) / 2;
}
