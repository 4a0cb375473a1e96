/**
 * GPU host of custom value ops (`custom-op.wgsl` + the user's WGSL): compiling each distinct
 * source once per device (cached), turning compile errors into a {@link CustomOpError} that
 * names the op, and the `CellmapParams` and `CellmapSample` bytes of one op over one sample
 * group. The contract of the user's WGSL, and the module built from it, is `contract.ts`; the
 * CPU twin is the op's own `cpu` function.
 *
 * Compilation is asynchronous (that is how WebGPU reports shader errors), so a custom op must be
 * prepared with {@link prepareCustomOp} (or `prepareValueTransforms(ctx, ops)`) before
 * `encodeValueOps` records it; datasets do this when they open.
 *
 * @example
 * ```ts
 * const [op] = drawValueOps(parseValueTransforms([{ custom: { name: "half", wgsl: "0.5 * v" } }], "t"), rng);
 * await prepareCustomOp(ctx, op);          // throws CustomOpError if the WGSL does not compile
 * ```
 * @module
 */

import { GpuError, isCellMapError } from "../../errors.ts";
import type { ValueOp } from "../value-transforms/contract.ts";
import type { GpuContext } from "../../gpu/context.ts";
import { wordOffsets, writeStruct } from "../layout.ts";
import { customOpModule } from "./contract.ts";
import { customOpLayouts } from "./shader.gen.ts";

const { CellmapParams, CellmapSample } = customOpLayouts;
/** Where each `CellmapSample` field starts, in words from the row's start. */
const ROW = wordOffsets(CellmapSample);

type CustomOp = Extract<ValueOp, { kind: "custom" }>;

/** A custom value op's WGSL does not compile (or its pipeline is invalid) on this device. */
export class CustomOpError extends GpuError {
  /** The op's `name`. */
  readonly op: string;
  constructor(op: string, detail: string, options?: { cause?: unknown }) {
    super(`custom value op "${op}": its WGSL does not compile: ${detail}`, options);
    this.name = "CustomOpError";
    this.op = op;
  }
}

/** Words of one row of a custom op's per-sample table (`CellmapSample`: p vec4f, on vec4u). */
export const CUSTOM_ROW_WORDS = CellmapSample.size / 4;

interface Compiled {
  readonly promise: Promise<GPUComputePipeline>;
  pipeline?: GPUComputePipeline;
  error?: CustomOpError;
}

const compiled = new WeakMap<GPUDevice, Map<string, Compiled>>();

function entryFor(ctx: GpuContext, op: Pick<CustomOp, "name" | "source">): Compiled {
  ctx.assertAlive();
  let perDevice = compiled.get(ctx.device);
  if (!perDevice) compiled.set(ctx.device, (perDevice = new Map()));
  const code = customOpModule(op);
  let entry = perDevice.get(code);
  if (!entry) {
    const promise = ctx.createComputePipeline(`${ctx.label} custom op ${op.name}`, code, "cellmap_apply").catch((e: unknown) => {
      const detail = isCellMapError(e, "gpu") ? e.message : String(e);
      throw new CustomOpError(op.name, detail, { cause: e });
    });
    const made: Compiled = { promise };
    promise.then(
      (p) => (made.pipeline = p),
      (e: CustomOpError) => (made.error = e),
    );
    perDevice.set(code, (entry = made));
  }
  return entry;
}

/**
 * Compile a custom op's shader on the context's device (once per distinct source; later calls
 * share the result).
 *
 * @throws {CustomOpError} (a {@link GpuError}) naming the op, with the compiler's messages
 */
export async function prepareCustomOp(ctx: GpuContext, op: Pick<CustomOp, "name" | "source">): Promise<void> {
  await entryFor(ctx, op).promise;
}

/**
 * The compiled pipeline of a prepared op.
 *
 * @throws {CustomOpError} when its WGSL did not compile
 * @throws {GpuError} when it was not prepared (or is still compiling) on this device
 */
export function customOpPipeline(ctx: GpuContext, op: Pick<CustomOp, "name" | "source">): GPUComputePipeline {
  const entry = compiled.get(ctx.device)?.get(customOpModule(op));
  if (entry?.error) throw entry.error;
  if (!entry?.pipeline) {
    throw new GpuError(`custom value op "${op.name}" is not compiled on this device yet: await prepareValueTransforms(ctx, ops) before recording it`);
  }
  return entry.pipeline;
}

/** Write the table row of one sample: its parameters, and whether the op applies to it. */
export function writeCustomRow(table: ArrayBuffer, row: number, op: CustomOp | undefined): void {
  const f = new Float32Array(table, row * CellmapSample.size, CUSTOM_ROW_WORDS);
  const u = new Uint32Array(table, row * CellmapSample.size, CUSTOM_ROW_WORDS);
  f.fill(0);
  if (op === undefined) return;
  f.set(op.params, ROW.p);
  u[ROW.on] = 1; // on.x
}

/** The uniform block of one dispatch (`CellmapParams`). */
export function customParams(p: { voxels: number; count: number; sampleBase: number; rowWidth: number; dataOffset: number }): ArrayBuffer {
  const params = new ArrayBuffer(CellmapParams.size);
  const { voxels, count, sampleBase, rowWidth, dataOffset } = p;
  writeStruct(CellmapParams, new DataView(params), 0, { voxels, count, sampleBase, rowWidth, dataOffset });
  return params;
}
