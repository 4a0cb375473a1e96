// Stands in for `node:fs/promises` in the writer-kill child (test/setup/writer-kill-child.ts, see
// test/writer-kill.test.ts): it counts the calls that change the filesystem and SIGKILLs the
// process at call number CELLMAP_KILL_AT, before the call (a writeFile then writes half its
// bytes first, like a kill in the middle of a write). A kill just after call k is the same as
// one before call k + 1.
import * as fsp from "node:fs/promises";

export * from "node:fs/promises";

const killAt = Number(process.env["CELLMAP_KILL_AT"] ?? "0");
let calls = 0;

/** Calls that changed the filesystem so far. */
export function mutatingCalls(): number {
  return calls;
}

function die(): never {
  process.kill(process.pid, "SIGKILL");
  throw new Error("unreachable: SIGKILL is delivered at once");
}

async function step<T>(run: () => Promise<T>, partial?: () => Promise<unknown>): Promise<T> {
  if (++calls === killAt) {
    if (partial !== undefined) await partial();
    die();
  }
  return run();
}

type Args<F> = F extends (...a: infer A) => unknown ? A : never;

export const writeFile = (...a: Args<typeof fsp.writeFile>): Promise<void> =>
  step(() => fsp.writeFile(...a), () => {
    const data = a[1];
    return fsp.writeFile(a[0], data instanceof Uint8Array ? data.subarray(0, data.length >> 1) : "");
  });
export const rename = (...a: Args<typeof fsp.rename>): Promise<void> => step(() => fsp.rename(...a));
export const mkdir = (...a: Args<typeof fsp.mkdir>): Promise<string | undefined> => step(() => fsp.mkdir(...a));
export const rm = (...a: Args<typeof fsp.rm>): Promise<void> => step(() => fsp.rm(...a));
export const unlink = (...a: Args<typeof fsp.unlink>): Promise<void> => step(() => fsp.unlink(...a));

export default { ...fsp, writeFile, rename, mkdir, rm, unlink };
