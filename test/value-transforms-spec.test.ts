// The value-transform spec: validation errors that name the field, both spec forms, and the
// per-sample draw (p, drawn factors, fixed consumption of the random stream).
import { describe, expect, it } from "vitest";
import { drawValueOps, FLOAT32_MAX, parseValueTransforms, type ValueOp } from "../src/augment/value.ts";
import { isCellMapError } from "../src/errors.ts";
import { rng } from "./setup/value-transform-cases.ts";

function fieldOf(work: () => unknown): string {
  try {
    work();
  } catch (e) {
    expect(isCellMapError(e, "argument")).toBe(true);
    return (e as unknown as { field: string }).field;
  }
  throw new Error("expected an ArgumentError");
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

describe("parseValueTransforms", () => {
  it("accepts the array form and the single-object form in written order", () => {
    const a = parseValueTransforms([{ normalize: {} }, { gaussianNoise: { std: 0.1, p: 0.5 } }], "v");
    const b = parseValueTransforms({ normalize: {}, gaussianNoise: { std: 0.1, p: 0.5 } }, "v");
    expect(a).toEqual([{ normalize: {} }, { gaussianNoise: { std: 0.1, p: 0.5 } }]);
    expect(b).toEqual(a);
    const c = parseValueTransforms({ binarize: { threshold: 0.5 }, normalize: { mean: 1, std: 2 } }, "v");
    expect(c.map((e) => Object.keys(e)[0])).toEqual(["binarize", "normalize"]);
    expect(parseValueTransforms(undefined, "v")).toEqual([]);
  });

  it("accepts every transform", () => {
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
    expect(all).toHaveLength(7);
  });

  it("names the bad field", () => {
    expect(fieldOf(() => parseValueTransforms([{ sharpen: {} }], "valueTransforms.raw"))).toBe("valueTransforms.raw[0].sharpen");
    expect(fieldOf(() => parseValueTransforms([{ normalize: {} }, { randomGamma: { range: [0, 1] } }], "t"))).toBe("t[1].randomGamma.range");
    expect(fieldOf(() => parseValueTransforms([{ randomContrast: { range: [2, 1] } }], "t"))).toBe("t[0].randomContrast.range");
    expect(fieldOf(() => parseValueTransforms([{ gaussianNoise: { std: -1 } }], "t"))).toBe("t[0].gaussianNoise.std");
    expect(fieldOf(() => parseValueTransforms([{ gaussianNoise: { std: 1, p: 2 } }], "t"))).toBe("t[0].gaussianNoise.p");
    expect(fieldOf(() => parseValueTransforms([{ gaussianNoise: { std: 1, sd: 2 } }], "t"))).toBe("t[0].gaussianNoise.sd");
    expect(fieldOf(() => parseValueTransforms([{ normalize: { mean: 0, std: 0 } }], "t"))).toBe("t[0].normalize.std");
    expect(fieldOf(() => parseValueTransforms([{ normalize: { range: [3, 3] } }], "t"))).toBe("t[0].normalize.range");
    expect(fieldOf(() => parseValueTransforms([{ gaussianBlur: { sigma: [1, 1] } }], "t"))).toBe("t[0].gaussianBlur.sigma");
    expect(fieldOf(() => parseValueTransforms([{ gaussianBlur: { sigma: -1 } }], "t"))).toBe("t[0].gaussianBlur.sigma");
    expect(fieldOf(() => parseValueTransforms([{ binarize: {} }], "t"))).toBe("t[0].binarize.threshold");
    expect(fieldOf(() => parseValueTransforms([{ nanToNum: { nan: "0" } }], "t"))).toBe("t[0].nanToNum.nan");
    expect(fieldOf(() => parseValueTransforms([{}], "t"))).toBe("t[0]");
    expect(fieldOf(() => parseValueTransforms([3], "t"))).toBe("t[0]");
  });
});

describe("drawValueOps", () => {
  it("turns specs into concrete ops with defaults", () => {
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
    expect(ops).toEqual<ValueOp[]>([
      { kind: "normalize", scale: 1 / 100, offset: -10 / 100 },
      { kind: "normalize", scale: 0.5, offset: -2.5 },
      { kind: "normalize", scale: 1 / 255, offset: -0 / 255 },
      { kind: "gaussianBlur", sigma: [2, 2, 2] },
      { kind: "binarize", threshold: 0.3 },
      { kind: "nanToNum", nan: 0, posinf: FLOAT32_MAX, neginf: -FLOAT32_MAX },
    ]);
  });

  it("draws factors in range and leaves out ops whose p did not fire", () => {
    const spec = parseValueTransforms(
      [{ randomContrast: { range: [0.5, 1.5], p: 0.5 } }, { randomGamma: { range: [2, 4] } }, { gaussianNoise: { std: 1, p: 0.5 } }],
      "t",
    );
    // contrast: p draw 0.25 fires, factor 0.5 + 0.75; gamma: p 0.9 < 1 fires, gamma 2 + 2 * 0.1;
    // noise: p draw 0.6 does not fire, key drawn anyway.
    const src = replay([0.25, 0.75, 0.9, 0.1, 0.6, 0.5]);
    expect(drawValueOps(spec, src)).toEqual([
      { kind: "contrast", factor: 1.25 },
      { kind: "gamma", gamma: 2.2 },
    ]);
    expect(src.count).toBe(6);
  });

  it("consumes a fixed number of draws whatever p decides", () => {
    const spec = (p: number) =>
      parseValueTransforms([{ gaussianNoise: { std: 1, p } }, { randomGamma: { range: [1, 2], p } }, { gaussianBlur: { sigma: 1, p } }], "t");
    const a = replay([0.5]);
    const b = replay([0.5]);
    drawValueOps(spec(0), a);
    drawValueOps(spec(1), b);
    expect(a.count).toBe(b.count);
    expect(a.count).toBe(5);
  });

  it("fires with the asked frequency and is deterministic per seed", () => {
    const spec = parseValueTransforms([{ randomGamma: { range: [0.5, 1.5], p: 0.3 } }], "t");
    const r = rng(42);
    let fired = 0;
    for (let i = 0; i < 4000; i++) fired += drawValueOps(spec, r).length;
    expect(fired / 4000).toBeGreaterThan(0.27);
    expect(fired / 4000).toBeLessThan(0.33);
    expect(drawValueOps(spec, rng(7))).toEqual(drawValueOps(spec, rng(7)));
  });
});
