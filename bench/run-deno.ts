/**
 * `deno task bench`: the suite from the TypeScript sources, on Deno's built-in WebGPU (lavapipe
 * on machines without a GPU). Same arguments as `npm run bench`.
 * @module
 */
import { main } from "./main.ts";

declare const Deno: { args: string[]; exit(code: number): never };

const args = Deno.args.filter((a) => a !== "--");
try {
  await main(args, `deno task bench ${args.join(" ")}`.trim());
  Deno.exit(0);
} catch (e) {
  console.error(e);
  Deno.exit(1);
}
