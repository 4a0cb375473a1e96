#!/usr/bin/env node
// The npm package `deno` points node_modules/.bin/deno straight at its native binary after
// install. `deno task` treats entries of node_modules/.bin as scripts and runs them with Deno, so a
// task that calls `deno` would try to run the binary as JavaScript. Point the entry back at the
// package's small Node launcher (bin.cjs), which Deno runs fine and which starts the binary.
import { existsSync, lstatSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "node_modules", ".bin", "deno");
const launcher = join("..", "deno", "bin.cjs");
if (process.platform !== "win32" && existsSync(join(dirname(bin), launcher))) {
  let current;
  try {
    current = lstatSync(bin).isSymbolicLink() ? readlinkSync(bin) : "(file)";
  } catch {
    current = undefined;
  }
  if (current !== launcher) {
    rmSync(bin, { force: true });
    symlinkSync(launcher, bin);
    console.log(`node_modules/.bin/deno -> ${launcher} (was ${current ?? "missing"})`);
  }
}
