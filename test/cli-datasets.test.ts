// `cellmap-data batch` with several datasets, a split and store options, run as a user runs it
// (node bin/cellmap-data.js, the built dist/cli.js). Bodies: test/setup/cli-datasets-cases.ts.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, test } from "vitest";
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
