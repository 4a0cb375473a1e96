// The fixture volumes of the CellMapArray cases, as plain data (browser-safe; the writer is in
// array-fixture.ts).
export const FIXTURE_SHAPE = [30, 41, 52] as const;
export const FIXTURE_SCALE = [6, 4, 4] as const;
export const FIXTURE_TRANSLATION = [12, -8, 20] as const;

/** The fixture volumes as plain arrays (for expectations). */
export function fixtureVolumes(): { raw: Uint16Array; labels: Uint8Array } {
  const [nz, ny, nx] = FIXTURE_SHAPE;
  const raw = new Uint16Array(nz * ny * nx);
  const labels = new Uint8Array(nz * ny * nx);
  let i = 0;
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++, i++) {
    raw[i] = Math.round(30000 + 12000 * Math.sin(z * 0.31 + y * 0.17) + 9000 * Math.cos(x * 0.23 - y * 0.11) + ((i * 2654435761) % 997));
    labels[i] = ((Math.floor(z / 5) + Math.floor(y / 7) + Math.floor(x / 9)) % 3) + (x > 40 ? 10 : 0);
  }
  return { raw, labels };
}

