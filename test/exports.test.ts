// The package's public exports, snapshotted so that API changes are deliberate: the root entry in
// test/exports.txt, the subpaths (package.json "exports", deno.json "exports") in
// test/exports-subpaths.txt. When this fails, review the difference and rewrite the lists with
// `UPDATE_EXPORTS=1 npx vitest run test/exports.test.ts`.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { expect, test } from "vitest";
import * as api from "../src/index.ts";
import * as kernels from "../src/entries/kernels.ts";
import * as npy from "../src/entries/npy.ts";
import * as reference from "../src/entries/reference.ts";
import * as zarr from "../src/entries/zarr.ts";

const SUBPATHS: Record<string, Record<string, unknown>> = { kernels, npy, reference, zarr };

function listing(module: Record<string, unknown>, prefix = ""): string {
  return Object.keys(module).sort().map((n) => `${prefix}${n}: ${typeof module[n]}`).join("\n") + "\n";
}

function matchesSnapshot(file: string, text: string): void {
  if (process.env["UPDATE_EXPORTS"] === "1") writeFileSync(file, text);
  // A missing snapshot fails: writing it here would pass whatever the API had become.
  expect(existsSync(file), `${file} is missing: review the exports and write it with UPDATE_EXPORTS=1`).toBe(true);
  expect(text).toBe(readFileSync(file, "utf8"));
}

test("the public export list is the reviewed one", () => {
  matchesSnapshot("test/exports.txt", listing(api));
});

test("the subpath export lists are the reviewed ones", () => {
  const text = Object.entries(SUBPATHS).map(([name, module]) => listing(module, `cellmap-data/${name} `)).join("");
  matchesSnapshot("test/exports-subpaths.txt", text);
});

test("package.json and deno.json export the root and exactly these subpaths", () => {
  const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { exports: Record<string, unknown> };
  const deno = JSON.parse(readFileSync("deno.json", "utf8")) as { exports: Record<string, string> };
  const subpaths = Object.keys(SUBPATHS).map((name) => `./${name}`).sort();
  expect(Object.keys(pkg.exports).filter((k) => k !== "./package.json").sort()).toEqual([".", ...subpaths].sort());
  expect(deno.exports).toEqual({ ".": "./src/index.ts", ...Object.fromEntries(subpaths.map((p) => [p, `./src/entries/${p.slice(2)}.ts`])) });
});

test("the built modules (dist/esm) and the Node bundle export the same names as the sources", async () => {
  const built = await import("../dist/esm/index.js" as string);
  expect(Object.keys(built).sort()).toEqual(Object.keys(api).sort());
  for (const [name, module] of Object.entries(SUBPATHS)) {
    const entry = await import(`../dist/esm/entries/${name}.js`);
    expect(Object.keys(entry).sort(), name).toEqual(Object.keys(module).sort());
  }
  const bundle = await import("../dist/index.js" as string);
  expect(Object.keys(bundle).sort()).toEqual(Object.keys(api).sort());
});
