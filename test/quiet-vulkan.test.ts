// A library user's GPU run in Node and in Deno, on a machine whose environment has no
// XDG_RUNTIME_DIR (as a headless server's): the system's Vulkan code would print
// "error: XDG_RUNTIME_DIR is invalid or not set" on every start, which reads as our error. The
// library gives the process a private directory before it first asks for an adapter.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, test } from "vitest";

const program = `
const { GpuContext } = await import(${JSON.stringify(new URL("../dist/esm/index.js", import.meta.url).href)});
const gpu = await GpuContext.create();
console.log("adapter", typeof gpu.device.limits.maxBufferSize);
gpu.destroy();
`;

function envWithout(name: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env[name];
  return env;
}

test("a GPU run in Node prints nothing about XDG_RUNTIME_DIR", async () => {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", program], { env: envWithout("XDG_RUNTIME_DIR") });
  expect(stdout).toMatch(/adapter number/);
  expect(stderr).not.toMatch(/XDG_RUNTIME_DIR/);
});

test("a GPU run in Deno prints nothing about XDG_RUNTIME_DIR", async () => {
  const deno = new URL("../node_modules/.bin/deno", import.meta.url).pathname;
  const { stdout, stderr } = await promisify(execFile)(deno, ["eval", "--no-lock", program], { env: { ...envWithout("XDG_RUNTIME_DIR"), NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" } });
  expect(stdout).toMatch(/adapter number/);
  expect(stderr).not.toMatch(/XDG_RUNTIME_DIR/);
}, 120_000);
