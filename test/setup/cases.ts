// The case registry: every group of shared test bodies, the runtimes it runs in and what it needs.
// A group's module (test/setup/<name>-cases.ts) exports `{ "test title": body }`; one runner per
// runtime registers every title of every group that runs there:
//   Node      test/cases.test.ts           (vitest, Dawn)
//   Chromium  test/cases.browser.test.ts   (vitest browser mode)
//   Deno      test/deno/cases_test.ts      (deno test, built-in WebGPU)
// A body gets a CaseContext that its runner builds; a string it returns is printed, tagged with
// the runtime (`[deno] adapter: ...`). Modules load lazily, so a runtime never imports a group it
// does not run.

/** The runtimes the shared cases run in. */
export type Runtime = "node" | "deno" | "chromium";

/** What a runner gives each body; one per test, released when the test ends. */
export interface CaseContext {
  readonly runtime: Runtime;
}

/** One test body. A string it returns (or resolves to) is printed after the test's title. */
export type CaseBody = (ctx: CaseContext) => unknown;

/** A case module's export: test titles, each written once, to their bodies. */
export type Cases = Readonly<Record<string, CaseBody>>;

/** A group of cases and where and how it runs. */
export interface CaseGroup {
  /** The module's name: test/setup/<name>-cases.ts. */
  readonly name: string;
  readonly load: () => Promise<Cases>;
  readonly runtimes: readonly Runtime[];
  /** Titles that run in fewer runtimes than the group (the rest run in all of the group's). */
  readonly only?: Readonly<Record<string, readonly Runtime[]>>;
  /** Deno names the test `<prefix>: <title>` and vitest puts it in `describe(prefix)`, where titles of two groups would clash. */
  readonly prefix?: string;
  /** A per-test timeout (ms) where the runner's default is too short. */
  readonly timeoutMs?: Partial<Record<Runtime, number>>;
  /** Deno's sanitizers to turn off (servers with hanging sockets that close at the end). */
  readonly denoSanitize?: { readonly ops?: false; readonly resources?: false };
}

const ALL: readonly Runtime[] = ["node", "deno", "chromium"];

export const caseGroups: readonly CaseGroup[] = [
  // Runtime-independent logic: no GPU, file system or server.
  { name: "geometry", load: async () => (await import("./geometry-cases.ts")).geometryCases, runtimes: ALL },
  { name: "augment", load: async () => (await import("./augment-cases.ts")).augmentCases, runtimes: ALL },
  { name: "sampler", load: async () => (await import("./sampler-cases.ts")).samplerCases, runtimes: ALL },
  { name: "datasplit", load: async () => (await import("./datasplit-cases.ts")).datasplitCases, runtimes: ALL },
];

/** A registered test: its name in this runtime, its group and its body. */
export interface RegisteredCase {
  readonly title: string;
  readonly group: CaseGroup;
  readonly body: CaseBody;
}

/** Every case that runs in `runtime`, group by group in registry order, titles in module order. */
export async function casesFor(runtime: Runtime): Promise<Array<{ group: CaseGroup; cases: RegisteredCase[] }>> {
  const out: Array<{ group: CaseGroup; cases: RegisteredCase[] }> = [];
  for (const group of caseGroups) {
    if (!group.runtimes.includes(runtime)) continue;
    const cases = await group.load();
    for (const title of Object.keys(group.only ?? {})) {
      if (!(title in cases)) throw new Error(`${group.name}: "only" names "${title}", which is not a case`);
    }
    const selected = Object.entries(cases)
      .filter(([title]) => (group.only?.[title] ?? ALL).includes(runtime))
      .map(([title, body]) => ({ title, group, body }));
    out.push({ group, cases: selected });
  }
  return out;
}

/** Run a body; print a string result tagged with the runtime. */
export async function runCase(body: CaseBody, ctx: CaseContext): Promise<void> {
  const result = await body(ctx);
  if (typeof result === "string") console.log(`[${ctx.runtime}] ${result}`);
}
