/**
 * Byte layouts of the structs that the host shares with a shader, as `npm run gen:shaders`
 * reflects them from each kernel's WGSL into its `shader.gen.ts`, and the helpers that write
 * fields by name. Host code never counts offsets by hand: it asks the layout where a field is.
 *
 * @example
 * ```ts
 * import { resampleLayouts } from "./resample/shader.gen.ts";
 * const view = new DataView(new ArrayBuffer(resampleLayouts.Params.size));
 * writeStruct(resampleLayouts.Params, view, 0, { batch: 4, outShape: [8, 8, 8] });
 * ```
 */

/** The scalar type of a field's components. */
export type FieldScalar = "u32" | "i32" | "f32";

/** One field: its byte offset in the struct, its scalar type and its number of components. */
export interface FieldLayout {
  readonly offset: number;
  readonly type: FieldScalar;
  /** Components: 1 for a scalar, 2 to 4 for a vector. */
  readonly count: number;
}

/** A struct: its size and alignment in bytes (its stride as an array element is its size). */
export interface StructLayout {
  readonly size: number;
  readonly align: number;
  readonly fields: { readonly [name: string]: FieldLayout };
}

/** Values of some of a struct's fields, by name: a number, or one number per component. */
export type FieldValues<L extends StructLayout> = { readonly [K in keyof L["fields"]]?: number | ArrayLike<number> };

/**
 * Write fields of one struct at `byteOffset` of `view`, by name, little-endian as WGSL reads
 * them. A vector field takes as many numbers as it has components (fewer leave the rest as they
 * were); a scalar field takes a number.
 *
 * @param layout the struct's layout from a kernel's `shader.gen.ts`
 * @param view the buffer being filled
 * @param byteOffset where the struct starts in `view`
 * @param values the fields to write
 */
export function writeStruct<L extends StructLayout>(layout: L, view: DataView, byteOffset: number, values: FieldValues<L>): void {
  for (const name of Object.keys(values)) {
    const field = layout.fields[name];
    if (field === undefined) throw new Error(`struct has no field ${name}`);
    const value = values[name as keyof L["fields"]];
    if (value === undefined) continue;
    const at = byteOffset + field.offset;
    if (typeof value === "number") {
      writeScalar(view, at, field.type, value);
    } else {
      if (value.length > field.count) throw new Error(`field ${name} has ${field.count} components, given ${value.length}`);
      for (let k = 0; k < value.length; k++) writeScalar(view, at + 4 * k, field.type, value[k]!);
    }
  }
}

function writeScalar(view: DataView, at: number, type: FieldScalar, v: number): void {
  if (type === "f32") view.setFloat32(at, v, true);
  else if (type === "i32") view.setInt32(at, v, true);
  else view.setUint32(at, v, true);
}

/** Each field's offset in 4-byte words, for hot loops that write through typed-array views. */
export type WordOffsets<L extends StructLayout> = { readonly [K in keyof L["fields"]]: number };

/**
 * The word offset (byte offset / 4) of every field of a struct, by name, for code that fills
 * many structs through `Uint32Array`/`Int32Array`/`Float32Array` views of one buffer.
 *
 * @example
 * ```ts
 * const W = wordOffsets(resampleLayouts.Sample);
 * f32.set(sample.m0, base + W.m0);
 * ```
 */
export function wordOffsets<L extends StructLayout>(layout: L): WordOffsets<L> {
  const out: Record<string, number> = {};
  for (const [name, field] of Object.entries(layout.fields)) out[name] = field.offset / 4;
  return out as WordOffsets<L>;
}
