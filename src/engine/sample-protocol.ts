import type { WireError } from "../worker/errors-wire.ts";
import type { SampleTask } from "./sample-task.ts";

/** A task sent to a sample worker. */
export interface SampleWorkerOrder {
  readonly id: number;
  readonly task: SampleTask;
}

/** A sample worker's answer to one task. */
export type SampleWorkerAnswer = { readonly id: number; readonly ok: true } | { readonly id: number; readonly ok: false; readonly error: WireError };
