/**
 * The passes of a batch after its reads, recorded into a GPU command encoder (the shaders): value
 * transforms, also on a CPU array (the twin, for the writer's inputs), and true negatives. CPU
 * batches run theirs per sample in the sample workers (`src/engine/sample-task.ts`).
 * @module
 */

import type { Vec3 } from "../geometry/types.ts";
import type { GpuContext } from "../gpu/context.ts";
import { encodeClassRelationships } from "../kernels/labels/gpu.ts";
import type { ValueOp } from "../kernels/value-transforms/contract.ts";
import { encodeValueOps } from "../kernels/value-transforms/gpu.ts";
import { applyValueOpsReference } from "../kernels/value-transforms/twin.ts";

/** Where a pass runs: a CPU array, or a GPU buffer region recorded into an encoder. */
export type PassTarget =
  | { kind: "cpu"; data: Float32Array }
  | { kind: "gpu"; ctx: GpuContext; encoder: GPUCommandEncoder; buffer: GPUBuffer; byteOffset: number };

/** Recorded GPU work: call `release()` once its command buffer is submitted. */
export interface PassWork {
  release(): void;
}

const NOTHING: PassWork = { release() {} };

/**
 * Apply per-sample value ops to `[batch, z, y, x]` f32 values in place (CPU) or record the pass
 * (GPU). `scale` is the array's voxel size (z, y, x), the spacing of distance transforms.
 */
export function applyValueOps(target: PassTarget, options: { batch: number; shape: Vec3; ops: ValueOp[][]; seed: number; scale?: Vec3 }): PassWork {
  if (options.ops.every((o) => o.length === 0)) return NOTHING;
  if (target.kind === "cpu") {
    applyValueOpsReference(target.data, options);
    return NOTHING;
  }
  return encodeValueOps(target.ctx, target.encoder, { ...options, buffer: target.buffer, byteOffset: target.byteOffset });
}

/** Options of {@link applyClassRelationships}. */
export interface RelationshipOptions {
  batch: number;
  classes: number;
  voxels: number;
  /** `exclusive[c][d]`: classes c and d never overlap. */
  exclusive: boolean[][];
  emptyValue: number;
}

/**
 * Record the pass that turns unknown (`emptyValue`) voxels of a class into true negatives (0)
 * where a mutually exclusive class is present (== 1), on `[batch, classes, voxels]` f32 values of
 * a GPU buffer. On the CPU, batches run it per sample in the sample workers
 * (`RelationshipsTask`, `src/engine/sample-task.ts`).
 */
export function applyClassRelationships(target: Extract<PassTarget, { kind: "gpu" }>, options: RelationshipOptions): PassWork {
  return encodeClassRelationships(target.ctx, target.encoder, { ...options, buffer: target.buffer, byteOffset: target.byteOffset });
}
