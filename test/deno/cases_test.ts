// The shared cases in Deno (built-in navigator.gpu, lavapipe without a GPU): every group of
// test/setup/cases.ts that runs in Deno, one test per title (`<prefix>: <title>` where the group
// has a prefix).
import { localContext } from "../setup/case-context-local.ts";
import { casesFor, runCase } from "../setup/cases.ts";

for (const { group, cases } of await casesFor("deno")) {
  for (const { title, body } of cases) {
    Deno.test({
      name: group.prefix === undefined ? title : `${group.prefix}: ${title}`,
      ...(group.denoSanitize?.ops === false ? { sanitizeOps: false } : {}),
      ...(group.denoSanitize?.resources === false ? { sanitizeResources: false } : {}),
      fn: async () => {
        const ctx = localContext("deno");
        try {
          await runCase(body, ctx);
        } finally {
          await ctx.close();
        }
      },
    });
  }
}
