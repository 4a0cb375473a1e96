/**
 * The one place where `src/dataset/` reaches the value transforms (their schema, per-sample draw
 * and passes): everything else in it goes through these functions, so swapping an implementation
 * is a change here only. A batch's passes run in `src/batch/`.
 * @module
 */

import { drawValueOps } from "../augment/value-draw.ts";
import { parseValueTransforms, type ValueTransformSpec } from "../augment/value-schema.ts";
import type { ValueOp } from "../kernels/value-transforms/contract.ts";
import type { Rng } from "../augment/rng.ts";
import type { GpuContext } from "../gpu/context.ts";
import { prepareValueTransforms } from "../kernels/value-transforms/gpu.ts";
import { ArgumentError } from "../errors.ts";

export type { ValueOp, ValueTransformSpec };
export { applyValueOps } from "../batch/passes.ts";

/** Validate a value-transform spec from configuration. */
export function parseValueSpec(spec: unknown, field: string): ValueTransformSpec {
  return parseValueTransforms(spec, field);
}

/** Draw one sample's concrete value ops. */
export function drawOps(spec: ValueTransformSpec, rng: Rng): ValueOp[] {
  return drawValueOps(spec, rng);
}


/**
 * Check a dataset's value-transform specs against where it samples, once when it opens: on the
 * CPU every custom op needs its `cpu` twin; on a GPU the custom ops' WGSL is compiled now (once
 * per distinct source and device), so a compile error surfaces at open.
 *
 * @param inputs specs per input array name
 * @param targets specs per class
 * @param gpu the GPU the dataset samples on; undefined for CPU datasets
 * @throws {ArgumentError} a custom op without `cpu` on a CPU dataset (naming the field)
 * @throws {CustomOpError} a custom op whose WGSL does not compile (naming the op)
 */
export async function prepareValueSpecs(
  inputs: ReadonlyMap<string, ValueTransformSpec>,
  targets: ReadonlyMap<string, ValueTransformSpec>,
  gpu: GpuContext | undefined,
): Promise<void> {
  const customs: ValueOp[] = [];
  const all = [
    ...[...inputs].map(([name, spec]) => [`valueTransforms.${name}`, spec] as const),
    ...[...targets].map(([cls, spec]) => [`targetValueTransforms.${cls}`, spec] as const),
  ];
  for (const [field, spec] of all) {
    spec.forEach((entry, i) => {
      if (!("custom" in entry)) return;
      const c = entry.custom;
      if (!gpu && typeof c.cpu !== "function") {
        throw new ArgumentError(`${field}[${i}].custom.cpu`, `is required: custom op "${c.name}" runs on the CPU twin for datasets on device "cpu"`);
      }
      // Draw with p = 1 and every range at its low end: only the source matters here.
      customs.push(...drawValueOps([{ custom: { ...c, p: 1 } }], { next: () => 0 }));
    });
  }
  if (gpu && customs.length > 0) await prepareValueTransforms(gpu, [customs]);
}



