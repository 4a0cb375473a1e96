/**
 * The per-sample draw of value transforms: a spec from `value-schema.ts` becomes one sample's
 * concrete {@link ValueOp}s (the contrast factor drawn, whether `p` fired, the noise stream key),
 * the plain data that the GPU host and the CPU twin of `src/kernels/value-transforms/` apply.
 *
 * @example
 * ```ts
 * const spec = parseValueTransforms([{ randomGamma: { range: [0.5, 1.5], p: 0.5 } }], "valueTransforms.raw");
 * const ops = drawValueOps(spec, { next: Math.random }); // e.g. [{ kind: "gamma", gamma: 1.12 }]
 * ```
 * @module
 */

import { ArgumentError } from "../errors.ts";
import { FLOAT32_MAX, type ValueOp } from "../kernels/value-transforms/contract.ts";
import { customOpSource, type CustomOpOptions } from "../kernels/custom-op/contract.ts";
import type { ValueTransformEntry, ValueTransformName, ValueTransformSpec } from "./value-schema.ts";

/** A source of uniform numbers in [0, 1), such as the dataset's seeded generator. */
export interface UniformSource {
  next(): number;
}

/** The name and options of an entry (its single key). */
function entryOf(e: ValueTransformEntry): [ValueTransformName, Record<string, unknown>] {
  const name = Object.keys(e)[0] as ValueTransformName | undefined;
  if (name === undefined) throw new ArgumentError("valueTransforms", "has an empty entry", e);
  return [name, (e as Record<string, Record<string, unknown>>)[name] ?? {}];
}

/**
 * Draw the concrete operations of one sample. Every entry consumes a fixed number of draws from
 * `rng` whether or not it fires (1 for `p`, plus 1 for a drawn factor or noise key; a custom op
 * 1 for `p` and 1 per ranged parameter), so changing one entry's `p` never shifts what later
 * entries draw. Entries whose `p` did not fire are left out of the result.
 *
 * @param spec a spec from {@link parseValueTransforms}
 * @param rng uniform numbers in [0, 1)
 * @returns the ops to apply to this sample, in order
 * @example
 * ```ts
 * const ops = drawValueOps([{ randomGamma: { range: [0.5, 1.5] } }], rng);
 * // [{ kind: "gamma", gamma: 0.93... }]
 * ```
 */
export function drawValueOps(spec: ValueTransformSpec, rng: UniformSource): ValueOp[] {
  const ops: ValueOp[] = [];
  const fires = (p: unknown): boolean => rng.next() < (typeof p === "number" ? p : 1);
  const between = (r: unknown): number => {
    const [lo, hi] = r as [number, number];
    return lo + (hi - lo) * rng.next();
  };
  for (const e of spec) {
    const [name, o] = entryOf(e);
    switch (name) {
      case "normalize": {
        if (typeof o["mean"] === "number" && typeof o["std"] === "number") {
          ops.push({ kind: "normalize", scale: 1 / o["std"], offset: -o["mean"] / o["std"] });
        } else {
          const [lo, hi] = (o["range"] as [number, number] | undefined) ?? [0, 255];
          ops.push({ kind: "normalize", scale: 1 / (hi - lo), offset: -lo / (hi - lo) });
        }
        break;
      }
      case "gaussianNoise": {
        const fired = fires(o["p"]);
        const key = Math.floor(rng.next() * 4294967296) >>> 0;
        const mean = typeof o["mean"] === "number" ? o["mean"] : 0;
        if (fired) ops.push({ kind: "gaussianNoise", mean, std: o["std"] as number, key });
        break;
      }
      case "randomContrast": {
        const fired = fires(o["p"]);
        const factor = between(o["range"]);
        if (fired) ops.push({ kind: "contrast", factor });
        break;
      }
      case "randomGamma": {
        const fired = fires(o["p"]);
        const gamma = between(o["range"]);
        if (fired) ops.push({ kind: "gamma", gamma });
        break;
      }
      case "gaussianBlur": {
        const fired = fires(o["p"]);
        const s = o["sigma"] as number | [number, number, number];
        const sigma: [number, number, number] = typeof s === "number" ? [s, s, s] : [s[0], s[1], s[2]];
        if (fired) ops.push({ kind: "gaussianBlur", sigma });
        break;
      }
      case "binarize":
        ops.push({ kind: "binarize", threshold: o["threshold"] as number });
        break;
      case "nanToNum":
        ops.push({
          kind: "nanToNum",
          nan: typeof o["nan"] === "number" ? o["nan"] : 0,
          posinf: typeof o["posinf"] === "number" ? o["posinf"] : FLOAT32_MAX,
          neginf: typeof o["neginf"] === "number" ? o["neginf"] : -FLOAT32_MAX,
        });
        break;
      case "distance":
      case "signedDistance": {
        const clip = o["clip"] as [number, number] | undefined;
        const tanhScale = o["tanhScale"] as number | undefined;
        ops.push({
          kind: "distance",
          signed: name === "signedDistance",
          ...(clip === undefined ? {} : { clip: [clip[0], clip[1]] as const }),
          ...(tanhScale === undefined ? {} : { tanhScale }),
        });
        break;
      }
      case "custom": {
        const c = o as unknown as CustomOpOptions;
        const fired = fires(c.p);
        const params: [number, number, number, number] = [0, 0, 0, 0];
        (c.params ?? []).forEach((q, i) => {
          params[i] = typeof q === "number" ? q : between(q);
        });
        const source = customOpSource(c.name, c.wgsl, "custom");
        if (fired) ops.push({ kind: "custom", name: c.name, source, params, ...(c.cpu ? { cpu: c.cpu } : {}) });
        break;
      }
      default:
        throw new ArgumentError("valueTransforms", `names an unknown transform "${String(name)}"`);
    }
  }
  return ops;
}
