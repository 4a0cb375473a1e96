// End-to-end harness: starts the app the way `npm start` does (scripts/start.mjs: sample data,
// loopback data server, Vite dev server) and drives it in headless Chromium through Playwright,
// with WebGPU on SwiftShader where there is no GPU. Never downloads a browser: it uses the
// Chromium installed on the machine (test/setup/chromium.ts).
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as zarr from "zarrita";
import { FileSystemStore } from "@zarrita/storage";
import type { Browser, ConsoleMessage, Page, Response } from "playwright";
import { findChromium } from "../setup/chromium.ts";

export const REPO = join(dirname(fileURLToPath(import.meta.url)), "../..");
export const ARTIFACTS = join(REPO, "test/artifacts/e2e");
/** Sample data for the e2e tests: written once, kept between runs (test/artifacts is gitignored). */
export const DATA_DIR = join(REPO, "test/artifacts/e2e-data");
/** What makes headless Chromium give pages a WebGPU adapter (SwiftShader without a GPU). */
export const CHROMIUM_ARGS = ["--enable-unsafe-webgpu"];

export interface RunningApp {
  url: string;
  dataUrl: string;
  datasetUrl: string;
  dataDir: string;
  close(): Promise<void>;
}

interface StartModule {
  start(options: { dataDir?: string; port?: number; dataPort?: number; quiet?: boolean; log?: (s: string) => void }): Promise<RunningApp>;
}

/** Start the data server and the app (generating the sample data on the first run). */
export async function startApp(): Promise<RunningApp> {
  const mod = (await import(/* @vite-ignore */ pathToFileURL(join(REPO, "scripts/start.mjs")).href)) as StartModule;
  return mod.start({ dataDir: DATA_DIR, port: 0, dataPort: 0, quiet: true, log: () => {} });
}

export const chromiumPath = findChromium();

/**
 * Flags under which headless Chromium composites WebGPU canvases through Vulkan (SwiftShader),
 * so the app's "webgpu" presentation path runs (its frames are not captured by screenshots there).
 */
export const CHROMIUM_VULKAN_ARGS = ["--use-angle=vulkan", "--enable-features=Vulkan,VulkanFromANGLE,DefaultANGLEVulkan"];

export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  const { chromium } = await import("playwright");
  if (!chromiumPath) throw new Error("no Chromium found (see test/setup/chromium.ts)");
  return chromium.launch({ executablePath: chromiumPath, args: [...CHROMIUM_ARGS, ...extraArgs], headless: true });
}

/** Console messages, page errors and failed responses of a page. */
export class PageLog {
  readonly console: Array<{ type: string; text: string; url: string }> = [];
  readonly pageErrors: string[] = [];
  readonly failed: Array<{ status: number; url: string }> = [];

  constructor(page: Page) {
    page.on("console", (m: ConsoleMessage) => this.console.push({ type: m.type(), text: m.text(), url: m.location().url }));
    page.on("pageerror", (e) => this.pageErrors.push(e.message));
    page.on("response", (r: Response) => {
      if (r.status() >= 400) this.failed.push({ status: r.status(), url: r.url() });
    });
  }

  /** WebGPU validation messages (Chromium logs uncaptured GPU errors as console warnings). */
  gpuWarnings(): string[] {
    return this.console
      .filter((m) => (m.type === "warning" || m.type === "error") && /While calling \[|\[Invalid |used in submit while destroyed|validation error/i.test(m.text))
      .map((m) => m.text);
  }

  clear(): void {
    this.console.length = 0;
    this.pageErrors.length = 0;
    this.failed.length = 0;
  }
}

/**
 * Requests the zarr readers may make and get a 404 for, by design: metadata probes (a v3 reader
 * asking for v2 keys and the other way round) and chunks or shards the store does not have
 * (zarr reads those as the fill value).
 */
export function isExpectedZarrMiss(url: string, dataUrl: string): boolean {
  if (!url.startsWith(dataUrl + "/")) return false;
  const path = new URL(url).pathname;
  return /\/(\.zattrs|\.zgroup|\.zarray|zarr\.json)$/.test(path) || /\/s\d+\/(c\/)?\d+([/.]\d+)*$/.test(path);
}

/** Wait until the app started (or showed an error), then until nothing renders or streams. */
export async function waitForApp(page: Page, timeout = 180_000): Promise<string> {
  await page.waitForFunction(() => window.__cellmap !== undefined && window.__cellmap.status !== "starting", null, { timeout });
  const status = await page.evaluate(() => window.__cellmap.status);
  if (status === "ready") await page.evaluate(() => window.__cellmap.ready());
  return status;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** A level-0 array of the sample dataset, read in Node with zarrita (independently of the app). */
export async function readArray(dataDir: string, copy: string, path: string): Promise<{ data: Uint8Array; shape: number[] }> {
  const store = new FileSystemStore(join(dataDir, copy));
  const arr = await zarr.open(zarr.root(store).resolve(path), { kind: "array" });
  const chunk = await zarr.get(arr);
  return { data: chunk.data as Uint8Array, shape: [...chunk.shape] };
}

/** Where a label value lives, per the NGFF rule: voxel i covers [t + (i - 1/2) s, t + (i + 1/2) s). */
export interface Grid {
  scale: number[];
  translation: number[];
  shape: number[];
}

/** The label value at a world point (nearest voxel, ties up), or undefined outside the array. */
export function labelAt(grid: Grid, data: Uint8Array, p: readonly number[]): number | undefined {
  const idx: number[] = [];
  for (let k = 0; k < 3; k++) {
    const v = (p[k]! - grid.translation[k]!) / grid.scale[k]!;
    if (v < -0.5 || v >= grid.shape[k]! - 0.5) return undefined;
    idx.push(Math.floor(v + 0.5));
  }
  return data[(idx[0]! * grid.shape[1]! + idx[1]!) * grid.shape[2]! + idx[2]!];
}
