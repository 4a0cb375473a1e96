// The value-transform spec: validation errors that name the field, both spec forms, and the
// per-sample draw (p, drawn factors, fixed consumption of the random stream). Bodies run in Node,
// Deno and Chromium from the case registry (test/setup/cases.ts). Pure logic: no GPU.

import { drawValueOps } from "../../src/augment/value-draw.ts";
import { parseValueTransforms } from "../../src/augment/value-schema.ts";
import { FLOAT32_MAX, type ValueOp } from "../../src/kernels/value-transforms/contract.ts";
import { caughtSync, check, isTagged, same } from "./assert.ts";
import { rng } from "./value-transform-cases.ts";
import type { Cases } from "./cases.ts";

function fieldOf(work: () => unknown): string | undefined {
  return isTagged(caughtSync(work, "a bad spec"), "argument", undefined, "a bad spec").field;
}

/** A source that replays fixed numbers and counts the draws. */
function replay(values: number[]): { next(): number; count: number } {
  const s = {
    count: 0,
    next() {
      return values[s.count++ % values.length]!;
    },
  };
  return s;
}

export const valueSpecCases = {
  /** The array form and the single-object form parse to the same list, in written order. */
  "accepts the array form and the single-object form in written order"(): void {
    const a = parseValueTransforms([{ normalize: {} }, { gaussianNoise: { std: 0.1, p: 0.5 } }], "v");
    const b = parseValueTransforms({ normalize: {}, gaussianNoise: { std: 0.1, p: 0.5 } }, "v");
    same(a, [{ normalize: {} }, { gaussianNoise: { std: 0.1, p: 0.5 } }], "array form");
    same(b, a, "object form");
    const c = parseValueTransforms({ binarize: { threshold: 0.5 }, normalize: { mean: 1, std: 2 } }, "v");
    same(c.map((e) => Object.keys(e)[0]), ["binarize", "normalize"], "written order");
    same(parseValueTransforms(undefined, "v"), [], "undefined");
  },

  /** Every transform kind parses. */
  "accepts every transform"(): void {
    const all = parseValueTransforms(
      [
        { normalize: { range: [0, 4095] } },
        { gaussianNoise: { std: 0.1, mean: 0.2, p: 0.3 } },
        { randomContrast: { range: [0.5, 1.5] } },
        { randomGamma: { range: [0.5, 1.5], p: 1 } },
        { gaussianBlur: { sigma: [0, 1, 1] } },
        { binarize: { threshold: 0 } },
        { nanToNum: { nan: 0, posinf: 1 } },
      ],
      "v",
    );
    check(all.length === 7, `${all.length} entries parsed, expected 7`);
  },

  /** A bad entry raises ArgumentError naming its field. */
  "names the bad field"(): void {
    const cases: Array<[unknown, string, string]> = [
      [[{ sharpen: {} }], "valueTransforms.raw", "valueTransforms.raw[0].sharpen"],
      [[{ normalize: {} }, { randomGamma: { range: [0, 1] } }], "t", "t[1].randomGamma.range"],
      [[{ randomContrast: { range: [2, 1] } }], "t", "t[0].randomContrast.range"],
      [[{ gaussianNoise: { std: -1 } }], "t", "t[0].gaussianNoise.std"],
      [[{ gaussianNoise: { std: 1, p: 2 } }], "t", "t[0].gaussianNoise.p"],
      [[{ gaussianNoise: { std: 1, sd: 2 } }], "t", "t[0].gaussianNoise.sd"],
      [[{ normalize: { mean: 0, std: 0 } }], "t", "t[0].normalize.std"],
      [[{ normalize: { range: [3, 3] } }], "t", "t[0].normalize.range"],
      [[{ gaussianBlur: { sigma: [1, 1] } }], "t", "t[0].gaussianBlur.sigma"],
      [[{ gaussianBlur: { sigma: -1 } }], "t", "t[0].gaussianBlur.sigma"],
      [[{ binarize: {} }], "t", "t[0].binarize.threshold"],
      [[{ nanToNum: { nan: "0" } }], "t", "t[0].nanToNum.nan"],
      [[{}], "t", "t[0]"],
      [[3], "t", "t[0]"],
    ];
    for (const [spec, where, field] of cases) same(fieldOf(() => parseValueTransforms(spec, where)), field, `field of ${JSON.stringify(spec)}`);
  },

  /** Fixed specs become concrete ops with their defaults. */
  "turns specs into concrete ops with defaults"(): void {
    const ops = drawValueOps(
      parseValueTransforms(
        [
          { normalize: { range: [10, 110] } },
          { normalize: { mean: 5, std: 2 } },
          { normalize: {} },
          { gaussianBlur: { sigma: 2 } },
          { binarize: { threshold: 0.3 } },
          { nanToNum: {} },
        ],
        "t",
      ),
      rng(1),
    );
    same(ops, [
      { kind: "normalize", scale: 1 / 100, offset: -10 / 100 },
      { kind: "normalize", scale: 0.5, offset: -2.5 },
      { kind: "normalize", scale: 1 / 255, offset: -0 / 255 },
      { kind: "gaussianBlur", sigma: [2, 2, 2] },
      { kind: "binarize", threshold: 0.3 },
      { kind: "nanToNum", nan: 0, posinf: FLOAT32_MAX, neginf: -FLOAT32_MAX },
    ] satisfies ValueOp[], "ops");
  },

  /** Factors are drawn in range; ops whose p did not fire are left out. */
  "draws factors in range and leaves out ops whose p did not fire"(): void {
    const spec = parseValueTransforms(
      [{ randomContrast: { range: [0.5, 1.5], p: 0.5 } }, { randomGamma: { range: [2, 4] } }, { gaussianNoise: { std: 1, p: 0.5 } }],
      "t",
    );
    // contrast: p draw 0.25 fires, factor 0.5 + 0.75; gamma: p 0.9 < 1 fires, gamma 2 + 2 * 0.1;
    // noise: p draw 0.6 does not fire, key drawn anyway.
    const src = replay([0.25, 0.75, 0.9, 0.1, 0.6, 0.5]);
    const ops = drawValueOps(spec, src);
    check(ops.length === 2 && ops[0]!.kind === "contrast" && ops[1]!.kind === "gamma", `ops ${JSON.stringify(ops)}`);
    check(Math.abs((ops[0] as { factor: number }).factor - 1.25) < 1e-12, `contrast factor ${JSON.stringify(ops[0])}`);
    check(Math.abs((ops[1] as { gamma: number }).gamma - 2.2) < 1e-12, `gamma ${JSON.stringify(ops[1])}`);
    check(src.count === 6, `${src.count} draws, expected 6`);
  },

  /** The draws consumed do not depend on what p decides. */
  "consumes a fixed number of draws whatever p decides"(): void {
    const spec = (p: number) =>
      parseValueTransforms([{ gaussianNoise: { std: 1, p } }, { randomGamma: { range: [1, 2], p } }, { gaussianBlur: { sigma: 1, p } }], "t");
    const a = replay([0.5]);
    const b = replay([0.5]);
    drawValueOps(spec(0), a);
    drawValueOps(spec(1), b);
    check(a.count === b.count, `p = 0 drew ${a.count}, p = 1 drew ${b.count}`);
    check(a.count === 5, `${a.count} draws, expected 5`);
  },

  /** An entry fires with frequency p (gamma at p = 0.3 over 4000 draws), the same per seed. */
  "fires with the asked frequency and is deterministic per seed"(): void {
    const spec = parseValueTransforms([{ randomGamma: { range: [0.5, 1.5], p: 0.3 } }], "t");
    const r = rng(42);
    let fired = 0;
    for (let i = 0; i < 4000; i++) fired += drawValueOps(spec, r).length;
    check(fired / 4000 > 0.27 && fired / 4000 < 0.33, `fired ${fired} of 4000 at p = 0.3`);
    same(drawValueOps(spec, rng(7)), drawValueOps(spec, rng(7)), "the same seed");
  },
} satisfies Cases;
