import { ArgumentError, BudgetError } from "../errors.ts";
import type { CoordinateTransformer, SampleTransform } from "../geometry/transformer.ts";
import type { Vec3 } from "../geometry/types.ts";
import type { ResampleDisplacement, ResampleSample } from "../kernels/resample/contract.ts";
import { chunksInBox } from "./chunk-grid.ts";
import type { ChunkId, ChunkIds } from "./chunk-id.ts";
import { checkDeformField, deformSample } from "./deform-sample.ts";
import type { LevelInfo } from "./open-multiscale.ts";
import type { SampleSpec } from "./read-options.ts";

/** One sample of a read, planned: its affine and box, the chunks it reads, its displacement. */
export interface PlannedSample {
  st: Pick<SampleTransform, "localMatrix" | "box">;
  grid: { lo: Vec3; dims: Vec3; coords: Vec3[] };
  /** The chunks it reads, C-order over its box. */
  keys: ChunkId[];
  displacement: ResampleDisplacement | undefined;
}

/** Compose each sample's affine (and displacement) and list its chunks, C-order. */
export function planSamples(t: CoordinateTransformer, level: LevelInfo, ids: ChunkIds, specs: readonly SampleSpec[]): PlannedSample[] {
  return specs.map((s, i) => {
    for (const k of [0, 1, 2]) {
      if (!Number.isFinite(s.center[k])) throw new ArgumentError(`specs[${i}].center`, "must be three finite numbers", s.center);
    }
    if (s.augment !== undefined && s.augment.length !== 9) throw new ArgumentError(`specs[${i}].augment`, "must have 9 numbers (3x3 row-major)", s.augment);
    if (s.deform !== undefined) checkDeformField(s.deform, `specs[${i}].deform`);
    const plain = t.forSample(s.center, s.augment);
    const deformed = s.deform ? deformSample(t, plain, s.deform) : undefined;
    const st = deformed ?? plain;
    const grid = st.box ? chunksInBox(st.box, level.chunks) : { lo: [0, 0, 0] as Vec3, dims: [0, 0, 0] as Vec3, coords: [] };
    return { st, grid, keys: grid.coords.map((c) => ids.id(t.level, c)), displacement: deformed?.displacement };
  });
}

/**
 * Split planned samples, in order, into groups whose distinct chunks fit in a cache of
 * `slotCount` slots at once.
 *
 * @param raise what the error tells the user to raise (default the array's `cacheBytes`)
 * @throws {BudgetError} when one sample alone reads more chunks than the cache holds
 */
export function groupSamples(plans: readonly PlannedSample[], slotCount: number, slotWords: number, url: string, raise = "cacheBytes"): number[][] {
  const groups: number[][] = [];
  let current: number[] = [];
  let distinct = new Set<ChunkId>();
  plans.forEach((p, i) => {
    if (p.keys.length > slotCount) {
      throw new BudgetError(
        `one sample of ${url} reads ${p.keys.length} chunks but the cache holds ${slotCount}; raise ${raise} to at least ${p.keys.length * slotWords * 4} bytes`,
        p.keys.length * slotWords * 4,
        slotCount * slotWords * 4,
      );
    }
    const merged = new Set([...distinct, ...p.keys]);
    if (merged.size > slotCount && current.length) {
      groups.push(current);
      current = [];
      distinct = new Set(p.keys);
    } else {
      distinct = merged;
    }
    current.push(i);
  });
  if (current.length) groups.push(current);
  return groups;
}

/** The resample samples of one group and their slot tables, concatenated in sample order. */
export function groupTables(group: readonly number[], plans: readonly PlannedSample[], slots: ReadonlyMap<ChunkId, number>): { samples: ResampleSample[]; table: Uint32Array } {
  const tableParts: number[] = [];
  const samples: ResampleSample[] = group.map((i) => {
    const p = plans[i]!;
    const tableOffset = tableParts.length;
    for (const k of p.keys) tableParts.push(slots.get(k)!);
    const sample: ResampleSample = {
      matrix: p.st.localMatrix,
      origin: p.st.box ? p.st.box.lo : [0, 0, 0],
      chunkLo: p.grid.lo,
      chunkDims: p.grid.dims,
      tableOffset,
    };
    return p.displacement ? { ...sample, displacement: p.displacement } : sample;
  });
  return { samples, table: Uint32Array.from(tableParts) };
}
