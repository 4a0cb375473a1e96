/**
 * Painting the tiles of {@link imageGrid} into one RGBA image: a row per sample, a column per
 * tile maker, every tile nearest-neighbour scaled so that its longer side is `tileSize` pixels and
 * centered vertically in its row, `gap` pixels of `background` between tiles and around the grid.
 *
 * @example
 * ```ts
 * const grid = paintGrid([{ title: "raw", kind: "input", array: "raw", channel: 0 }], [[tile]], { tileSize: undefined, gap: 2, background: [255, 255, 255] });
 * grid.columns[0]!.x; // 2
 * ```
 * @module
 */

import { ArgumentError } from "../errors.ts";
import type { Rgb } from "./colors.ts";
import type { GridColumn, ImageGrid } from "./image-grid-options.ts";
import type { Tile } from "./image-grid-tiles.ts";

/** How to lay the tiles out. */
export interface GridLayout {
  /** Pixels of every tile's longer side (undefined: the longest side of the first row's tiles). */
  tileSize: number | undefined;
  /** Pixels between tiles and around the grid. */
  gap: number;
  /** Colour of the gaps. */
  background: Rgb;
}

/**
 * Paint `tiles[b][i]` (sample `b`, column `i`) into a grid image.
 *
 * @param columns what each column shows (without its place, which is worked out here)
 * @param tiles one row of tiles per sample, one tile per column; at least one row
 * @throws {ArgumentError} naming `tileSize` when it is not a positive integer
 */
export function paintGrid(columns: readonly Omit<GridColumn, "x" | "width">[], tiles: readonly (readonly Tile[])[], layout: GridLayout): ImageGrid {
  const { gap, background: bg } = layout;
  const rows = tiles.length;
  // Sizes: every tile's longer side is tileSize pixels.
  const first = tiles[0]!;
  const tileSize = layout.tileSize ?? Math.max(...first.map((t) => Math.max(t.h, t.w)));
  if (!(Number.isInteger(tileSize) && tileSize > 0)) throw new ArgumentError("tileSize", "must be a positive integer", layout.tileSize);
  const px = first.map((t) => {
    const f = tileSize / Math.max(t.h, t.w);
    return { W: Math.max(1, Math.round(t.w * f)), H: Math.max(1, Math.round(t.h * f)) };
  });
  const cellH = Math.max(...px.map((p) => p.H));
  const placed: GridColumn[] = [];
  let x = gap;
  columns.forEach((col, i) => {
    placed.push({ ...col, x, width: px[i]!.W });
    x += px[i]!.W + gap;
  });
  const width = x;
  const height = gap + rows * (cellH + gap);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([bg[0], bg[1], bg[2], 255], i * 4);
  const rowInfo: Array<{ y: number; height: number }> = [];
  for (let b = 0; b < rows; b++) {
    const y0 = gap + b * (cellH + gap);
    rowInfo.push({ y: y0, height: cellH });
    tiles[b]!.forEach((t, i) => {
      const { W, H } = px[i]!;
      const x0 = placed[i]!.x;
      const top = y0 + Math.floor((cellH - H) / 2);
      for (let pr = 0; pr < H; pr++) {
        const r = Math.min(t.h - 1, Math.floor((pr * t.h) / H));
        for (let pc = 0; pc < W; pc++) {
          const c = Math.min(t.w - 1, Math.floor((pc * t.w) / W));
          const col = t.color(r, c);
          const o4 = ((top + pr) * width + x0 + pc) * 4;
          data[o4] = col[0];
          data[o4 + 1] = col[1];
          data[o4 + 2] = col[2];
          data[o4 + 3] = 255;
        }
      }
    });
  }
  return { data, width, height, columns: placed, rows: rowInfo };
}
