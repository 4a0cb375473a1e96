/**
 * Vulkan's window-system code prints "error: XDG_RUNTIME_DIR is invalid or not set in the
 * environment." on every GPU start on a headless Linux machine, which a user reads as our error.
 * Before the library first asks Node's Dawn or Deno's WebGPU for an adapter, it gives the process
 * a private directory when the variable is unset (removed at exit). Browsers, other systems and a
 * variable already set are left alone; without permission to set it (Deno), nothing changes.
 *
 * @example
 * ```ts
 * await quietVulkan(); // before the first requestAdapter()
 * ```
 * @module
 */

interface DenoEnv {
  env: { get(k: string): string | undefined; set(k: string, v: string): void };
  build: { os: string };
}
interface NodeProcess {
  env: Record<string, string | undefined>;
  platform: string;
  versions?: { node?: string };
  on(event: "exit", f: () => void): void;
}

let done: Promise<void> | undefined;

/** Set XDG_RUNTIME_DIR to a private directory in Node or Deno on Linux when it is unset (once). */
export function quietVulkan(): Promise<void> {
  done ??= setOnce().catch(() => {});
  return done;
}

async function setOnce(): Promise<void> {
  const g = globalThis as { Deno?: DenoEnv; process?: NodeProcess; window?: unknown };
  const deno = g.Deno;
  const proc = deno === undefined && typeof g.process?.versions?.node === "string" ? g.process : undefined;
  if (!deno && !proc) return;
  const platform = deno ? deno.build.os : proc!.platform;
  const current = deno ? deno.env.get("XDG_RUNTIME_DIR") : proc!.env["XDG_RUNTIME_DIR"];
  if (platform !== "linux" || current) return;
  // Variable specifiers keep bundlers from following these imports into browser builds.
  const [fsSpec, osSpec] = ["node:fs", "node:os"];
  const { mkdtempSync, rmSync } = (await import(/* @vite-ignore */ fsSpec)) as typeof import("node:fs");
  const { tmpdir } = (await import(/* @vite-ignore */ osSpec)) as typeof import("node:os");
  const dir = mkdtempSync(`${tmpdir()}/cellmap-xdg-`);
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  if (deno) {
    deno.env.set("XDG_RUNTIME_DIR", dir);
    globalThis.addEventListener("unload", cleanup);
  } else {
    proc!.env["XDG_RUNTIME_DIR"] = dir;
    proc!.on("exit", cleanup);
  }
}
