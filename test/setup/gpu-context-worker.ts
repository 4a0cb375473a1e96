// Runs the compute case inside a dedicated worker (the library's fetch/decode pool lives in
// workers, so WebGPU must work there too). Replies { ok: adapter line } or { error: message }.
import { computeMatchesCpu } from "./gpu-context-cases.ts";

const scope = globalThis as unknown as { onmessage: (() => void) | null; postMessage(message: unknown): void };
scope.onmessage = () => {
  computeMatchesCpu().then(
    (adapter) => scope.postMessage({ ok: adapter }),
    (e: unknown) => scope.postMessage({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }),
  );
};
