// Two test projects, chosen by file suffix:
//   node     test/**/*.test.ts          Node; WebGPU from the npm package `webgpu` (Dawn)
//   browser  test/**/*.browser.test.ts  headless Chromium (vitest browser mode); SwiftShader WebGPU
// The Deno suite (test/deno/*_test.ts) runs with `deno test`, see scripts/test-all.sh.
// Timeouts are generous because software GPUs are slow; no test asserts on time.
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";
import { playwright } from "@vitest/browser-playwright";
import { findChromium } from "./test/setup/chromium.ts";

/** Flags that give headless Chromium a WebGPU adapter (SwiftShader when there is no GPU). */
export const CHROMIUM_WEBGPU_ARGS: string[] = ["--enable-unsafe-webgpu"];

const chromium = findChromium();

// Vulkan's window-system code prints "XDG_RUNTIME_DIR is invalid" for every instance on headless
// machines; give it a private directory (test workers inherit the environment).
if (process.env["XDG_RUNTIME_DIR"] === undefined && process.platform === "linux") {
  const dir = join(tmpdir(), `cellmap-data-xdg-${process.getuid?.() ?? 0}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env["XDG_RUNTIME_DIR"] = dir;
}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/**/*.test.ts"],
          exclude: ["test/**/*.browser.test.ts", "test/deno/**", "**/node_modules/**"],
          pool: "forks",
          // Bundle dist/ first: worker threads and the CLI run it, and it must be the current code.
          globalSetup: ["test/setup/build-dist.ts"],
          // Most files wait on subprocesses, Chromium or the GPU; two at a time keep both cores busy.
          maxWorkers: 2,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Pre-bundle the browser dependencies up front: discovering them mid-run makes Vite
        // re-optimise and reload the test page.
        // Pre-bundled so Vite does not discover them mid-run (zarrita loads its codecs lazily).
        optimizeDeps: { include: ["comlink", "zarrita", "numcodecs/blosc", "numcodecs/lz4", "numcodecs/zstd"] },
        test: {
          name: "browser",
          include: ["test/**/*.browser.test.ts"],
          globalSetup: ["test/setup/require-chromium.ts", "test/setup/browser-fixture-server.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                ...(chromium === undefined ? {} : { executablePath: chromium }),
                args: CHROMIUM_WEBGPU_ARGS,
              },
            }),
            instances: [{ browser: "chromium" }],
          },
        },
      },
    ],
  },
});
