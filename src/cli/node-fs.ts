/**
 * Node's file-system and path modules for the command line (Deno provides them too), loaded
 * lazily so that bundlers of the library for browsers never follow the import.
 * @module
 */

/** `node:fs/promises`. */
export async function nodeFs(): Promise<typeof import("node:fs/promises")> {
  const specifier = "node:fs/promises";
  return (await import(/* @vite-ignore */ specifier)) as typeof import("node:fs/promises");
}

/** `node:path`. */
export async function nodePath(): Promise<typeof import("node:path")> {
  const specifier = "node:path";
  return (await import(/* @vite-ignore */ specifier)) as typeof import("node:path");
}
