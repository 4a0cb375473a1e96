// Every test title quoted in a "Proved by" cell of docs/parity.md is a string in a test file, so
// a renamed or removed test cannot leave the parity table pointing at nothing. `"... (GPU)"` and
// `"from a 5-column CSV file: ..."` stand for the title they abbreviate; `see "Section"` cells
// name a section of the page instead of a test.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";

const root = join(import.meta.dirname, "..");

function testSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => readFileSync(join(e.parentPath, e.name), "utf8"));
}

/** Every string literal ('...', "...", `...`) of the test sources. */
function literals(): Set<string> {
  const out = new Set<string>();
  for (const src of testSources(join(root, "test"))) {
    for (const m of src.matchAll(/"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`|'((?:[^'\\\n]|\\.)*)'/g)) {
      out.add((m[1] ?? m[2] ?? m[3] ?? "").replace(/\\"/g, '"'));
    }
  }
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

test("every test title quoted in docs/parity.md exists in a test file", () => {
  const lits = [...literals()];
  const doc = readFileSync(join(root, "docs/parity.md"), "utf8");
  const missing: string[] = [];
  let checked = 0;
  for (const line of doc.split("\n")) {
    if (!line.startsWith("|")) continue;
    const cells = line.replace(/^\||\|$/g, "").split(" | ").map((c) => c.trim());
    if (cells.length < 4) continue;
    for (const [, q] of cells[2]!.replace(/see "[^"]+"/g, "").matchAll(/"([^"]+)"/g)) {
      if (q === "...") continue;
      checked++;
      const pattern = new RegExp(`^${q!.split("...").map((p) => escape(p.trim())).join(".*")}$`);
      if (!lits.some((l) => (q!.includes("...") ? pattern.test(l) : l === q))) missing.push(q!);
    }
  }
  expect(checked).toBeGreaterThan(200);
  expect(missing).toEqual([]);
});
