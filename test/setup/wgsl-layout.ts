// An independent reflection of WGSL struct layouts for the tests: a small parser and WGSL's
// alignment rules (scalars align 4; vec2 8; vec3 and vec4 16; a struct to its largest member),
// written apart from scripts/gen-shaders.mjs (which uses wgsl_reflect) so that the two check each
// other. Handles the types host-shared structs use: u32, i32, f32 and their vectors.

export type Scalar = "f32" | "i32" | "u32";

export interface Field {
  name: string;
  offset: number;
  scalar: Scalar;
  count: number;
}

export interface ReflectedStruct {
  fields: Field[];
  size: number;
  align: number;
  /** Stride as an array element. */
  stride: number;
}

/** WGSL type -> [scalar, components, align, size], or undefined for a type the host cannot share. */
function typeInfo(type: string): [Scalar, number, number, number] | undefined {
  const scalars: Record<string, Scalar> = { f32: "f32", i32: "i32", u32: "u32", f: "f32", i: "i32", u: "u32" };
  const plain = scalars[type];
  if (plain !== undefined) return [plain, 1, 4, 4];
  const m = /^vec([234])(?:<(f32|i32|u32)>|([fiu]))$/.exec(type);
  if (m === null) return undefined;
  const n = Number(m[1]);
  const scalar = scalars[m[2] ?? m[3] ?? ""];
  if (scalar === undefined) return undefined;
  return [scalar, n, n === 2 ? 8 : 16, n * 4];
}

const roundUp = (align: number, n: number): number => Math.ceil(n / align) * align;
const stripComments = (wgsl: string): string => wgsl.replace(/\/\/.*$/gm, "");

/** The names of every struct declared in a WGSL source, in order. */
export function structNames(wgsl: string): string[] {
  return [...stripComments(wgsl).matchAll(/\bstruct\s+(\w+)\s*\{/g)].map((m) => m[1]!);
}

/**
 * Reflect `struct name { ... }` with WGSL's memory layout rules; undefined when a member's type
 * cannot be shared with the host (bool, atomics, nested types).
 */
export function reflectStruct(wgsl: string, name: string): ReflectedStruct | undefined {
  const m = new RegExp(`struct\\s+${name}\\s*\\{([^}]*)\\}`).exec(stripComments(wgsl));
  if (m === null) throw new Error(`struct ${name} not found`);
  const fields: Field[] = [];
  let offset = 0;
  let align = 1;
  for (const decl of (m[1] ?? "").split(",").map((d) => d.trim()).filter(Boolean)) {
    const f = /^(\w+)\s*:\s*([\w<>]+)$/.exec(decl);
    if (f === null) throw new Error(`cannot parse field "${decl}" of ${name}`);
    const info = typeInfo(f[2]!);
    if (info === undefined) return undefined;
    const [scalar, count, fieldAlign, size] = info;
    offset = roundUp(fieldAlign, offset);
    fields.push({ name: f[1]!, offset, scalar, count });
    offset += size;
    align = Math.max(align, fieldAlign);
  }
  const size = roundUp(align, offset);
  return { fields, size, align, stride: roundUp(align, size) };
}

/** Read a field's components from an encoded buffer at a struct's byte offset `base`. */
export function readField(buffer: ArrayBuffer, base: number, field: { offset: number; scalar?: Scalar; type?: Scalar; count: number }): number[] {
  const view = new DataView(buffer);
  const scalar = field.scalar ?? field.type;
  return Array.from({ length: field.count }, (_, k) => {
    const at = base + field.offset + 4 * k;
    return scalar === "f32" ? view.getFloat32(at, true) : scalar === "i32" ? view.getInt32(at, true) : view.getUint32(at, true);
  });
}
