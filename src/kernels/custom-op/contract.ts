/**
 * Custom value ops: a user's pointwise WGSL function, run in the value-transform stage on the GPU,
 * with an optional JavaScript twin for CPU datasets. This module, the custom-op kernel's contract,
 * validates the spec entry and builds the WGSL that is pasted into the op's shader module
 * (`custom-op.wgsl` beside it; {@link customOpModule}). The GPU host is `gpu.ts`.
 *
 * The contract: the op is a function `NAME(v: f32, p: vec4<f32>) -> f32` of one voxel value `v`
 * and the op's four parameters `p` (unused ones are 0). `wgsl` is either
 *
 * - a module piece that defines `fn NAME(v: f32, p: vec4<f32>) -> f32 { ... }` (and any helper
 *   functions or `const`s it needs), or
 * - the function's body (`"let e = exp(-p.x * v); return 1.0 / (1.0 + e);"`), or a single
 *   expression (`"1.0 / (1.0 + exp(-p.x * v))"`).
 *
 * The function is called once per voxel that is not NaN (NaN stays NaN, as in every built-in
 * but `nanToNum`). It must be pure: the piece may not declare bindings, entry points or module
 * variables (`@group`, `@binding`, `@compute`, `@vertex`, `@fragment`, `var<...>`, `enable`,
 * `requires`, `diagnostic`), and no identifier may start with `cellmap` (the shader's own names).
 *
 * @example
 * ```ts
 * const entry = parseCustomOp({
 *   name: "sigmoid",
 *   wgsl: "1.0 / (1.0 + exp(-p.x * (v - p.y)))",
 *   params: [4, [0.4, 0.6]],            // p.x = 4, p.y drawn in [0.4, 0.6] per sample
 *   cpu: (v, p) => 1 / (1 + Math.exp(-p[0]! * (v - p[1]!))),
 * }, "valueTransforms.raw[1].custom");
 * ```
 * @module
 */

import { ArgumentError } from "../../errors.ts";
import { customOpWgsl } from "./shader.gen.ts";

/** The JavaScript twin of a custom op: the same function of a value and the four parameters. */
export type CustomCpuFunction = (v: number, params: readonly number[]) => number;

/** A parameter: a fixed number, or `[low, high]` drawn uniformly per sample. */
export type CustomParam = number | readonly [number, number];

/** The options of a `{ custom: ... }` value-transform entry. */
export interface CustomOpOptions {
  /** The function's name: a WGSL identifier (letters, digits, `_`), not starting with `cellmap`. */
  name: string;
  /** The function (a piece that defines `fn name(v: f32, p: vec4<f32>) -> f32`), its body, or one expression. */
  wgsl: string;
  /** Up to 4 parameters, `p.x` to `p.w` (missing ones are 0). */
  params?: readonly CustomParam[];
  /** Chance that the op applies to a sample (default 1). */
  p?: number;
  /** The CPU twin, required on CPU datasets; called as `cpu(v, [p.x, p.y, p.z, p.w])`. */
  cpu?: CustomCpuFunction;
}

/** Longest accepted WGSL piece, in characters. */
export const CUSTOM_WGSL_MAX_LENGTH = 65536;

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const FORBIDDEN: ReadonlyArray<[RegExp, string]> = [
  [/@\s*(group|binding|compute|vertex|fragment|workgroup_size|id)\b/, "declares bindings or entry points"],
  [/\bvar\s*</, "declares a module variable (var<...>)"],
  [/(^|[^A-Za-z0-9_])(enable|requires|diagnostic)\s+[A-Za-z_(]/, "holds a directive"],
  [/(^|[^A-Za-z0-9_])cellmap/i, "uses an identifier starting with `cellmap` (reserved for the shader)"],
];

/** Strip `//` and `/* *\/` comments, so checks look at code only. */
function stripComments(s: string): string {
  return s.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/[^\n]*/g, " ");
}

function balanced(code: string): boolean {
  let depth = 0;
  for (const ch of code) {
    if (ch === "{") depth++;
    else if (ch === "}" && --depth < 0) return false;
  }
  return depth === 0;
}

/**
 * The WGSL that defines `fn NAME(v: f32, p: vec4<f32>) -> f32` for a custom op: the user's piece
 * when it defines the function, else the body (or expression) wrapped into it.
 *
 * @throws {ArgumentError} on a bad name or a piece that breaks the contract, naming `field`
 */
