/**
 * The `cellmap-data` command for Deno and Node: `cellmap-data info <url-or-path>`,
 * `cellmap-data sample <url-or-path> ...`, `cellmap-data batch --config=FILE.json ...` and
 * `cellmap-data link <url> ...` (see `USAGE` in ./cli/main.ts).
 * @module
 */
import { main } from "./cli/main.ts";

const g = globalThis as unknown as {
  Deno?: { args: string[]; exit(code: number): never; writeFile(p: string, b: Uint8Array): Promise<void>; stdout: { writeSync(b: Uint8Array): number }; stderr: { writeSync(b: Uint8Array): number } };
  process?: { argv: string[]; exit(code: number): never; stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean } };
};

async function run(): Promise<void> {
  const enc = new TextEncoder();
  if (g.Deno) {
    const D = g.Deno;
    const code = await main(D.args, {
      stdout: (t) => void D.stdout.writeSync(enc.encode(t)),
      stderr: (t) => void D.stderr.writeSync(enc.encode(t)),
      writeFile: (p, b) => D.writeFile(p, b),
    });
    D.exit(code);
  } else {
    const P = g.process!;
    const specifier = "node:fs/promises";
    const fs = (await import(/* @vite-ignore */ specifier)) as typeof import("node:fs/promises");
    const code = await main(P.argv.slice(2), {
      stdout: (t) => void P.stdout.write(t),
      stderr: (t) => void P.stderr.write(t),
      writeFile: async (p, b) => {
        const tmp = `${p}.tmp-${Date.now()}`;
        await fs.writeFile(tmp, b);
        await fs.rename(tmp, p);
      },
    });
    // Let stdout drain, then exit even if a GPU or worker handle lingers.
    (P.stdout as unknown as { write(s: string, cb: () => void): boolean }).write("", () => P.exit(code));
  }
}

await run();
