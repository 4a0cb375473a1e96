// A small CellMap-layout dataset built in memory with the library's zarr writer and served
// through a `fetch` function, so the same fixture works in Node, Deno and Chromium (open the
// arrays with `workers: 0` and `storeOptions: { fetch }`).
//
// Geometry (world nm, z y x; voxel i of an array is centered at translation + i * scale):
//   raw   recon-1/em/fibsem-uint8          shape [20, 36, 36], scale 4, translation 0
//         value = texture(z, y, x) + 100 * inMito(p), texture = 2 * ((7z + 13y + 29x) % 50)
//   crop1 recon-1/labels/groundtruth/crop1  shape [12, 24, 24], scale 4, translation [16, 24, 24]
//         mito = inMito(p)  (with complement_counts metadata)
//         er   = inEr(p)    (no counts: they are counted)
//   "nucleus" is not annotated.
// inMito: the ball of radius 26 about (40, 70, 66); inEr: the ball of radius 14 about (56, 40, 100).
// The two balls do not overlap, so mito and er are mutually exclusive.

import type { CellMapDatasetOptions } from "../../src/dataset/dataset.ts";
import { createMemoryTarget, multiscalesAttributes, writeArray, writeGroup } from "../../src/zarr-write/index.ts";

export const BASE_URL = "http://fixture.invalid/sample.zarr";
export const RAW_PATH = "recon-1/em/fibsem-uint8";
export const CROP_PATH = "recon-1/labels/groundtruth/crop1";
export const RAW_SHAPE = [20, 36, 36] as const;
export const CROP_SHAPE = [12, 24, 24] as const;
export const CROP_TRANSLATION = [16, 24, 24] as const;
export const SCALE = 4;
export const MITO = { center: [40, 70, 66], radius: 26 } as const;
export const ER = { center: [56, 40, 100], radius: 14 } as const;

export function inBall(ball: { center: readonly number[]; radius: number }, p: readonly number[]): boolean {
  const d2 = (p[0]! - ball.center[0]!) ** 2 + (p[1]! - ball.center[1]!) ** 2 + (p[2]! - ball.center[2]!) ** 2;
  return d2 <= ball.radius ** 2;
}

/** Signed distance (world units) from a point to a ball's surface: negative inside. */
export function ballDistance(ball: { center: readonly number[]; radius: number }, p: readonly number[]): number {
  return Math.hypot(p[0]! - ball.center[0]!, p[1]! - ball.center[1]!, p[2]! - ball.center[2]!) - ball.radius;
}

export const texture = (z: number, y: number, x: number): number => 2 * ((7 * z + 13 * y + 29 * x) % 50);

/** The raw value of raw voxel (z, y, x). */
export function rawAt(z: number, y: number, x: number): number {
  return texture(z, y, x) + (inBall(MITO, [z * SCALE, y * SCALE, x * SCALE]) ? 100 : 0);
}

export interface MemoryFixture {
  fetch: typeof fetch;
  rawUrl: string;
  cropUrl: string;
  /** Absent-voxel counts of the crop's classes. */
  absent: { mito: number; er: number };
  /** Requests served, by key. */
  requests: Map<string, number>;
  /** Every stored key (below the root, starting with "sample.zarr/") and its bytes. */
  files: Map<string, Uint8Array>;
}

const annotation = (cls: string, complement: Record<string, number> | undefined) => ({
  cellmap: {
    annotation: {
      class_name: cls,
      annotation_type: { type: "semantic_segmentation", encoding: { absent: 0, present: 1 } },
      ...(complement ? { complement_counts: complement } : {}),
    },
  },
});