export function customOpSource(name: string, wgsl: string, field: string): string {
  if (!IDENTIFIER.test(name) || /^cellmap/i.test(name)) {
    throw new ArgumentError(`${field}.name`, "must be a WGSL identifier (a letter, then letters, digits or _; at most 64) not starting with cellmap", name);
  }
  if (wgsl.length === 0 || wgsl.length > CUSTOM_WGSL_MAX_LENGTH) {
    throw new ArgumentError(`${field}.wgsl`, `must be WGSL of 1 to ${CUSTOM_WGSL_MAX_LENGTH} characters`, wgsl.length);
  }
  const code = stripComments(wgsl);
  for (const [re, problem] of FORBIDDEN) {
    if (re.test(code)) throw new ArgumentError(`${field}.wgsl`, `${problem}; it may only define pure functions and constants`, wgsl);
  }
  if (!balanced(code)) throw new ArgumentError(`${field}.wgsl`, "has unbalanced braces", wgsl);
  const defines = new RegExp(`(^|[^A-Za-z0-9_])fn\\s+${name}\\s*\\(`).test(code);
  if (defines) return wgsl;
  if (/(^|[^A-Za-z0-9_])fn\s/.test(code)) {
    throw new ArgumentError(`${field}.wgsl`, `defines functions but not fn ${name}(v: f32, p: vec4<f32>) -> f32`, wgsl);
  }
  const body = /(^|[^A-Za-z0-9_])return\b/.test(code) ? wgsl : `return (${wgsl});`;
  return `fn ${name}(v: f32, p: vec4<f32>) -> f32 {\n${body}\n}`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Validate the options of a `{ custom: ... }` entry from configuration.
 *
 * @param v the options (`unknown` configuration)
 * @param field where they came from (`"valueTransforms.raw[1].custom"`)
 * @returns a fresh options object
 * @throws {ArgumentError} naming the bad field
 */
export function parseCustomOp(v: unknown, field: string): CustomOpOptions {
  if (!isRecord(v)) throw new ArgumentError(field, "must be an object such as { name, wgsl }", v);
  for (const k of Object.keys(v)) {
    if (!["name", "wgsl", "params", "p", "cpu"].includes(k)) {
      throw new ArgumentError(`${field}.${k}`, "is not an option (allowed: name, wgsl, params, p, cpu)");
    }
  }
  const name = v["name"];
  const wgsl = v["wgsl"];
  if (typeof name !== "string") throw new ArgumentError(`${field}.name`, "must be a string", name);
  if (typeof wgsl !== "string") throw new ArgumentError(`${field}.wgsl`, "must be a string of WGSL", wgsl);
  customOpSource(name, wgsl, field);
  const out: CustomOpOptions = { name, wgsl };
  const params = v["params"];
  if (params !== undefined) {
    if (!Array.isArray(params) || params.length > 4) throw new ArgumentError(`${field}.params`, "must be an array of at most 4 entries", params);
    out.params = params.map((q, i): CustomParam => {
      const where = `${field}.params[${i}]`;
      if (typeof q === "number" && Number.isFinite(q)) return q;
      if (Array.isArray(q) && q.length === 2 && q.every((x) => typeof x === "number" && Number.isFinite(x)) && q[0] <= q[1]) {
        return [q[0] as number, q[1] as number];
      }
      throw new ArgumentError(where, "must be a finite number or [low, high] with low <= high", q);
    });
  }
  const p = v["p"];
  if (p !== undefined) {
    if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw new ArgumentError(`${field}.p`, "must lie in [0, 1]", p);
    out.p = p;
  }
  const cpu = v["cpu"];
  if (cpu !== undefined) {
    if (typeof cpu !== "function") throw new ArgumentError(`${field}.cpu`, "must be a function (v, params) => number", cpu);
    out.cpu = cpu as CustomCpuFunction;
  }
  return out;
}

/**
 * The whole shader module of a custom op: the kernel's head (`custom-op.wgsl`), the op's
 * function as {@link customOpSource} made it, and `cellmap_user` calling it.
 *
 * @example
 * ```ts
 * customOpModule({ name: "half", source: customOpSource("half", "0.5 * v", "custom") });
 * ```
 */
export function customOpModule(op: { readonly name: string; readonly source: string }): string {
  return `${customOpWgsl}\n// ---- custom op "${op.name}" ----\n${op.source}\n\nfn cellmap_user(v: f32, p: vec4f) -> f32 {\n  return ${op.name}(v, p);\n}\n`;
}
