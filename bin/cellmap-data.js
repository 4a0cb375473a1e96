#!/usr/bin/env node
// The `cellmap-data` command for Node; runs dist/esm/cli.js, built by `npm run build` (done by `npm ci`).
import { existsSync } from "node:fs";
const cli = new URL("../dist/esm/cli.js", import.meta.url);
if (!existsSync(cli)) {
  console.error("cellmap-data: dist/esm/cli.js is missing: run `npm run build` (npm ci runs it too)");
  process.exit(1);
}
await import(cli.href);
