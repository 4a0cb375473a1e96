/**
 * Reading and writing NumPy `.npy` files (format versions 1.0, 2.0 and 3.0 on
 * read; 1.0, or 2.0 when the header does not fit, on write).
 *
 * Only plain little-endian, C-order arrays of the numeric dtypes below are
 * supported. The module uses no Node-only APIs, so it runs in browsers, Deno
 * and Node alike.
 *
 * | dtype | typed array |
 * |---|---|
 * | `<f4` | `Float32Array` |
 * | `<f8` | `Float64Array` |
 * | `\|u1` | `Uint8Array` |
 * | `\|i1` | `Int8Array` |
 * | `\|b1` | `Uint8Array` (0 or 1) |
 * | `<u2` | `Uint16Array` |
 * | `<i2` | `Int16Array` |
 * | `<u4` | `Uint32Array` |
 * | `<i4` | `Int32Array` |
 *
 * @example
 * ```ts
 * const bytes = encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * const { data, shape, dtype } = decodeNpy(bytes); // Float32Array, [2, 3], "<f4"
 * ```
 * @module
 */

import { ArgumentError } from "../errors.ts";

/** The dtype strings (numpy `descr`) this module reads and writes. */
export type NpyDtype = "<f4" | "<f8" | "|u1" | "|i1" | "|b1" | "<u2" | "<i2" | "<u4" | "<i4";

/** Typed arrays that map onto an {@link NpyDtype}. */
export type NpyTypedArray<B extends ArrayBufferLike = ArrayBufferLike> =
  | Float32Array<B>
  | Float64Array<B>
  | Uint8Array<B>
  | Int8Array<B>
  | Uint16Array<B>
  | Int16Array<B>
  | Uint32Array<B>
  | Int32Array<B>;

/** A decoded `.npy` array. */
export interface NpyArray {
  /** The elements in C order, in a fresh (unshared, aligned) ArrayBuffer. */
  data: NpyTypedArray<ArrayBuffer>;
  /** The shape; `[]` for a 0-d array (one element). */
  shape: number[];
  /** The numpy dtype string, normalised (for example `"|u1"` for `"<u1"`). */
  dtype: NpyDtype;
}

/** Options of {@link encodeNpy}. */
export interface EncodeNpyOptions {
  /**
   * Store a `Uint8Array` as numpy `bool` (`|b1`) instead of `uint8`. Every
   * element must then be 0 or 1.
   */
  bool?: boolean;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const ALIGN = 64;

interface DtypeInfo {
  bytes: number;
  make: (buffer: ArrayBuffer, length: number) => NpyTypedArray<ArrayBuffer>;
}

const DTYPES: Record<NpyDtype, DtypeInfo> = {
  "<f4": { bytes: 4, make: (b, n) => new Float32Array(b, 0, n) },
  "<f8": { bytes: 8, make: (b, n) => new Float64Array(b, 0, n) },
  "|u1": { bytes: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  "|i1": { bytes: 1, make: (b, n) => new Int8Array(b, 0, n) },
  "|b1": { bytes: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  "<u2": { bytes: 2, make: (b, n) => new Uint16Array(b, 0, n) },
  "<i2": { bytes: 2, make: (b, n) => new Int16Array(b, 0, n) },
  "<u4": { bytes: 4, make: (b, n) => new Uint32Array(b, 0, n) },
  "<i4": { bytes: 4, make: (b, n) => new Int32Array(b, 0, n) },
};

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function dtypeOf(data: unknown, bool: boolean): NpyDtype {
  if (data instanceof Float32Array) return "<f4";
  if (data instanceof Float64Array) return "<f8";
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return bool ? "|b1" : "|u1";
  if (data instanceof Int8Array) return "|i1";
  if (data instanceof Uint16Array) return "<u2";
  if (data instanceof Int16Array) return "<i2";
  if (data instanceof Uint32Array) return "<u4";
  if (data instanceof Int32Array) return "<i4";
  const name = (data as { constructor?: { name?: string } } | null)?.constructor?.name ?? typeof data;
  throw new ArgumentError("data", "must be a Float32Array, Float64Array, Uint8Array, Int8Array, Uint16Array, Int16Array, Uint32Array or Int32Array", name);
}

function checkShape(shape: readonly number[]): number {
  if (!Array.isArray(shape)) throw new ArgumentError("shape", "must be an array of non-negative integers", shape);
  let size = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new ArgumentError("shape", "must be an array of non-negative integers", shape);
    size *= d;
  }
  return size;
}

/**
 * Encode a typed array as a `.npy` file: C order, little-endian, the header
 * padded with spaces so that the data starts on a 64-byte boundary.
 *
 * @param data the elements in C order; its length must equal the product of `shape`
 * @param shape the array shape (`[]` for a 0-d array of one element)
 * @throws ArgumentError on an unsupported array type or a length/shape mismatch
 */
export function encodeNpy(data: NpyTypedArray, shape: readonly number[], options: EncodeNpyOptions = {}): Uint8Array {
  const dtype = dtypeOf(data, options.bool === true);
  const size = checkShape(shape);
  if (data.length !== size) {
    throw new ArgumentError("data", `has ${data.length} elements but shape [${shape.join(", ")}] needs ${size}`);
  }
  if (dtype === "|b1") {
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v !== 0 && v !== 1) throw new ArgumentError("data", `must hold only 0 and 1 for a bool array; element ${i} is ${v}`);
    }
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Version 1.0 has a 2-byte header length; fall back to 2.0 (4 bytes) when needed.
  let prefix = 10;
  let headerLen = Math.ceil((prefix + dict.length + 1) / ALIGN) * ALIGN - prefix;
  let major = 1;
  if (headerLen > 0xffff) {
    prefix = 12;
    headerLen = Math.ceil((prefix + dict.length + 1) / ALIGN) * ALIGN - prefix;
    major = 2;
  }
  const itemBytes = DTYPES[dtype].bytes;
  const out = new Uint8Array(prefix + headerLen + size * itemBytes);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  for (let i = 0; i < dict.length; i++) out[prefix + i] = dict.charCodeAt(i);
  out.fill(0x20, prefix + dict.length, prefix + headerLen - 1);
  out[prefix + headerLen - 1] = 0x0a; // "\n"
  const start = prefix + headerLen;
  if (HOST_LITTLE_ENDIAN || itemBytes === 1) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, size * itemBytes), start);
  } else {
    writeSwapped(view, start, data, dtype);
  }
  return out;
}

