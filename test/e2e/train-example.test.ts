// `deno task train-example`: runs a short training on the sample dataset in Deno (built-in
// WebGPU; lavapipe without a GPU) and checks that it trained: the loss is finite and the model
// moved away from zero.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { REPO } from "./harness.ts";

/** Its own data folder: the app test may be writing its copy at the same time. */
const DATA_DIR = join(REPO, "test/artifacts/e2e-train-data");

const deno = join(REPO, "node_modules/.bin/deno");

describe.skipIf(!existsSync(deno))("deno task train-example", () => {
  test("trains a GPU model on loader batches and reports samples/s and cache hits", () => {
    const runtime = mkdtempSync(join(tmpdir(), "xdg-"));
    try {
      const r = spawnSync(deno, ["task", "train-example", "--data", DATA_DIR, "--epochs", "2", "--iterations", "2", "--batch", "4"], {
        cwd: REPO,
        encoding: "utf8",
        timeout: 240_000,
        env: { ...process.env, XDG_RUNTIME_DIR: runtime, DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1" },
      });
      const out = `${r.stdout}\n${r.stderr}`;
      expect(r.status, out).toBe(0);
      expect(out).toMatch(/epoch 2\/2 .* 2\/2 batches +[\d.]+ samples\/s +cache hit +[\d.]+%/);
      expect(out).toContain("trained on 16 samples");
      const loss = /mean loss per epoch: ([\d.]+) -> ([\d.]+)/.exec(out);
      expect(loss, out).not.toBeNull();
      for (const l of [loss![1]!, loss![2]!]) expect(Number.isFinite(Number(l))).toBe(true);
      const weights = [...out.matchAll(/p = sigmoid\((-?[\d.]+) \* raw \+ (-?[\d.]+)\)/g)];
      expect(weights.length).toBe(5);
      expect(weights.some((m) => Number(m[1]) !== 0 || Number(m[2]) !== 0)).toBe(true);
    } finally {
      rmSync(runtime, { recursive: true, force: true });
    }
  }, 300_000);
});
