import { execFileSync } from "node:child_process";

/** Debian's Python (with numpy, scipy and zarr-python); the PATH python may lack them. */
export const PYTHON = process.env["CELLMAP_PYTHON"] ?? "/usr/bin/python3";

/** Run a Python script (fixtures, oracles) and return its stdout. */
export function runPython(script: string, args: string[] = []): string {
  return execFileSync(PYTHON, ["-c", script, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
}
