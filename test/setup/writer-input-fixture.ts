// The raw volume the writer's input tests read: a float32 multiscale group whose voxel values are
// a linear function of the world position, so the expected input at any point is a formula
// (trilinear interpolation reproduces a linear function exactly), written with the library's
// zarr writer into any target and served from memory through a `fetch` (Node, Deno, Chromium).
//
// Geometry (world nm, z y x; voxel i of a level is centered at translation + i * scale):
//   s0  shape [10, 12, 9], scale 4, translation [2, -6, 10], chunks [4, 5, 4]
//       value = rawValue(world) = 20 + 9 vz + 5 vy + 3 vx, v = (world - [2, -6, 10]) / 4
//   s1  shape [5, 6, 4],   scale 8, translation [4, -4, 12], chunks [3, 3, 3]
//       the mean of each 2x2x2 block of s0, which is rawValue at the block's center
// A level reads rawValue inside its voxel-center extent [t, t + (N - 1) s] and the pad value
// outside.

import { createMemoryTarget, multiscalesAttributes, writeArray, writeGroup, type WriteTarget } from "../../src/zarr-write/index.ts";

type Vec3 = [number, number, number];

export const RAW_LEVELS = [
  { path: "s0", shape: [10, 12, 9] as Vec3, scale: [4, 4, 4] as Vec3, translation: [2, -6, 10] as Vec3, chunks: [4, 5, 4] as Vec3 },
  { path: "s1", shape: [5, 6, 4] as Vec3, scale: [8, 8, 8] as Vec3, translation: [4, -4, 12] as Vec3, chunks: [3, 3, 3] as Vec3 },
] as const;

/** The raw value at a world position (inside the volume). */
export function rawValue(w: readonly number[]): number {
  const t = RAW_LEVELS[0].translation;
  return 20 + (9 * (w[0]! - t[0])) / 4 + (5 * (w[1]! - t[1])) / 4 + (3 * (w[2]! - t[2])) / 4;
}

/**
 * What trilinear sampling of `level` returns at world `w`: rawValue inside the level's voxel-center
 * extent, `pad` outside, or `undefined` within 1e-3 voxel of its edge (either is right there).
 */
export function expectedRaw(level: 0 | 1, w: readonly number[], pad: number): number | undefined {
  const L = RAW_LEVELS[level];
  let edge = false;
  for (let k = 0; k < 3; k++) {
    const v = (w[k]! - L.translation[k]!) / L.scale[k]!;
    if (v < -1e-3 || v > L.shape[k]! - 1 + 1e-3) return pad;
    if (v < 1e-3 || v > L.shape[k]! - 1 - 1e-3) edge = true;
  }
  return edge && !exactOnGrid(level, w) ? undefined : rawValue(w);
}

/** True when `w` is exactly on the level's voxel-center grid (then the edge is not ambiguous). */
function exactOnGrid(level: 0 | 1, w: readonly number[]): boolean {
  const L = RAW_LEVELS[level];
  return [0, 1, 2].every((k) => Number.isInteger((w[k]! - L.translation[k]!) / L.scale[k]!));
}

/** Write the raw group at `path` of `target` (zarr v2 + NGFF 0.4, or v3 + NGFF 0.5). */
export async function writeRawFixture(target: WriteTarget, path: string, zarrFormat: 2 | 3 = 3): Promise<void> {
  await writeGroup(target, path, {
    zarrFormat,
    attributes: multiscalesAttributes(zarrFormat === 3 ? "0.5" : "0.4", {
      name: "raw",
      levels: RAW_LEVELS.map((l) => ({ path: l.path, scale: [...l.scale], translation: [...l.translation] })),
    }),
  });
  for (const l of RAW_LEVELS) {
    const [nz, ny, nx] = l.shape;
    const data = new Float32Array(nz * ny * nx);
    let i = 0;
    for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
      data[i++] = rawValue([l.translation[0] + z * l.scale[0], l.translation[1] + y * l.scale[1], l.translation[2] + x * l.scale[2]]);
    }
    await writeArray(target, `${path}/${l.path}`, { shape: [...l.shape], chunks: [...l.chunks], dtype: "float32", zarrFormat }, data);
  }
}

/** The raw group in memory, served through a `fetch` at `url`. */
export interface RawFixture {
  url: string;
  fetch: typeof fetch;
  /** Requests served, by key. */
  requests: Map<string, number>;
}

const BASE = "http://writer-input.invalid/";

/** Build the raw group in memory (v3) and a `fetch` that serves it. */
export async function buildRawFixture(zarrFormat: 2 | 3 = 3): Promise<RawFixture> {
  const target = createMemoryTarget();
  await writeRawFixture(target, "raw.zarr", zarrFormat);
  const requests = new Map<string, number>();
  const serve = (input: RequestInfo | URL): Promise<Response> => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const key = url.startsWith(BASE) ? url.slice(BASE.length) : "";
    requests.set(key, (requests.get(key) ?? 0) + 1);
    const bytes = target.map.get(key);
    return Promise.resolve(bytes ? new Response(bytes.slice().buffer as ArrayBuffer, { status: 200 }) : new Response(null, { status: 404 }));
  };
  return { url: `${BASE}raw.zarr`, fetch: serve as typeof fetch, requests };
}
