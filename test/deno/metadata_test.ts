// Zarr and NGFF metadata checked at open, in Deno: the broken variants and random mutations of
// test/metadata.test.ts, served from memory. Bodies in test/setup/metadata-cases.ts.
import { BROKEN_METADATA, openError, openMutations, rejectsBroken, validV2, validV3 } from "../setup/metadata-cases.ts";

for (const v of BROKEN_METADATA) {
  Deno.test(`rejects ${v.name}, naming ${v.file || "the group"} and ${v.field}`, () => rejectsBroken(v));
}

Deno.test("float16 gives the same dtype error in v2 and v3, on every runtime (checked before zarrita sees it)", async () => {
  const v2 = validV2();
  (v2["s0/.zarray"] as Record<string, unknown>)["dtype"] = "<f2";
  const v3 = validV3();
  (v3["s0/zarr.json"] as Record<string, unknown>)["data_type"] = "float16";
  const problem = (e: unknown) => (e as Error).message.replace(/^.*?(is float16)/, "$1").replace(/ \(got [^)]*\)$/, "");
  const [a, b] = [problem(await openError(v2)), problem(await openError(v3))];
  if (a !== b || !/^is float16, which the GPU cache cannot hold; supported: .* \(rewrite the array as float32\)$/.test(a)) {
    throw new Error(`float16 errors differ or mislead: ${a} / ${b}`);
  }
});

Deno.test("1000 random JSON mutations of valid groups give only typed errors", async () => {
  let unhandled = 0;
  const onUnhandled = (e: PromiseRejectionEvent) => {
    unhandled++;
    e.preventDefault();
  };
  globalThis.addEventListener("unhandledrejection", onUnhandled);
  try {
    const { failed } = await openMutations(1000, 12345);
    await new Promise((r) => setTimeout(r, 10));
    if (unhandled !== 0) throw new Error(`${unhandled} unhandled rejections`);
    if (failed < 300) throw new Error(`only ${failed} mutations failed`);
  } finally {
    globalThis.removeEventListener("unhandledrejection", onUnhandled);
  }
});
