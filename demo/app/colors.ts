/** Colours of classes, crops, views and sample boxes. */

const KNOWN: Record<string, [number, number, number]> = {
  mito: [1.0, 0.55, 0.1],
  er: [0.2, 0.85, 0.35],
  nucleus: [0.3, 0.55, 1.0],
  ves: [0.95, 0.3, 0.85],
  ecs: [1.0, 0.9, 0.2],
  cell: [0.6, 0.6, 0.6],
  pm: [0.9, 0.2, 0.2],
  mt: [0.5, 1.0, 1.0],
};

/** A class's overlay colour (rgb in 0..1): fixed for common CellMap classes, else from a hash of its name. */
export function classColor(name: string): [number, number, number] {
  const known = KNOWN[name];
  if (known) return known;
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return hsl((h % 360) / 360, 0.75, 0.55);
}

function hsl(h: number, s: number, l: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h * 12) % 12;
    const a = s * Math.min(l, 1 - l);
    return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [f(0), f(8), f(4)];
}

/** CSS colour of an rgb triple in 0..1. */
export function css(c: readonly [number, number, number], alpha = 1): string {
  const [r, g, b] = c.map((v) => Math.round(v * 255));
  return alpha === 1 ? `rgb(${r}, ${g}, ${b})` : `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** Outline colours of crops, by position. */
export const CROP_COLORS = ["#e6e6e6", "#c9a0ff", "#7fe3d0", "#ffb3b3", "#b3d1ff"];

/** Colour of each view (its border, and its plane's line in the other views). */
export const PLANE_COLORS = { xy: "#5b9cff", xz: "#5bd75b", yz: "#ff6b6b" } as const;

/** Sample box colours: input arrays and target arrays. */
export const BOX_COLORS = { input: "#ffd33d", target: "#3dd9ff" } as const;

/** Sampling region colour. */
export const REGION_COLOR = "#7dff8a";
