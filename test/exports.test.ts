// The package's public exports, snapshotted so that API changes are deliberate: when this fails,
// review the difference and rewrite the list with `UPDATE_EXPORTS=1 npx vitest run test/exports.test.ts`.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { expect, test } from "vitest";
import * as api from "../src/index.ts";

const file = "test/exports.txt";

test("the public export list is the reviewed one", () => {
  const names = Object.keys(api).sort();
  const text = names.map((n) => `${n}: ${typeof (api as Record<string, unknown>)[n]}`).join("\n") + "\n";
  if (process.env["UPDATE_EXPORTS"] === "1") writeFileSync(file, text);
  // A missing snapshot fails: writing it here would pass whatever the API had become.
  expect(existsSync(file), `${file} is missing: review the exports and write it with UPDATE_EXPORTS=1`).toBe(true);
  expect(text).toBe(readFileSync(file, "utf8"));
});

test("the Node bundle exports the same names", async () => {
  const bundle = await import("../dist/index.js" as string);
  expect(Object.keys(bundle).sort()).toEqual(Object.keys(api).sort());
});
