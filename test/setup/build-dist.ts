// Global setup of the Node test project: bundle dist/ from the current sources first, so that the
// fetch workers the tests start (Node's worker_threads run dist/fetch-worker.js, not TypeScript)
// and the CLI run the code under test, never a stale build.
import { execFileSync } from "node:child_process";

export default function setup(): void {
  execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
}
