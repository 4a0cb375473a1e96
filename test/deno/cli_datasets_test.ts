// `cellmap-data batch` with several datasets, a split and store options in Deno: main() from
// src/cli/main.ts runs in-process (as `deno task cellmap-data` runs it). Bodies:
// test/setup/cli-datasets-cases.ts.
import { main } from "../../src/cli/main.ts";
import { cliDatasetsCases, cliDatasetsEnv, type CliResult } from "../setup/cli-datasets-cases.ts";

async function cli(...args: string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    writeFile: (p, b) => Deno.writeFile(p, b),
  });
  return { code, stdout, stderr };
}

for (const [title, body] of Object.entries(cliDatasetsCases)) {
  Deno.test(title, async () => {
    const env = await cliDatasetsEnv(cli);
    try {
      await body(env);
    } finally {
      await env.cleanup();
    }
  });
}
