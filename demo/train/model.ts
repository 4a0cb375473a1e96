/**
 * The training example's GPU model: a per-voxel logistic regression whose gradient step reads the
 * loader's batch buffers in place (logistic.wgsl). Nothing goes back to the CPU until `result()`.
 * @module
 */
import type { GpuArrayData, GpuContext } from "../../src/index.ts";

const GROUPS = 32;

/** Where the example finds its WGSL: read once from the file next to this module. */
export async function loadWgsl(): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  return readFile(new URL("./logistic.wgsl", import.meta.url), "utf8");
}

export class LogisticModel {
  readonly classes: number;
  readonly epochs: number;
  readonly #gpu: GpuContext;
  readonly #grad: GPUComputePipeline;
  readonly #step: GPUComputePipeline;
  readonly #params: GPUBuffer;
  readonly #partial: GPUBuffer;
  readonly #model: GPUBuffer;
  readonly #history: GPUBuffer;

  readonly #layout: GPUBindGroupLayout;

  private constructor(gpu: GpuContext, classes: number, epochs: number, grad: GPUComputePipeline, step: GPUComputePipeline, layout: GPUBindGroupLayout) {
    const device = gpu.device;
    this.#layout = layout;
    this.#gpu = gpu;
    this.classes = classes;
    this.epochs = epochs;
    this.#grad = grad;
    this.#step = step;
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.#params = device.createBuffer({ label: "train params", size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.#partial = device.createBuffer({ label: "train partial sums", size: GROUPS * classes * 16, usage: storage });
    this.#model = device.createBuffer({ label: "train model", size: classes * 2 * 4, usage: storage });
    this.#history = device.createBuffer({ label: "train loss history", size: Math.max(1, epochs) * 2 * 4, usage: storage });
  }

  static async create(gpu: GpuContext, classes: number, epochs: number): Promise<LogisticModel> {
    const wgsl = await loadWgsl();
    // One explicit layout for both entry points (an "auto" layout would drop the bindings `step` does not use).
    const device = gpu.device;
    const storage = (binding: number, type: GPUBufferBindingType) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } });
    const bindGroupLayout = device.createBindGroupLayout({
      label: "train-example bindings",
      entries: [
        storage(0, "uniform"),
        storage(1, "read-only-storage"),
        storage(2, "read-only-storage"),
        storage(3, "storage"),
        storage(4, "storage"),
        storage(5, "storage"),
      ],
    });
    const layout = device.createPipelineLayout({ label: "train-example layout", bindGroupLayouts: [bindGroupLayout] });
    const [grad, step] = await Promise.all([
      gpu.createComputePipeline("train-example grad", wgsl, "grad", { layout }),
      gpu.createComputePipeline("train-example step", wgsl, "step", { layout }),
    ]);
    return new LogisticModel(gpu, classes, epochs, grad, step, bindGroupLayout);
  }

  /**
   * Record and submit one gradient step on a batch: `raw` is `[B, 1, z, y, x]`, `gt` is
   * `[B, C, z, y, x]` with the same z, y, x.
   */
  train(raw: GpuArrayData, gt: GpuArrayData, epoch: number, lr: number): void {
    const [B, , ...zyx] = raw.shape as [number, number, number, number, number];
    const voxels = zyx[0]! * zyx[1]! * zyx[2]!;
    if (gt.shape[1] !== this.classes || gt.shape.slice(2).join() !== zyx.join()) {
      throw new Error(`the example needs raw and gt of the same shape (raw ${raw.shape.join("x")}, gt ${gt.shape.join("x")})`);
    }
    const device = this.#gpu.device;
    const p = new ArrayBuffer(32);
    const u = new Uint32Array(p);
    const f = new Float32Array(p);
    u[0] = voxels;
    u[1] = B;
    u[2] = this.classes;
    u[3] = GROUPS;
    f[4] = lr;
    u[5] = epoch;
    device.queue.writeBuffer(this.#params, 0, p);
    const bindGroup = device.createBindGroup({
      label: "train-example bind group",
      layout: this.#layout,
      entries: [
        { binding: 0, resource: { buffer: this.#params } },
        { binding: 1, resource: { buffer: raw.buffer, size: raw.byteLength } },
        { binding: 2, resource: { buffer: gt.buffer, size: gt.byteLength } },
        { binding: 3, resource: { buffer: this.#partial } },
        { binding: 4, resource: { buffer: this.#model } },
        { binding: 5, resource: { buffer: this.#history } },
      ],
    });
    const encoder = device.createCommandEncoder({ label: "train step" });
    const pass = encoder.beginComputePass({ label: "train grad + step" });
    pass.setPipeline(this.#grad);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(GROUPS);
    pass.setPipeline(this.#step);
    pass.dispatchWorkgroups(1);
    pass.end();
    device.queue.submit([encoder.finish()]);
  }

  /** Wait for the submitted steps (keeps the queue short; reads nothing back). */
  drain(): Promise<void> {
    return this.#gpu.track(this.#gpu.device.queue.onSubmittedWorkDone());
  }

  /** The one readback: weights, biases and the mean loss of every epoch. */
  async result(): Promise<{ weights: number[]; biases: number[]; loss: number[] }> {
    const m = new Float32Array(await this.#gpu.readBuffer(this.#model, 0, this.#model.size));
    const h = new Float32Array(await this.#gpu.readBuffer(this.#history, 0, this.#history.size));
    const loss: number[] = [];
    for (let e = 0; e < this.epochs; e++) loss.push(h[e * 2 + 1]! > 0 ? h[e * 2]! / h[e * 2 + 1]! : NaN);
    return {
      weights: Array.from({ length: this.classes }, (_, c) => m[c * 2]!),
      biases: Array.from({ length: this.classes }, (_, c) => m[c * 2 + 1]!),
      loss,
    };
  }

  destroy(): void {
    for (const b of [this.#params, this.#partial, this.#model, this.#history]) b.destroy();
  }
}