/** Build the fixture (zarr v2 + NGFF 0.4, or v3 + NGFF 0.5). */
export async function buildFixture(zarrFormat: 2 | 3 = 2): Promise<MemoryFixture> {
  const target = createMemoryTarget();
  const version = zarrFormat === 3 ? "0.5" : "0.4";
  const root = "sample.zarr";
  for (const g of [root, `${root}/recon-1`, `${root}/recon-1/em`, `${root}/recon-1/labels`, `${root}/recon-1/labels/groundtruth`, `${root}/${CROP_PATH}`]) {
    await writeGroup(target, g, { zarrFormat });
  }
  const [rz, ry, rx] = RAW_SHAPE;
  const raw = new Uint8Array(rz * ry * rx);
  for (let z = 0, i = 0; z < rz; z++) for (let y = 0; y < ry; y++) for (let x = 0; x < rx; x++) raw[i++] = rawAt(z, y, x);
  await writeGroup(target, `${root}/${RAW_PATH}`, {
    zarrFormat,
    attributes: multiscalesAttributes(version, { levels: [{ path: "s0", scale: [SCALE, SCALE, SCALE], translation: [0, 0, 0] }] }),
  });
  await writeArray(target, `${root}/${RAW_PATH}/s0`, { shape: [...RAW_SHAPE], chunks: [8, 16, 16], dtype: "uint8", zarrFormat }, raw);
  const [cz, cy, cx] = CROP_SHAPE;
  const absent = { mito: 0, er: 0 };
  for (const [cls, ball] of [["mito", MITO], ["er", ER]] as const) {
    const lab = new Uint8Array(cz * cy * cx);
    for (let z = 0, i = 0; z < cz; z++) for (let y = 0; y < cy; y++) for (let x = 0; x < cx; x++, i++) {
      const p = [CROP_TRANSLATION[0] + z * SCALE, CROP_TRANSLATION[1] + y * SCALE, CROP_TRANSLATION[2] + x * SCALE];
      lab[i] = inBall(ball, p) ? 1 : 0;
      if (lab[i] === 0) absent[cls]++;
    }
    await writeGroup(target, `${root}/${CROP_PATH}/${cls}`, {
      zarrFormat,
      attributes: {
        ...multiscalesAttributes(version, { levels: [{ path: "s0", scale: [SCALE, SCALE, SCALE], translation: [...CROP_TRANSLATION] }] }),
        ...annotation(cls, cls === "mito" ? { absent: absent.mito } : undefined),
      },
    });
    await writeArray(target, `${root}/${CROP_PATH}/${cls}/s0`, { shape: [...CROP_SHAPE], chunks: [6, 12, 12], dtype: "uint8", zarrFormat }, lab);
  }
  const requests = new Map<string, number>();
  const prefix = BASE_URL.slice(0, BASE_URL.length - root.length);
  const serve = (input: RequestInfo | URL): Promise<Response> => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const key = url.startsWith(prefix) ? url.slice(prefix.length) : "";
    requests.set(key, (requests.get(key) ?? 0) + 1);
    const bytes = target.map.get(key);
    return Promise.resolve(bytes ? new Response(bytes.slice().buffer as ArrayBuffer, { status: 200 }) : new Response(null, { status: 404 }));
  };
  return { fetch: serve as typeof fetch, rawUrl: `${BASE_URL}/${RAW_PATH}`, cropUrl: `${BASE_URL}/${CROP_PATH}`, absent, requests, files: target.map };
}

/**
 * A CPU dataset over the fixture, read through its `fetch` on the calling thread: raw as `raw`
 * of `rawShape` voxels and crop1's mito, er and the unannotated nucleus as `gt` of `gtShape`,
 * both at the fixture's 4 nm.
 */
export function fixtureDatasetOptions(fx: MemoryFixture, rawShape: readonly [number, number, number], gtShape: readonly [number, number, number]): CellMapDatasetOptions<"raw", "gt"> {
  return {
    inputPath: fx.rawUrl,
    targetPath: `${fx.cropUrl}/[mito,er]`,
    classes: ["mito", "er", "nucleus"],
    inputArrays: { raw: { shape: [...rawShape], scale: [SCALE, SCALE, SCALE] } },
    targetArrays: { gt: { shape: [...gtShape], scale: [SCALE, SCALE, SCALE] } },
    workers: 0,
    device: "cpu",
    storeOptions: { fetch: fx.fetch },
  };
}
