/**
 * Chunk-cache statistics of every array the app has open (the viewer's and the sample panel's),
 * and the progress indicator in the top bar while chunks stream.
 * @module
 */
import type { CellMapArray } from "../../src/index.ts";
import { byId, formatBytes, h } from "./dom.ts";
import type { Source } from "./source.ts";

/** The arrays whose caches are counted, by owner ("viewer", "sample panel"). */
export class ArrayRegistry {
  readonly #groups = new Map<string, CellMapArray[]>();

  set(owner: string, arrays: CellMapArray[]): void {
    this.#groups.set(owner, arrays);
  }

  get groups(): ReadonlyMap<string, readonly CellMapArray[]> {
    return this.#groups;
  }

  /** Summed counters. */
  totals(arrays?: readonly CellMapArray[]): Totals {
    const list = arrays ?? [...this.#groups.values()].flat();
    const t: Totals = { hits: 0, misses: 0, bytesFetched: 0, bytesResident: 0, budgetBytes: 0, requestsInFlight: 0, evictions: 0, arrays: list.length };
    for (const a of list) {
      const s = a.stats;
      t.hits += s.hits;
      t.misses += s.misses;
      t.bytesFetched += s.bytesFetched;
      t.bytesResident += s.bytesResident;
      t.budgetBytes += s.budgetBytes;
      t.requestsInFlight += s.requestsInFlight;
      t.evictions += s.evictions;
    }
    return t;
  }
}

export interface Totals {
  hits: number;
  misses: number;
  bytesFetched: number;
  bytesResident: number;
  budgetBytes: number;
  requestsInFlight: number;
  evictions: number;
  arrays: number;
}

/** A registry holding the viewer's arrays. */
export function trackedArrays(source: Source): ArrayRegistry {
  const r = new ArrayRegistry();
  r.set("viewer", [source.raw, ...source.crops.flatMap((c) => [...c.arrays.values()])]);
  return r;
}

/** Mount the stats table and start updating it and the progress indicator. */
export function mountCachePanel(root: HTMLElement, arrays: ArrayRegistry, busy: () => boolean): () => Totals {
  const table = h("dl", { class: "kv", id: "cache-stats" });
  const perOwner = h("div", { class: "muted", id: "cache-owners" });
  root.append(table, perOwner);
  const progress = byId("progress");
  const fill = progress.querySelector<HTMLElement>(".fill")!;
  const text = progress.querySelector<HTMLElement>(".text")!;
  let burstStart: number | undefined;
  let lastShown = "";

  const update = () => {
    const t = arrays.totals();
    const lookups = t.hits + t.misses;
    const rows: Array<[string, string, string]> = [
      ["resident", `${formatBytes(t.bytesResident)} of ${formatBytes(t.budgetBytes)} (${pct(t.bytesResident, t.budgetBytes)})`, "resident"],
      ["budget", formatBytes(t.budgetBytes), "budget"],
      ["hit rate", lookups ? `${pct(t.hits, lookups)} (${t.hits} hits, ${t.misses} misses)` : "–", "hit-rate"],
      ["in flight", String(t.requestsInFlight), "in-flight"],
      ["fetched", formatBytes(t.bytesFetched), "fetched"],
      ["evictions", String(t.evictions), "evictions"],
    ];
    const shown = JSON.stringify(rows);
    if (shown !== lastShown) {
      lastShown = shown;
      table.replaceChildren(...rows.flatMap(([k, v, id]) => [h("dt", {}, k), h("dd", { "data-stat": id }, v)]));
      perOwner.textContent = [...arrays.groups].map(([owner, list]) => {
        const o = arrays.totals(list);
        return `${owner}: ${list.length} arrays, ${formatBytes(o.bytesResident)} resident`;
      }).join(" · ");
    }
    // Progress: chunk fetches of the current burst of activity.
    const active = t.requestsInFlight > 0 || busy();
    if (active) {
      burstStart ??= t.misses - t.requestsInFlight;
      const total = t.misses - burstStart;
      const done = total - t.requestsInFlight;
      progress.hidden = false;
      progress.dataset["active"] = "true";
      fill.style.width = total > 0 ? `${Math.round((100 * done) / total)}%` : "100%";
      text.textContent = t.requestsInFlight > 0 ? `streaming chunks: ${done}/${total} loaded, ${t.requestsInFlight} in flight` : "working…";
    } else {
      burstStart = undefined;
      progress.dataset["active"] = "false";
      fill.style.width = "100%";
      text.textContent = `idle · ${formatBytes(t.bytesResident)} cached`;
    }
    return t;
  };
  setInterval(update, 150);
  update();
  return update;
}

function pct(a: number, b: number): string {
  return b > 0 ? `${((100 * a) / b).toFixed(1)}%` : "–";
}
