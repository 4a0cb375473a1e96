// GpuContext test bodies shared by the Node (vitest), Chromium (vitest browser mode) and Deno
// suites. Plain async functions that throw on failure, so each runtime's wrapper stays a list of
// one-line tests. None of them skips: without a GPU adapter GpuContext.create() throws and the
// test fails.

import { GpuContext } from "../../src/gpu/context.ts";
import { AbortedError, DeviceLostError, GpuError, isCellMapError } from "../../src/errors.ts";
import { check } from "./assert.ts";
import type { Cases } from "./cases.ts";

const SAXPY_WGSL = /* wgsl */ `
struct Params { a: f32, b: f32, n: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < params.n) { y[id.x] = params.a * x[id.x] + params.b; }
}
`;

async function rejects(work: () => Promise<unknown>, what: string): Promise<unknown> {
  try {
    await work();
  } catch (e) {
    return e;
  }
  throw new Error(`${what} should have failed`);
}

/** One line describing the adapter, for the test logs. */
export function describeContext(ctx: GpuContext): string {
  const i = ctx.adapterInfo;
  const l = ctx.limits;
  return (
    `adapter: vendor=${i.vendor} architecture=${i.architecture} device=${i.device} ` +
    `description=${i.description} software=${ctx.isSoftware} shaderF16=${ctx.features.shaderF16} ` +
    `maxStorageBufferBindingSize=${l.maxStorageBufferBindingSize} maxBufferSize=${l.maxBufferSize} ` +
    `maxComputeInvocationsPerWorkgroup=${l.maxComputeInvocationsPerWorkgroup} ` +
    `maxStorageBuffersPerShaderStage=${l.maxStorageBuffersPerShaderStage}`
  );
}

