/**
 * EM-like intensities for the sample scene (uint8, FIB-SEM contrast: membranes dark, extracellular
 * space bright). Each organelle's membrane lies just inside its labelled region, so labels and
 * texture describe the same geometry.
 * @module
 */

import { band, mix, smoothstep } from "./geometry.ts";
import { createNoiseField, gaussianNoise, type NoiseField, sampleNoise, sinDet } from "./rng.ts";
import { CLASS_ID, type Hit, locate, type Scene } from "./scene.ts";

/** Gray levels of the scene's materials (before texture and noise). */
export const GRAY = {
  cytoplasm: 165,
  ecs: 215,
  membrane: 55,
  nucleoplasm: 150,
  heterochromatin: 90,
  perinuclear: 178,
  matrix: 112,
  cristae: 62,
  erLumen: 122,
  vesicleLumen: 195,
} as const;

/** Standard deviation of the per-voxel noise, in gray levels. */
export const NOISE_SIGMA = 7;

/** Intensity at a world point, before per-voxel noise (0..255, not rounded). */
export type Shader = (z: number, y: number, x: number) => number;

/**
 * Make the shading function of a scene. Texture fields are precomputed once per scene.
 * @param seed texture seed (the scene's seed by default)
 */
export function createShader(scene: Scene, seed: number = scene.seed): Shader {
  const field = (cell: number, salt: number): NoiseField => createNoiseField(seed ^ salt, cell, scene.box.min, scene.box.max);
  const ecsTex = field(30, 0x11);
  const cytoTex = field(25, 0x22);
  const speckle = field(8, 0x33);
  const chromatin = field(28, 0x44);
  const nucleoTex = field(12, 0x55);
  const matrixTex = field(15, 0x66);
  const hit: Hit = { obj: null, sd: 0 };
  return (z, y, x) => {
    const cls = locate(scene, z, y, x, hit);
    const o = hit.obj;
    const d = hit.sd;
    if (o === null) {
      // extracellular space: bright, faint flocculent texture
      if (cls === CLASS_ID.ecs) return GRAY.ecs + 16 * (sampleNoise(ecsTex, z, y, x) - 0.5);
      const base = GRAY.cytoplasm + 18 * (sampleNoise(cytoTex, z, y, x) - 0.5) -
        35 * smoothstep(0.72, 0.92, sampleNoise(speckle, z, y, x));
      return mix(base, GRAY.membrane, band(d + 5)); // plasma membrane just inside the cell surface
    }
    switch (o.kind) {
      case "nucleus": {
        const depth = -d;
        const chrom = sampleNoise(chromatin, z, y, x) + 0.4 * (1 - smoothstep(25, 70, depth));
        let g = mix(GRAY.nucleoplasm, GRAY.heterochromatin, smoothstep(0.62, 0.74, chrom));
        g += 14 * (sampleNoise(nucleoTex, z, y, x) - 0.5);
        // double envelope: outer and inner membrane with the brighter perinuclear space between
        if (depth < 30) g = mix(g, GRAY.perinuclear, smoothstep(6, 9, depth) * (1 - smoothstep(20, 23, depth)));
        return mix(g, GRAY.membrane, Math.max(band(depth - 5), band(depth - 25)));
      }
      case "mito": {
        const depth = -d;
        let g = GRAY.matrix + 12 * (sampleNoise(matrixTex, z, y, x) - 0.5);
        if (depth > 12) {
          // cristae: wavy lamellae across the tube, every `period` nm along its axis
          const pz = z - o.a[0];
          const py = y - o.a[1];
          const px = x - o.a[2];
          const t = pz * o.axis[0] + py * o.axis[1] + px * o.axis[2];
          const cu = pz * o.u[0] + py * o.u[1] + px * o.u[2];
          const s = t + 6 * sinDet(cu / 18 + o.phase);
          const m = s - Math.floor(s / o.period) * o.period;
          g = mix(g, GRAY.cristae, band(m - o.period / 2, 2.5, 2.5) * smoothstep(14, 20, depth));
        }
        return mix(g, GRAY.membrane, Math.max(band(depth - 4, 2.5, 3), band(depth - 13, 2.5, 3)));
      }
      case "ves":
        return mix(GRAY.vesicleLumen, GRAY.membrane, band(-d - 3, 2, 2.5));
      case "er":
        return mix(GRAY.erLumen, GRAY.membrane - 5, band(-d - 3, 2.5, 3));
    }
  };
}

/** Final uint8 intensity: a shaded value plus gaussian-like noise keyed by the voxel index (i, j, k). */
export function addNoise(value: number, i: number, j: number, k: number, seed: number): number {
  const g = value + NOISE_SIGMA * gaussianNoise(k, j, i, seed ^ 0x77);
  return g <= 0 ? 0 : g >= 255 ? 255 : Math.round(g);
}
