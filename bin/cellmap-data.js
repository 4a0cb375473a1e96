#!/usr/bin/env node
// The `cellmap-data` command for Node; runs the bundle built by `npm run build` (done by `npm ci`).
import { existsSync } from "node:fs";
const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  console.error("cellmap-data: dist/cli.js is missing: run `npm run build` (npm ci runs it too)");
  process.exit(1);
}
await import(cli.href);
