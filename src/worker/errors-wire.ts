import {
  AbortedError,
  ArgumentError,
  CellMapError,
  ChunkDecodeError,
  HttpError,
  type IntegrityCheck,
  MetadataError,
  ValueRangeError,
  type CellMapErrorTag,
} from "../errors.ts";

/** An error as it crosses the worker boundary: plain data, rebuilt into its class on the other side. */
export interface WireError {
  tag: CellMapErrorTag | "unknown";
  message: string;
  fields: Record<string, unknown>;
}

/** Flatten an error for postMessage. */
export function toWire(e: unknown): WireError {
  if (e instanceof CellMapError) {
    const fields: Record<string, unknown> = {};
    for (const k of ["url", "key", "field", "problem", "status", "attempts", "detail", "check"]) {
      if (k in e) fields[k] = (e as unknown as Record<string, unknown>)[k];
    }
    return { tag: e.tag, message: e.message, fields };
  }
  return { tag: "unknown", message: e instanceof Error ? e.message : String(e), fields: {} };
}

/** Rebuild a typed error from its wire form. */
export function fromWire(w: WireError): Error {
  const f = w.fields as { url?: string; key?: string; field?: string; problem?: string; status?: number; attempts?: number; detail?: string; check?: IntegrityCheck };
  let e: Error;
  switch (w.tag) {
    case "http":
      // Every "http" error is an HttpError on this side (isCellMapError(e, "http") narrows to it).
      e = new HttpError(f.url ?? "", f.status, f.attempts ?? 1, f.detail === undefined ? {} : { detail: f.detail });
      break;
    case "chunk-decode":
      e = new ChunkDecodeError(f.url ?? "", f.key ?? "", "", f.check === undefined ? {} : { check: f.check });
      break;
    case "value-range":
      e = new ValueRangeError(f.url ?? "", f.key ?? "", "");
      break;
    case "metadata":
      e = new MetadataError(f.url ?? "", f.field ?? "", "");
      break;
    case "argument":
      e = new ArgumentError(f.field ?? "", f.problem ?? "");
      break;
    case "aborted":
      e = new AbortedError("request");
      break;
    case "unknown":
      e = new Error(w.message);
      break;
    default:
      e = new CellMapError(w.tag, w.message);
  }
  e.message = w.message;
  return e;
}
