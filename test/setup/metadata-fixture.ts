// Writes the groups of test/setup/metadata-cases.ts to a folder (Node and Deno), with one 8³ raw
// chunk of 1s for their level s0 under both the v2 and the v3 chunk key.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { encode, type Files } from "./metadata-cases.ts";

/** Write a group's files below `dir` (plus an 8³ raw chunk of 1s for `s0`, v2 and v3 keys). */
export async function writeGroupFiles(dir: string, files: Files): Promise<void> {
  const chunk = new Uint8Array(512).fill(1);
  const all: Array<[string, Uint8Array]> = [
    ...Object.entries(files).map(([k, v]): [string, Uint8Array] => [k, encode(v)]),
    ["s0/c/0/0/0", chunk],
    ["s0/0/0/0", chunk],
  ];
  for (const [k, b] of all) {
    await mkdir(dirname(join(dir, k)), { recursive: true });
    await writeFile(join(dir, k), b);
  }
}

