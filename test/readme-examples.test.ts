// The README's examples, run as a user would run them: the same text, from the package's
// Node entry point (dist/), against the sample dataset served on loopback.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { generateSampleDataset } from "../src/sample-data/index.ts";
import { serveStatic, type StaticServer } from "../src/serve/static-server.ts";
import { createFsTarget } from "../src/zarr-write/fs-target.ts";

const run = promisify(execFile);
const readme = readFileSync("README.md", "utf8");
let dir: string;
let server: StaticServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cellmap-readme-"));
  await generateSampleDataset(createFsTarget(dir), { seed: 1 });
  server = await serveStatic({ root: dir });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function runExample(name: string, cwd?: string): Promise<string> {
  const source = readFileSync(`docs/examples/${name}.ts`, "utf8");
  expect(readme, `README shows docs/examples/${name}.ts verbatim`).toContain(source);
  // The examples are plain JavaScript in TypeScript files; run them inside the package so
  // `import "cellmap-data"` resolves to the package itself.
  const out = join("test", "artifacts");
  mkdirSync(out, { recursive: true });
  const file = join(out, `${name}.mjs`);
  writeFileSync(file, source.replaceAll("http://127.0.0.1:8000", server.url));
  const { stdout } = await run("node", [join(process.cwd(), file)], { encoding: "utf8", timeout: 240_000, ...(cwd ? { cwd } : {}) });
  return stdout;
}

describe("README examples", () => {
  test("the ten-line example samples two 64³ patches", async () => {
    const out = await runExample("quickstart");
    expect(out).toMatch(/misses: [1-9]/);
    expect(out).toMatch(/bytesFetched: [1-9]/);
  });
  test("the training loop runs two epochs of three GPU batches", async () => {
    const out = await runExample("training-loop");
    const lines = out.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("epoch 0: batch of 4, raw 4,1,32,64,64, gt 4,4,16,32,32"))).toHaveLength(3);
    expect(lines.filter((l) => l.startsWith("epoch 1: batch of 4"))).toHaveLength(3);
  });
  test("the inference example writes every tile and a PNG per batch", async () => {
    const work = mkdtempSync(join(tmpdir(), "cellmap-inference-"));
    try {
      const out = await runExample("inference", work);
      const lines = out.trim().split("\n");
      expect(lines).toHaveLength(2);
      expect(lines[1]).toMatch(/: 8 of 8 written$/);
      const files = readdirSync(work);
      expect(files.filter((f) => f.endsWith(".png")).sort()).toEqual(["tiles-0.png", "tiles-4.png"]);
      const png = readFileSync(join(work, "tiles-0.png"));
      expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join("")).toBe("PNG");
      const meta = JSON.parse(readFileSync(join(work, "predictions.zarr", "mito", "s0", "zarr.json"), "utf8"));
      expect(meta.shape).toEqual([64, 64, 64]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
