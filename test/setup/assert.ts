// Small assertions for the shared case bodies (Node, Deno and Chromium): plain functions that
// throw an Error saying what differed, so a body needs no test framework.

import { type CellMapErrorTag, isCellMapError } from "../../src/errors.ts";

export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const ABSENT = Symbol("absent");

/**
 * Where `actual` first differs from `expected` (a path such as `.arrays.raw[3]`, `""` for the
 * top), or undefined when they are equal. Numbers compare with `Object.is` (NaN equals NaN, -0
 * differs from 0); typed arrays element by element, of the same type and length; arrays, plain
 * objects and other instances of one class (own enumerable keys), Maps and Sets structurally.
 */
export function firstDifference(actual: unknown, expected: unknown, path = ""): { path: string; actual: unknown; expected: unknown } | undefined {
  const here = { path, actual, expected };
  if (Object.is(actual, expected)) return undefined;
  if (typeof actual !== "object" || typeof expected !== "object" || actual === null || expected === null) return here;
  if (Object.getPrototypeOf(actual) !== Object.getPrototypeOf(expected)) return here;
  if (ArrayBuffer.isView(actual)) {
    const [a, e] = [actual as unknown as ArrayLike<unknown>, expected as unknown as ArrayLike<unknown>];
    if (a.length !== e.length) return { path: `${path}.length`, actual: a.length, expected: e.length };
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], e[i])) return { path: `${path}[${i}]`, actual: a[i], expected: e[i] };
    return undefined;
  }
  if (Array.isArray(actual)) {
    const e = expected as unknown[];
    if (actual.length !== e.length) return { path: `${path}.length`, actual: actual.length, expected: e.length };
    for (let i = 0; i < actual.length; i++) {
      const d = firstDifference(actual[i], e[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (actual instanceof Map) {
    const e = expected as Map<unknown, unknown>;
    if (actual.size !== e.size) return { path: `${path}.size`, actual: actual.size, expected: e.size };
    for (const [k, v] of actual) {
      if (!e.has(k)) return { path: `${path}.get(${show(k)})`, actual: v, expected: undefined };
      const d = firstDifference(v, e.get(k), `${path}.get(${show(k)})`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (actual instanceof Set) {
    const e = expected as Set<unknown>;
    if (actual.size !== e.size) return { path: `${path}.size`, actual: actual.size, expected: e.size };
    for (const v of actual) if (!e.has(v)) return { path: `${path}.has(${show(v)})`, actual: true, expected: false };
    return undefined;
  }
  const [a, e] = [actual as Record<string, unknown>, expected as Record<string, unknown>];
  const keys = new Set([...Object.keys(a), ...Object.keys(e)]);
  for (const k of keys) {
    const at = /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
    if (!(k in a) || !(k in e)) return { path: at, actual: k in a ? a[k] : ABSENT, expected: k in e ? e[k] : ABSENT };
    const d = firstDifference(a[k], e[k], at);
    if (d !== undefined) return d;
  }
  return undefined;
}

/** Structural equality as {@link same} checks it. */
export function equal(actual: unknown, expected: unknown): boolean {
  return firstDifference(actual, expected) === undefined;
}

/** Structural equality (see {@link firstDifference}); the message names the first differing path. */
export function same(actual: unknown, expected: unknown, what: string): void {
  const d = firstDifference(actual, expected);
  if (d === undefined) return;
  const at = d.path === "" ? "" : ` at ${d.path}`;
  throw new Error(`${what}${at}: ${show(d.actual)}, expected ${show(d.expected)}`);
}

/** A short readable form of a value for messages (NaN, -0, typed arrays and undefined kept). */
export function show(v: unknown): string {
  if (v === ABSENT) return "(no such key)";
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (typeof v === "bigint") return `${v}n`;
  if (v === undefined || typeof v === "function" || typeof v === "symbol") return String(v);
  if (ArrayBuffer.isView(v)) {
    const a = Array.from(v as unknown as ArrayLike<number>).slice(0, 16).map(show);
    const n = (v as unknown as ArrayLike<number>).length;
    return `${v.constructor.name}(${n}) [${a.join(", ")}${n > 16 ? ", ..." : ""}]`;
  }
  if (Array.isArray(v)) return `[${v.slice(0, 16).map(show).join(", ")}${v.length > 16 ? ", ..." : ""}]`;
  if (v instanceof Map || v instanceof Set) return `${v.constructor.name}(${v.size})`;
  try {
    const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === "number" && !Number.isFinite(x) ? String(x) : x));
    return text.length > 200 ? `${text.slice(0, 200)}...` : text;
  } catch {
    return String(v);
  }
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
