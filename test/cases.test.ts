// The shared cases in Node (vitest; WebGPU from the npm package `webgpu`, Dawn on SwiftShader
// without a GPU): every group of test/setup/cases.ts that runs in Node, one test per title.
import { describe, test } from "vitest";
import { localContext } from "./setup/case-context-local.ts";
import { casesFor, runCase } from "./setup/cases.ts";

for (const { group, cases } of await casesFor("node")) {
  const register = (): void => {
    for (const { title, body } of cases) {
      test(title, async () => {
        const ctx = localContext("node");
        try {
          await runCase(body, ctx);
        } finally {
          await ctx.close();
        }
      }, group.timeoutMs?.node);
    }
  };
  if (group.prefix === undefined) register();
  else describe(group.prefix, register);
}
