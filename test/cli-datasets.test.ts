// `cellmap-data batch` with several datasets, a split and store options, run as a user runs it
// (node bin/cellmap-data.js, the built dist/esm/cli.js). Bodies: test/setup/cli-datasets-cases.ts.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseBatchConfig } from "../src/cli/batch-config.ts";
import { cliDatasetsCases, cliDatasetsEnv, type CliEnv, type CliResult } from "./setup/cli-datasets-cases.ts";

const run = promisify(execFile);

async function cli(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run("node", ["bin/cellmap-data.js", ...args], { encoding: "utf8" });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

let env: CliEnv & { cleanup(): Promise<void> };
beforeAll(async () => {
  env = await cliDatasetsEnv(cli);
});
afterAll(() => env?.cleanup());

describe("cellmap-data batch with several datasets", () => {
  for (const [title, body] of Object.entries(cliDatasetsCases)) test(title, () => body(env), 120_000);
});

test("the README's batch configs pass the config checks: one dataset, and two datasets with store options", () => {
  const section = readFileSync("README.md", "utf8").split("## The command line")[1]!.split("\n## ")[0]!;
  const blocks = [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!));
  expect(blocks).toHaveLength(2);
  const [one, two] = blocks.map((b) => parseBatchConfig(b, (p) => `/data/${p}`));
  expect(one!.form).toBe("dataset");
  expect(two!.form).toBe("datasets");
  expect(two!.entries.map((e) => [e.field, e.options.isTrain, e.options.storeOptions?.headers?.["Authorization"]])).toEqual([
    ["datasets[0]", true, "Bearer ..."],
    ["datasets[1]", false, "Bearer ..."],
  ]);
});
