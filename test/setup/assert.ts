// Small assertions for the shared case bodies (Node, Deno and Chromium): plain functions that
// throw an Error saying what differed, so a body needs no test framework.

import { type CellMapErrorTag, isCellMapError } from "../../src/errors.ts";

export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Structural equality through JSON (plain numbers, strings, arrays and objects). */
export function same(actual: unknown, expected: unknown, what: string): void {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
  check(a === e, `${what}: ${a}, expected ${e}`);
}

/** |actual - expected| <= tol. */
export function close(actual: number, expected: number, tol: number, what: string): void {
  check(Math.abs(actual - expected) <= tol, `${what}: ${actual}, expected ${expected} (within ${tol})`);
}

/** Element-wise equality; NaN equals NaN, and 0 equals -0. */
export function sameValues(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  check(actual.length === expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const [a, e] = [actual[i]!, expected[i]!];
    if (!(a === e || (Number.isNaN(a) && Number.isNaN(e)))) throw new Error(`${what}: value ${i} is ${a}, expected ${e}`);
  }
}

/** Run `work` and return the error it throws (or rejects with); fail when it does not. */
export async function caught(work: () => unknown, what: string): Promise<unknown> {
  try {
    await work();
  } catch (e) {
    return e;
  }
  throw new Error(`${what}: expected an error`);
}

/** Synchronous {@link caught}. */
export function caughtSync(work: () => unknown, what: string): unknown {
  try {
    work();
  } catch (e) {
    return e;
  }
  throw new Error(`${what}: expected an error`);
}

/** The error is a CellMapError with this tag, naming `field`; returns it. */
export function isTagged(e: unknown, tag: CellMapErrorTag, field: string | undefined, what: string): { field?: string; message: string } {
  check(isCellMapError(e, tag), `${what}: expected a ${tag} error, got ${String(e)}`);
  const err = e as unknown as { field?: string; message: string };
  if (field !== undefined) check(err.field === field, `${what}: the error names ${err.field}, expected ${field}`);
  return err;
}