function writeSwapped(view: DataView, start: number, data: NpyTypedArray, dtype: NpyDtype): void {
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    switch (dtype) {
      case "<f4": view.setFloat32(start + 4 * i, v, true); break;
      case "<f8": view.setFloat64(start + 8 * i, v, true); break;
      case "<u2": view.setUint16(start + 2 * i, v, true); break;
      case "<i2": view.setInt16(start + 2 * i, v, true); break;
      case "<u4": view.setUint32(start + 4 * i, v, true); break;
      case "<i4": view.setInt32(start + 4 * i, v, true); break;
      default: break;
    }
  }
}

function fail(problem: string, value?: unknown): never {
  throw new ArgumentError("npy", problem, value);
}

/**
 * Decode a `.npy` file.
 *
 * @throws ArgumentError on a bad magic string, an unknown version, a header
 *   that is not a valid numpy header dict, Fortran order, a big-endian or
 *   unsupported dtype, or a data section whose size does not match the shape
 */
export function decodeNpy(bytes: Uint8Array): NpyArray {
  if (!(bytes instanceof Uint8Array)) fail("input must be a Uint8Array");
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) {
    fail("is not a .npy file: it does not start with the magic string \\x93NUMPY");
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3 || minor !== 0) fail(`has unsupported format version ${major}.${minor}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let prefix: number;
  let headerLen: number;
  if (major === 1) {
    prefix = 10;
    headerLen = view.getUint16(8, true);
  } else {
    if (bytes.length < 12) fail("is truncated inside its header length");
    prefix = 12;
    headerLen = view.getUint32(8, true);
  }
  if (prefix + headerLen > bytes.length) fail(`is truncated: the header says ${headerLen} bytes but the file has ${bytes.length - prefix} after the prefix`);
  const headerBytes = bytes.subarray(prefix, prefix + headerLen);
  let header: string;
  if (major === 3) {
    header = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
  } else {
    header = "";
    for (const b of headerBytes) {
      if (b > 0x7f) fail("has a non-ASCII header in a version 1.0/2.0 file");
      header += String.fromCharCode(b);
    }
  }
  const dict = parseHeader(header);
  const descr = dict.descr;
  if (typeof descr !== "string") fail("header has no string 'descr' (structured dtypes are not supported)", descr);
  if (dict.fortran_order !== false) {
    if (dict.fortran_order === true) fail("is in Fortran order; only C-order arrays are supported");
    fail("header has no boolean 'fortran_order'", dict.fortran_order);
  }
  const shapeValue = dict.shape;
  if (!Array.isArray(shapeValue)) fail("header has no tuple 'shape'", shapeValue);
  const shape = shapeValue as number[];
  const dtype = normaliseDescr(descr);
  let size = 1;
  for (const d of shape) size *= d;
  const info = DTYPES[dtype];
  const start = prefix + headerLen;
  const nbytes = size * info.bytes;
  const available = bytes.length - start;
  if (available !== nbytes) {
    fail(`data section has ${available} bytes but shape [${shape.join(", ")}] of ${dtype} needs ${nbytes}`);
  }
  const buffer = bytes.slice(start, start + nbytes).buffer;
  let data = info.make(buffer, size);
  if (!HOST_LITTLE_ENDIAN && info.bytes > 1) data = readSwapped(new DataView(buffer), data, dtype);
  if (dtype === "|b1") {
    for (let i = 0; i < data.length; i++) if (data[i]! > 1) data[i] = 1;
  }
  return { data, shape: [...shape], dtype };
}

function readSwapped(view: DataView, data: NpyTypedArray<ArrayBuffer>, dtype: NpyDtype): NpyTypedArray<ArrayBuffer> {
  const n = data.length;
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case "<f4": values[i] = view.getFloat32(4 * i, true); break;
      case "<f8": values[i] = view.getFloat64(8 * i, true); break;
      case "<u2": values[i] = view.getUint16(2 * i, true); break;
      case "<i2": values[i] = view.getInt16(2 * i, true); break;
      case "<u4": values[i] = view.getUint32(4 * i, true); break;
      case "<i4": values[i] = view.getInt32(4 * i, true); break;
      default: values[i] = 0;
    }
  }
  for (let i = 0; i < n; i++) data[i] = values[i]!;
  return data;
}

function normaliseDescr(descr: string): NpyDtype {
  if (descr.length < 2) fail("has an unsupported dtype", descr);
  const order = descr[0]!;
  const kind = descr.slice(1);
  const oneByte = kind === "u1" || kind === "i1" || kind === "b1";
  if (oneByte) {
    if (order === "|" || order === "<" || order === ">" || order === "=") return `|${kind}` as NpyDtype;
    fail("has an unsupported dtype", descr);
  }
  if (order === ">") fail("is big-endian; only little-endian arrays are supported", descr);
  if (order !== "<") fail("has an unsupported dtype (expected an explicit '<' byte order)", descr);
  const key = `<${kind}`;
  if (!(key in DTYPES)) {
    fail("has an unsupported dtype (supported: <f4, <f8, |u1, |i1, |b1, <u2, <i2, <u4, <i4)", descr);
  }
  return key as NpyDtype;
}

// --- a parser for the Python literal subset numpy writes as the header -----

type Literal = string | number | boolean | null | Literal[] | { [key: string]: Literal };

function parseHeader(text: string): Record<string, Literal> {
  let i = 0;
  const n = text.length;
  const skip = (): void => {
    while (i < n && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  const value = (): Literal => {
    skip();
    const ch = text[i];
    if (ch === "{") {
      i++;
      const out: Record<string, Literal> = {};
      for (;;) {
        skip();
        if (text[i] === "}") { i++; return out; }
        const key = value();
        if (typeof key !== "string") fail("header dict has a non-string key", key);
        skip();
        if (text[i] !== ":") fail(`header is malformed near character ${i}`, text);
        i++;
        if (Object.prototype.hasOwnProperty.call(out, key)) fail(`header repeats the key '${key}'`);
        out[key] = value();
        skip();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "}") { i++; return out; }
        fail(`header is malformed near character ${i}`, text);
      }
    }
    if (ch === "(" || ch === "[") {
      const close = ch === "(" ? ")" : "]";
      i++;
      const items: Literal[] = [];
      for (;;) {
        skip();
        if (text[i] === close) { i++; return items; }
        items.push(value());
        skip();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === close) { i++; return items; }
        fail(`header is malformed near character ${i}`, text);
      }
    }
    if (ch === "'" || ch === '"') {
      const end = text.indexOf(ch, i + 1);
      if (end < 0) fail("header has an unterminated string", text);
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const m = /^(True|False|None|[0-9]+L?)/.exec(text.slice(i));
    if (!m) fail(`header is malformed near character ${i}`, text);
    i += m[0].length;
    if (m[0] === "True") return true;
    if (m[0] === "False") return false;
    if (m[0] === "None") return null;
    const num = Number(m[0].replace("L", ""));
    if (!Number.isSafeInteger(num)) fail("header has an integer that is too large", m[0]);
    return num;
  };
  const result = value();
  skip();
  if (i !== n) fail("header has trailing characters after the dict", text);
  if (result === null || typeof result !== "object" || Array.isArray(result)) fail("header is not a dict", text);
  for (const k of Object.keys(result)) {
    if (k !== "descr" && k !== "fortran_order" && k !== "shape") fail(`header has an unexpected key '${k}'`);
  }
  const shape = result.shape;
  if (Array.isArray(shape) && !shape.every((d) => typeof d === "number")) fail("header 'shape' must hold integers", shape);
  return result;
}
