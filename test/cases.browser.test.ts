// The shared cases in Chromium (vitest browser mode; navigator.gpu, SwiftShader without a GPU):
// every group of test/setup/cases.ts that runs in Chromium, one test per title.
import { describe, test } from "vitest";
import { chromiumContext } from "./setup/case-context-chromium.ts";
import { casesFor, runCase } from "./setup/cases.ts";

for (const { group, cases } of await casesFor("chromium")) {
  const register = (): void => {
    for (const { title, body } of cases) {
      test(title, async () => {
        const ctx = chromiumContext();
        try {
          await runCase(body, ctx);
        } finally {
          await ctx.close();
        }
      }, group.timeoutMs?.chromium);
    }
  };
  if (group.prefix === undefined) register();
  else describe(group.prefix, register);
}
