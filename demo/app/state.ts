/**
 * The app's view state (where the three views look, how labels are drawn, what the sample panel
 * drew) and a minimal change notification. Plain data; components read it and call `set`.
 * @module
 */
import type { Vec3 } from "../../src/index.ts";
import type { WorldBox } from "../../src/index.ts";
import type { CellMapDataset } from "../../src/index.ts";

/** One drawn sample as the views show it. */
export interface DrawnSample {
  /** Position in the batch (0-based). */
  readonly index: number;
  /** Global index in the dataset the loader sampled. */
  readonly datasetIndex: number;
  readonly crop: string;
  readonly center: Vec3;
  /** Augmentation matrix A (row-major z, y, x), or undefined for none. */
  readonly augment: Float64Array | undefined;
  /** Every array of the sample: its name, 3D read shape and voxel size (its box is drawn). */
  readonly arrays: ReadonlyArray<{ name: string; kind: "input" | "target"; shape: Vec3; scale: Vec3 }>;
  /** The dataset the sample came from, and its index there. */
  readonly dataset: CellMapDataset;
  readonly localIndex: number;
  /** The axis a 2D slice is cut across; undefined for a 3D patch. */
  readonly slicingAxis: "z" | "y" | "x" | undefined;
  /** Whether an elastic deformation field was applied. */
  readonly deformed: boolean;
}

/** A region where sample centers can fall, per crop. */
export interface SamplingRegion {
  readonly crop: string;
  readonly box: WorldBox;
  /** Number of centers on the sampling grid there. */
  readonly count: number;
}

export interface ViewState {
  center: Vec3;
  /** World units per screen pixel. */
  pixelSize: number;
  opacity: number;
  window: [number, number];
  shown: Set<string>;
  samples: DrawnSample[];
  /** The sample the user picked (highlighted), or -1. */
  selected: number;
  regions: SamplingRegion[];
}

export type Listener = (state: Readonly<ViewState>, changed: ReadonlySet<keyof ViewState>) => void;

/** The state and its listeners. */
export class Store {
  readonly state: ViewState;
  readonly #listeners = new Set<Listener>();
  #pending = new Set<keyof ViewState>();
  #scheduled = false;

  constructor(initial: ViewState) {
    this.state = initial;
  }

  /** Change some fields; listeners run once per microtask with the set of changed keys. */
  set(patch: Partial<ViewState>): void {
    Object.assign(this.state, patch);
    for (const k of Object.keys(patch) as (keyof ViewState)[]) this.#pending.add(k);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      const changed = this.#pending;
      this.#pending = new Set();
      for (const l of this.#listeners) l(this.state, changed);
    });
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
