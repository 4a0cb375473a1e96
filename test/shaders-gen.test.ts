// src/gpu/shaders.gen.ts must match shaders/*.wgsl: Deno, Node and Vite load WGSL from it.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

test("src/gpu/shaders.gen.ts is up to date with shaders/*.wgsl", () => {
  let output = "";
  let status = 0;
  try {
    execFileSync(process.execPath, ["scripts/gen-shaders.mjs", "--check"], { cwd: root, encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    const failure = e as { status?: number; stderr?: string };
    status = failure.status ?? 1;
    output = failure.stderr ?? "";
  }
  expect(output, "run `npm run gen:shaders` and commit src/gpu/shaders.gen.ts").toBe("");
  expect(status).toBe(0);
});
