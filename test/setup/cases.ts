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

/**
 * What a runner gives each body; one per test, released when the test ends. The fixtures are
 * served over loopback HTTP: Node and Deno write and serve them for the test that asks
 * (test/setup/case-context-local.ts), Chromium gets the servers of the browser project's global
 * setup (test/setup/browser-fixture-server.ts).
 */
export interface CaseContext {
  readonly runtime: Runtime;
  /** The URL of the array fixture (test/setup/array-fixture.ts). */
  arrayFixtureUrl(): Promise<string>;
  /** A folder holding the array fixture (Node and Deno; the page has no file system). */
  arrayFixtureDir(): Promise<string>;
  /** The URL of the dataset fixture (test/setup/dataset-http-fixture.ts). */
  datasetFixtureUrl(): Promise<string>;
  /** The URL of the array fixture behind the fault-injecting server (test/setup/fault-server.ts). */
  faultFixtureUrl(): Promise<string>;
  /** A fresh empty folder (Node and Deno; the page has no file system). */
  tempDir(): Promise<string>;
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
  { name: "transformer", load: async () => (await import("./transformer-cases.ts")).transformerCases, runtimes: ALL },
  { name: "ngff", load: async () => (await import("./ngff-cases.ts")).ngffCases, runtimes: ALL },
  {
    name: "metadata",
    load: async () => (await import("./metadata-cases.ts")).metadataCases,
    runtimes: ALL,
    // Node runs 3000 mutations and watches process "unhandledRejection" (test/metadata.test.ts).
    only: { "1000 random JSON mutations of valid groups give only typed errors and no unhandled rejection": ["deno", "chromium"] },
  },
  { name: "store", load: async () => (await import("./store-cases.ts")).storeCases, runtimes: ALL },
  { name: "dataset-api", load: async () => (await import("./dataset-api-cases.ts")).datasetApiCases, runtimes: ALL },
  { name: "value-spec", load: async () => (await import("./value-spec-cases.ts")).valueSpecCases, runtimes: ALL },
  { name: "writer-logic", load: async () => (await import("./writer-logic-cases.ts")).writerLogicCases, runtimes: ALL },
  {
    name: "zarr-write",
    load: async () => (await import("./zarr-write-cases.ts")).zarrWriteCases,
    runtimes: ALL,
    // Node writes the groups to files instead (test/zarr-write.test.ts).
    only: { "writes 0.4 multiscales in .zattrs and 0.5 under attributes.ome": ["deno", "chromium"] },
  },
  // The GPU: the context, kernels against their CPU twins, datasets, loaders and memory.
  { name: "gpu-context", load: async () => (await import("./gpu-context-cases.ts")).gpuContextCases, runtimes: ALL },
  { name: "resample", load: async () => (await import("./resample-cases.ts")).resampleCases, runtimes: ALL },
  { name: "resample-permuted", load: async () => (await import("./resample-permuted-cases.ts")).resamplePermutedCases, runtimes: ALL },
  { name: "resample-reference-identity", load: async () => (await import("./resample-reference-identity-cases.ts")).resampleIdentityCases, runtimes: ALL },
  { name: "label", load: async () => (await import("./label-cases.ts")).labelCases, runtimes: ALL, prefix: "labels" },
  {
    name: "value-transform",
    load: async () => (await import("./value-transform-cases.ts")).valueTransformCases,
    runtimes: ALL,
    prefix: "value transforms",
  },
  {
    name: "target-transform",
    load: async () => (await import("./target-transform-cases.ts")).targetTransformCases,
    runtimes: ALL,
    prefix: "target transforms",
  },
  { name: "cellpose", load: async () => (await import("./cellpose-cases.ts")).cellposeCases, runtimes: ALL },
  { name: "cellpose-dataset", load: async () => (await import("./cellpose-dataset-cases.ts")).cellposeDatasetCases, runtimes: ALL },
  { name: "deform", load: async () => (await import("./deform-cases.ts")).deformCases, runtimes: ALL },
  { name: "device", load: async () => (await import("./device-cases.ts")).deviceCases, runtimes: ALL },
  {
    name: "dataset",
    load: async () => (await import("./dataset-cases.ts")).datasetCases,
    runtimes: ALL,
    only: {
      "classRelationships give true negatives where an exclusive class is present": ["node", "deno"],
      "true negatives come before the target value transforms (CPU)": ["node", "deno"],
      "value transforms per input array and per class": ["node"],
    },
  },
  { name: "batch-layout", load: async () => (await import("./batch-layout-cases.ts")).batchLayoutCases, runtimes: ALL },
  { name: "batch-plan", load: async () => (await import("./batch-plan-cases.ts")).batchPlanCases, runtimes: ALL },
  { name: "batch-arrays", load: async () => (await import("./batch-arrays-cases.ts")).batchArraysCases, runtimes: ALL },
  { name: "memory", load: async () => (await import("./memory-cases.ts")).memoryCases, runtimes: ALL },
  {
    name: "cpu-executor",
    load: async () => (await import("./cpu-executor-cases.ts")).cpuExecutorCases,
    runtimes: ALL,
    // The vitest page is not cross-origin isolated: no shared memory, so no sample workers there.
    only: {
      "random dispatches in 1, 2 and 3 workers give the twin's bits: general, permuted, displaced, every kind": ["node", "deno"],
      "random dispatches with an output stride give the twin's bits and write nothing between samples": ["node", "deno"],
      "one sample cut into slabs, and dispatches running at once, give the twin's bits": ["node", "deno"],
      "a task that throws in a worker is a WorkerError naming the dispatch": ["node", "deno"],
      "an aborted dispatch is an AbortedError; a released executor stops its workers": ["node", "deno"],
      "a dispatch too small for a worker runs on the calling thread, with the same bits": ["node", "deno"],
    },
  },
  { name: "slicing", load: async () => (await import("./slicing-cases.ts")).slicingCases, runtimes: ALL },
  {
    name: "array",
    load: async () => (await import("./array-cases.ts")).arrayCases,
    runtimes: ALL,
    only: {
      "reads stored voxels exactly from v3 shards, index at the end or the start (local files, GPU and CPU)": ["node", "deno"],
      // A server of the runtime's own (node:http), which the page does not have.
      "fetch workers open each level from the calling thread's metadata: every level's metadata document is requested once": ["node", "deno"],
    },
  },
  // The dataset writer: to a fresh folder in Node and Deno, to a memory target in Chromium.
  { name: "writer", load: async () => (await import("./writer-cases.ts")).writerCases, runtimes: ALL, prefix: "writer" },
  // Fetch workers and transfers over loopback HTTP.
  {
    name: "worker-pool",
    load: async () => (await import("./worker-pool-cases.ts")).workerPoolCases,
    runtimes: ALL,
    // The abort case leaves a read of an unreachable host waiting (in a worker that is terminated).
    denoSanitize: { ops: false, resources: false },
  },
  {
    name: "worker-determinism",
    load: async () => (await import("./worker-determinism-cases.ts")).workerDeterminismCases,
    runtimes: ALL,
  },
  {
    name: "fault",
    load: async () => (await import("./fault-cases.ts")).faultCases,
    // Node runs the fuller test/faults.test.ts and test/store-faults.test.ts.
    runtimes: ["deno", "chromium"],
    // Hanging answers leave sockets that the server closes at the end.
    denoSanitize: { ops: false, resources: false },
  },
  {
    name: "static-server",
    load: async () => (await import("./static-server-cases.ts")).staticServerCases,
    // node:http and node:fs, which the page does not have.
    runtimes: ["node", "deno"],
  },
  // Figures and links (encodePng's round trip through an independent decoder is in each runtime's
  // own file: test/viz.test.ts, test/deno/viz_test.ts, test/viz.browser.test.ts).
  { name: "viz", load: async () => (await import("./viz-cases.ts")).vizCases, runtimes: ALL },
];

/** A case to register: its title (Deno adds the group's prefix), its group and its body. */
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