/** Runs y = a*x + b on `n` elements and returns the GPU result. */
export async function saxpy(
  ctx: GpuContext,
  a: number,
  b: number,
  x: Float32Array<ArrayBuffer>,
): Promise<Float32Array> {
  const device = ctx.device;
  const pipeline = await ctx.pipeline("test/saxpy", () => ctx.createComputePipeline("test saxpy", SAXPY_WGSL, "main"));
  const params = device.createBuffer({ label: "test saxpy params", size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const xs = device.createBuffer({ label: "test saxpy x", size: x.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  const ys = device.createBuffer({ label: "test saxpy y", size: x.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  try {
    const p = new ArrayBuffer(16);
    new Float32Array(p, 0, 2).set([a, b]);
    new Uint32Array(p, 8, 1)[0] = x.length;
    device.queue.writeBuffer(params, 0, p);
    device.queue.writeBuffer(xs, 0, x);
    const bindGroup = device.createBindGroup({
      label: "test saxpy bind group",
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: params } },
        { binding: 1, resource: { buffer: xs } },
        { binding: 2, resource: { buffer: ys } },
      ],
    });
    const encoder = device.createCommandEncoder({ label: "test saxpy" });
    const pass = encoder.beginComputePass({ label: "test saxpy pass" });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.ceil(x.length / 64));
    pass.end();
    device.queue.submit([encoder.finish()]);
    return new Float32Array(await ctx.readBuffer(ys, 0, ys.size));
  } finally {
    params.destroy();
    xs.destroy();
    ys.destroy();
  }
}

/** A compute shader's output equals the CPU's on 1000 elements (exact: all values are dyadic). */
export async function computeMatchesCpu(): Promise<string> {
  const ctx = await GpuContext.create({ label: "test compute" });
  try {
    const n = 1000;
    const x = Float32Array.from({ length: n }, (_, i) => i * 0.25 - 100);
    const a = 1.5;
    const b = -0.75;
    const y = await saxpy(ctx, a, b, x);
    check(y.length === n, `expected ${n} outputs, got ${y.length}`);
    for (let i = 0; i < n; i++) {
      const expected = Math.fround(a * (x[i] ?? NaN) + b);
      check(y[i] === expected, `y[${i}] = ${y[i]}, expected ${expected}`);
    }
    return describeContext(ctx);
  } finally {
    ctx.destroy();
  }
}

/** The context requests the limits the library relies on, and reports them consistently. */
export async function limitsAreRaised(): Promise<void> {
  const ctx = await GpuContext.create({ label: "test limits" });
  try {
    const l = ctx.limits;
    check(l.maxStorageBuffersPerShaderStage >= 5, `maxStorageBuffersPerShaderStage = ${l.maxStorageBuffersPerShaderStage}`);
    check(l.maxComputeInvocationsPerWorkgroup >= 256, `maxComputeInvocationsPerWorkgroup = ${l.maxComputeInvocationsPerWorkgroup}`);
    // Above the WebGPU default of 128 MiB only if the adapter allows it, never below it.
    check(ctx.maxStorageBinding >= 128 * 1024 * 1024, `maxStorageBinding = ${ctx.maxStorageBinding}`);
    check(ctx.maxStorageBinding === Math.min(l.maxStorageBufferBindingSize, l.maxBufferSize), "maxStorageBinding mismatch");
    check(ctx.ownsDevice, "a created context owns its device");
    check(ctx.device.label === "test limits", `device label is "${ctx.device.label}"`);
    const err = await rejects(
      () => GpuContext.create({ requiredLimits: { maxBufferSize: 2 ** 60 } }),
      "an impossible requiredLimits",
    );
    check(err instanceof GpuError && err.message.includes("maxBufferSize"), `wrong error: ${String(err)}`);
  } finally {
    ctx.destroy();
  }
}

/** destroy() on an owned context destroys the device and rejects tracked work. */
export async function ownedDeviceIsDestroyed(): Promise<void> {
  const ctx = await GpuContext.create({ label: "test owned" });
  const device = ctx.device;
  check(await ctx.track(Promise.resolve(42)) === 42, "track() must pass values through");
  const inFlight = ctx.track(new Promise<never>(() => {}));
  ctx.destroy();
  const info = await device.lost;
  check(info.reason === "destroyed", `device.lost reason is "${info.reason}"`);
  const lost = await ctx.lost;
  check(lost instanceof DeviceLostError && lost.reason === "destroyed", `ctx.lost gave ${String(lost)}`);
  check(ctx.isLost, "isLost after destroy");
  const rejected = await rejects(() => inFlight, "work in flight on a destroyed device");
  check(isCellMapError(rejected, "device-lost"), `in-flight work rejected with ${String(rejected)}`);
  let thrown: unknown;
  try {
    ctx.assertAlive();
  } catch (e) {
    thrown = e;
  }
  check(thrown instanceof DeviceLostError, `assertAlive() threw ${String(thrown)}`);
}

/** destroy() on a borrowed context leaves the caller's device working. */
export async function borrowedDeviceSurvives(): Promise<void> {
  const owner = await GpuContext.create({ label: "test owner" });
  try {
    const borrowed = GpuContext.fromDevice(owner.device, { label: "test borrower" });
    check(!borrowed.ownsDevice, "fromDevice() must borrow");
    check(borrowed.maxStorageBinding === owner.maxStorageBinding, "borrowed context sees the device's limits");
    borrowed.destroy();
    const released = await rejects(async () => borrowed.assertAlive(), "assertAlive() on a released context");
    check(released instanceof GpuError, `released context threw ${String(released)}`);
    const y = await saxpy(owner, 2, 3, Float32Array.from([1, 2, 3, 4]));
    check(y.join(",") === "5,7,9,11", `device no longer works after borrowed destroy(): ${y.join(",")}`);
    const state = await Promise.race([
      owner.device.lost.then(() => "lost"),
      owner.device.queue.onSubmittedWorkDone().then(() => "alive"),
    ]);
    check(state === "alive" && !owner.isLost, "borrowed destroy() must not destroy the device");
  } finally {
    owner.destroy();
  }
}

/** Invalid WGSL raises GpuError carrying the compiler's message. */
export async function badWgslRaisesGpuError(): Promise<void> {
  const ctx = await GpuContext.create({ label: "test bad wgsl" });
  try {
    const bad = "@compute @workgroup_size(1) fn main() { let v = undefined_thing + 1; }";
    const err = await rejects(() => ctx.createComputePipeline("broken", bad, "main"), "invalid WGSL");
    check(err instanceof GpuError, `expected GpuError, got ${String(err)}`);
    check(err.message.includes("undefined_thing"), `message lacks the compiler's words: ${err.message}`);
    check(err.message.includes("broken"), `message lacks the pipeline label: ${err.message}`);
    const missing = await rejects(() => ctx.createComputePipeline("no entry", SAXPY_WGSL, "nope"), "a missing entry point");
    check(missing instanceof GpuError, `expected GpuError for a missing entry point, got ${String(missing)}`);
    // The device is still usable afterwards.
    const y = await saxpy(ctx, 1, 1, Float32Array.from([1, 2]));
    check(y.join(",") === "2,3", `device unusable after a validation error: ${y.join(",")}`);
  } finally {
    ctx.destroy();
  }
}

/** pipeline() builds once per device and key; contexts on one device share the cache. */
export async function pipelinesAreCached(): Promise<void> {
  const ctx = await GpuContext.create({ label: "test cache" });
  const other = await GpuContext.create({ label: "test cache 2" });
  try {
    let made = 0;
    const count = (): number => made;
    const make = () => {
      made++;
      return ctx.createComputePipeline("cached saxpy", SAXPY_WGSL, "main");
    };
    const p1 = await ctx.pipeline("saxpy", make);
    const p2 = await ctx.pipeline("saxpy", make);
    const p3 = await GpuContext.fromDevice(ctx.device).pipeline("saxpy", make);
    check(p1 === p2 && p2 === p3, "the same key on the same device must return the same pipeline");
    check(count() === 1, `make() ran ${count()} times`);
    const p4 = await other.pipeline("saxpy", (d) => {
      made++;
      check(d === other.device, "make() receives the context's device");
      return other.createComputePipeline("cached saxpy", SAXPY_WGSL, "main");
    });
    check(p4 !== p1 && count() === 2, "another device gets its own pipeline");
    // A failed build is not cached.
    const failing = () => ctx.createComputePipeline("bad", "fn broken(", "main");
    await rejects(() => ctx.pipeline("bad", failing), "a failing pipeline");
    await new Promise((r) => setTimeout(r, 0));
    const again = await rejects(() => ctx.pipeline("bad", failing), "a failing pipeline, again");
    check(again instanceof GpuError, `retry gave ${String(again)}`);
  } finally {
    ctx.destroy();
    other.destroy();
  }
}

/** Abort signals and missing adapters give typed errors that say what to do. */
export async function errorsAreTyped(): Promise<void> {
  const aborted = await rejects(() => GpuContext.create({ signal: AbortSignal.abort() }), "an aborted create()");
  check(aborted instanceof AbortedError, `aborted create() gave ${String(aborted)}`);
  const noAdapter = { requestAdapter: () => Promise.resolve(null) } as unknown as GPU;
  const missing = await rejects(() => GpuContext.create({ gpu: noAdapter }), "create() without an adapter");
  check(missing instanceof GpuError, `no adapter gave ${String(missing)}`);
  check(/install|enable-unsafe-webgpu/.test(missing.message), `no advice in: ${missing.message}`);
  const ctx = await GpuContext.create({ label: "test args" });
  try {
    const buffer = ctx.device.createBuffer({ label: "test args buffer", size: 16, usage: GPUBufferUsage.COPY_SRC });
    const bad = await rejects(() => ctx.readBuffer(buffer, 2, 4), "readBuffer at an unaligned offset");
    check(isCellMapError(bad, "argument"), `unaligned readBuffer gave ${String(bad)}`);
    buffer.destroy();
  } finally {
    ctx.destroy();
  }
}

/** readBuffer() returns exactly the requested byte range. */
export async function readBufferReadsRanges(): Promise<void> {
  const ctx = await GpuContext.create({ label: "test readback" });
  try {
    const usage = GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const buffer = ctx.device.createBuffer({ label: "test readback source", size: 64, usage });
    ctx.device.queue.writeBuffer(buffer, 0, Uint32Array.from({ length: 16 }, (_, i) => i * 3));
    const part = new Uint32Array(await ctx.readBuffer(buffer, 16, 12));
    check(part.join(",") === "12,15,18", `readBuffer(16, 12) gave ${part.join(",")}`);
    check((await ctx.readBuffer(buffer, 64, 0)).byteLength === 0, "an empty range reads as empty");
    const tooFar = await rejects(() => ctx.readBuffer(buffer, 60, 8), "readBuffer past the end");
    check(isCellMapError(tooFar, "argument"), `readBuffer past the end gave ${String(tooFar)}`);
    buffer.destroy();
  } finally {
    ctx.destroy();
  }
}

/** Every case, by title, for the case registry (test/setup/cases.ts). */
export const gpuContextCases = {
  "a compute shader matches the CPU": computeMatchesCpu,
  "the device gets the limits the library needs": limitsAreRaised,
  "destroy() destroys an owned device and rejects tracked work": ownedDeviceIsDestroyed,
  "destroy() leaves a borrowed device alive": borrowedDeviceSurvives,
  "invalid WGSL raises GpuError with the compiler message": badWgslRaisesGpuError,
  "pipelines are cached per device and key": pipelinesAreCached,
  "aborts, missing adapters and bad arguments give typed errors": errorsAreTyped,
  "readBuffer() reads exact byte ranges": readBufferReadsRanges,
} satisfies Cases;
