/**
 * Class balance per sampler: draw N batches with each of "random", "weighted" and
 * "classBalanced" and plot, per class, the share of target voxels that are foreground, and how
 * many samples contain the class at all.
 * @module
 */
import type { SamplerKind } from "../../src/index.ts";
import { countClasses, makeLoader, type Datasets } from "./batch-source.ts";
import { classColor, css } from "./colors.ts";
import { h, numberInput } from "./dom.ts";
import type { SampleConfig } from "./sample-config.ts";

const SAMPLERS: readonly SamplerKind[] = ["random", "weighted", "classBalanced"];
// The plot compares the drawing samplers; "sequential" draws nothing at random.
const SAMPLER_COLORS: Record<SamplerKind, string> = { random: "#8b95a3", sequential: "#5f6b7a", weighted: "#5b9cff", classBalanced: "#ffd33d" };

/** Per sampler and class: foreground voxels, known voxels, all voxels, samples with the class. */
export type BalanceResult = Record<string, { samples: number; byCrop: Record<string, number>; classes: Record<string, { fg: number; known: number; total: number; samplesWith: number }> }>;

export function mountBalancePlot(root: HTMLElement, deps: {
  read: () => { config?: SampleConfig | undefined; error?: string | undefined };
  datasets: (c: SampleConfig) => Promise<Datasets>;
  /** Runs an operation after the panel's others (batch draws, earlier runs). */
  serial: <T>(op: () => Promise<T>) => Promise<T>;
}): () => Promise<void> {
  const batches = numberInput(4, { id: "balance-batches", min: "1", max: "200", step: "1" });
  const run = h("button", { type: "button", id: "run-balance" }, "Draw");
  const status = h("div", { class: "muted", id: "balance-status" });
  const canvas = h("canvas", { id: "balance-plot" });
  const table = h("div", { class: "muted", id: "balance-table" });
  root.append(
    h("div", { class: "row" }, h("label", { for: "balance-batches" }, "batches"), batches, h("span", { class: "muted" }, "per sampler, with the panel's config"), run),
    status, canvas, table);
  let last: { result: BalanceResult; classes: readonly string[] } | undefined;
  new ResizeObserver(() => last && plot(canvas, last.result, last.classes)).observe(canvas);

  const go = () => deps.serial(async () => {
    const r = deps.read();
    if (!r.config) {
      status.textContent = r.error ?? "invalid config";
      return;
    }
    const n = Number(batches.value);
    if (!Number.isInteger(n) || n < 1 || n > 200) {
      status.textContent = "batches must be an integer from 1 to 200";
      return;
    }
    const config = r.config;
    run.disabled = true;
    try {
      const d = await deps.datasets(config);
      const classes = d.multi.classes;
      const result: BalanceResult = {};
      for (const sampler of SAMPLERS) {
        const entry = (result[sampler] = { samples: 0, byCrop: {} as Record<string, number>, classes: {} as BalanceResult[string]["classes"] });
        for (const c of classes) entry.classes[c] = { fg: 0, known: 0, total: 0, samplesWith: 0 };
        const loader = makeLoader(d, config, n, sampler);
        let k = 0;
        for await (const batch of loader) {
          k++;
          status.textContent = `${sampler}: batch ${k}/${n}`;
          for (const name of Object.keys(config.targetArrays)) {
            for (const [cls, v] of countClasses(batch[name]!, classes)) {
              const e = entry.classes[cls]!;
              e.fg += v.fg;
              e.known += v.known;
              e.total += v.total;
              e.samplesWith += v.samplesWith;
            }
          }
          for (const idx of batch.idx) {
            const { dataset } = d.multi.locate(idx);
            const crop = d.crops.find((c) => c.dataset === dataset)?.name ?? "?";
            entry.byCrop[crop] = (entry.byCrop[crop] ?? 0) + 1;
          }
          entry.samples += batch.idx.length;
          batch.release();
        }
      }
      last = { result, classes };
      plot(canvas, result, classes);
      table.replaceChildren(...SAMPLERS.map((s) => {
        const e = result[s]!;
        const crops = Object.entries(e.byCrop).map(([c, k]) => `${c} ${k}`).join(", ");
        const present = classes.map((c) => `${c} ${e.classes[c]!.samplesWith}`).join(", ");
        return h("div", { "data-sampler": s }, h("b", { style: `color:${SAMPLER_COLORS[s]}` }, s), ` · ${e.samples} samples (${crops}) · samples with: ${present}`);
      }));
      root.dataset["result"] = JSON.stringify(result);
      status.textContent = `${n} batch${n === 1 ? "" : "es"} of ${config.batchSize} per sampler`;
    } catch (e) {
      status.textContent = (e as Error).message;
    } finally {
      run.disabled = false;
    }
  });
  run.addEventListener("click", () => void go());
  return go;
}

/** Grouped bars: per class, one bar per sampler with the foreground share of the target voxels. */
function plot(canvas: HTMLCanvasElement, result: BalanceResult, classes: readonly string[]): void {
  const r = canvas.getBoundingClientRect();
  const w = Math.max(100, Math.floor(r.width));
  const hh = Math.max(100, Math.floor(r.height));
  canvas.width = w;
  canvas.height = hh;
  const ctx = canvas.getContext("2d")!;
  ctx.clearRect(0, 0, w, hh);
  ctx.font = "10px system-ui, sans-serif";
  const left = 34;
  const bottom = 30;
  const top = 8;
  const frac = (s: SamplerKind, c: string) => {
    const e = result[s]!.classes[c]!;
    return e.total ? e.fg / e.total : 0;
  };
  const max = Math.max(0.01, ...SAMPLERS.flatMap((s) => classes.map((c) => frac(s, c))));
  // Four ticks at a step of 1, 2 or 5 times a power of ten.
  const raw = max / 4;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * pow >= raw) ?? 10) * pow;
  const yMax = step * 4;
  const plotH = hh - bottom - top;
  ctx.strokeStyle = "#2c333d";
  ctx.fillStyle = "#8b95a3";
  for (let t = 0; t <= 4; t++) {
    const v = (yMax * t) / 4;
    const y = top + plotH - (v / yMax) * plotH;
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(w - 4, y);
    ctx.stroke();
    ctx.fillText(`${+(v * 100).toPrecision(3)}%`, 2, y + 3);
  }
  const group = (w - left - 8) / Math.max(1, classes.length);
  const bar = Math.min(18, (group - 8) / SAMPLERS.length);
  classes.forEach((c, i) => {
    const x0 = left + i * group + (group - bar * SAMPLERS.length) / 2;
    SAMPLERS.forEach((s, k) => {
      const v = frac(s, c);
      const bh = (v / yMax) * plotH;
      ctx.fillStyle = SAMPLER_COLORS[s];
      ctx.fillRect(x0 + k * bar, top + plotH - bh, bar - 2, bh);
    });
    ctx.fillStyle = css(classColor(c));
    ctx.fillText(c, left + i * group + group / 2 - ctx.measureText(c).width / 2, hh - bottom + 12);
  });
  // Legend.
  let lx = left;
  for (const s of SAMPLERS) {
    ctx.fillStyle = SAMPLER_COLORS[s];
    ctx.fillRect(lx, hh - 10, 8, 8);
    ctx.fillStyle = "#d9dee5";
    ctx.fillText(s, lx + 11, hh - 2);
    lx += ctx.measureText(s).width + 24;
  }
  ctx.fillStyle = "#8b95a3";
  ctx.fillText("foreground share of target voxels", w - 170, top + 8);
}
