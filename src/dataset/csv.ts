/**
 * The Python library's datasplit CSV, in both of its layouts (no header row):
 *
 * - 5 columns: `train|validate, raw_root, raw_dataset, gt_root, gt_dataset`, e.g.
 *   `"train","/data/jrc_cell.zarr","recon-1/em/fibsem-uint8","/data/jrc_cell.zarr","recon-1/labels/groundtruth/crop1/[mito,er]"`;
 *   raw = `raw_root/raw_dataset`, gt = `gt_root/gt_dataset` (as `os.path.join`).
 * - 3 columns: `train|validate, raw_path, gt_path`.
 *
 * Fields may be quoted (RFC 4180: `""` inside quotes is a quote). Blank lines are skipped; a first
 * line whose first field is not `train` or `validate` is taken as a header and skipped.
 * @module
 */

import { ArgumentError } from "../errors.ts";
import { isHttpUrl } from "../store/open.ts";

/** One dataset of a split: its raw group and its labels (a target path template). */
export interface DatasplitEntry {
  raw: string;
  gt: string;
}

/** Datasets by usage. */
export interface DatasetDict {
  train: DatasplitEntry[];
  validate: DatasplitEntry[];
}

/** Split CSV text into rows of fields (RFC 4180 quoting, `\n` or `\r\n` line ends). */
export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  const endField = () => {
    row.push(field.trim());
    field = "";
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field.trim() === "") {
      quoted = true;
      field = "";
    } else if (ch === ",") {
      endField();
    } else if (ch === "\n" || ch === "\r") {
      endField();
      if (!(row.length === 1 && row[0] === "")) rows.push(row);
      row = [];
      if (ch === "\r" && text[i + 1] === "\n") i++;
    } else {
      field += ch;
    }
    i++;
  }
  if (field !== "" || row.length > 0) {
    endField();
    if (!(row.length === 1 && row[0] === "")) rows.push(row);
  }
  return rows;
}

/** `os.path.join(a, b)` for paths and URLs: `b` wins when it is absolute. */
export function joinPath(a: string, b: string): string {
  if (b === "") return a;
  if (b.startsWith("/") || isHttpUrl(b) || /^[a-z][a-z0-9+.-]*:\/\//i.test(b)) return b;
  if (a === "") return b;
  return `${a.replace(/\/+$/, "")}/${b.replace(/^\.\//, "")}`;
}

/**
 * Parse datasplit CSV text.
 *
 * @throws {ArgumentError} naming the line of a row with a bad usage or column count.
 * @example
 * ```ts
 * parseDatasplitCsv('"train","/d.zarr","recon-1/em/fibsem-uint8","/d.zarr","recon-1/labels/groundtruth/crop1/[mito]"\n');
 * // { train: [{ raw: "/d.zarr/recon-1/em/fibsem-uint8", gt: "/d.zarr/recon-1/labels/groundtruth/crop1/[mito]" }], validate: [] }
 * ```
 */
export function parseDatasplitCsv(text: string): DatasetDict {
  const out: DatasetDict = { train: [], validate: [] };
  parseCsvRows(text).forEach((row, i) => {
    const usage = (row[0] ?? "").toLowerCase();
    if (usage !== "train" && usage !== "validate") {
      if (i === 0) return; // a header
      throw new ArgumentError(`csv row ${i + 1}`, 'must start with "train" or "validate"', row[0]);
    }
    let entry: DatasplitEntry;
    if (row.length === 5) entry = { raw: joinPath(row[1]!, row[2]!), gt: joinPath(row[3]!, row[4]!) };
    else if (row.length === 3) entry = { raw: row[1]!, gt: row[2]! };
    else throw new ArgumentError(`csv row ${i + 1}`, "must have 3 columns (usage, raw, gt) or 5 (usage, raw root, raw dataset, gt root, gt dataset)", row);
    out[usage].push(entry);
  });
  return out;
}

type FsPromises = typeof import("node:fs/promises");

/** Read a text file: `fetch` for http(s) URLs, the file system (Deno, Node) otherwise. */
export async function readText(location: string, options: { signal?: AbortSignal; fetch?: typeof fetch } = {}): Promise<string> {
  if (isHttpUrl(location)) {
    const f = options.fetch ?? globalThis.fetch.bind(globalThis);
    const res = await f(location, options.signal ? { signal: options.signal } : {});
    if (!res.ok) throw new ArgumentError("csvPath", `could not be read: HTTP ${res.status}`, location);
    return await res.text();
  }
  const specifier = "node:fs/promises";
  const fs = (await import(/* @vite-ignore */ specifier)) as FsPromises;
  const path = location.startsWith("file://") ? decodeURIComponent(new URL(location).pathname) : location;
  return await fs.readFile(path, { encoding: "utf8", ...(options.signal ? { signal: options.signal } : {}) });
}
