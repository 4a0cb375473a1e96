#!/usr/bin/env node
// `node bench/first-touch.mjs`: what writing fresh memory costs on this machine against writing
// memory written before, side by side: a 32 MiB Float32Array and a 32 MiB SharedArrayBuffer, each
// filled twice, five times over (the medians are printed). The first fill of fresh memory pays
// the page faults (and the zeroing) of every page; the second is the copy alone. This is why the
// loader reuses batch arrays (`batch.release()`), why a cold epoch pays for every chunk-cache page
// it first writes, and why bench figures of a fresh process differ from a long-running one.
const MiB = 2 ** 20;
const n = (32 * MiB) / 4;
const runs = 5;
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = { "ArrayBuffer": [[], []], "SharedArrayBuffer": [[], []] };
for (let r = 0; r < runs; r++) {
  for (const [name, make] of [["ArrayBuffer", () => new Float32Array(n)], ["SharedArrayBuffer", () => new Float32Array(new SharedArrayBuffer(n * 4))]]) {
    const a = make();
    let t = performance.now();
    a.fill(1);
    rows[name][0].push(performance.now() - t);
    t = performance.now();
    a.fill(2);
    rows[name][1].push(performance.now() - t);
  }
}
console.log(`32 MiB fills, median of ${runs} (ms): memory\tfirst fill (fresh pages)\tsecond fill\tratio\tper 4 KiB page, first`);
for (const [name, [first, second]] of Object.entries(rows)) {
  const f = median(first), s = median(second);
  console.log(`${name}\t${f.toFixed(1)}\t${s.toFixed(1)}\t${(f / s).toFixed(0)}x\t${((f * 1000) / (32 * 256)).toFixed(2)} µs`);
}
