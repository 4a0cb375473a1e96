/**
 * GPU side of one slice view: resample the raw and every label array onto the view's pixel grid
 * with `CellMapArray.sampleInto` (straight into one storage buffer of planes), then colour the
 * pixels in a fragment shader. The image goes to a WebGPU canvas, or, where a canvas cannot
 * present WebGPU frames (software adapters, headless browsers), it is rendered to a texture and
 * copied into a 2D canvas.
 * @module
 */
import type { CellMapArray } from "../../src/index.ts";
import type { GpuContext } from "../../src/index.ts";
import { sliceOutput, type SliceGeometry } from "./planes.ts";
import sliceWgsl from "./slice.wgsl?raw";

/** How frames reach the screen. */
export type PresentMode = "webgpu" | "copy";

/** One label array drawn over the raw. */
export interface LabelPlane {
  readonly array: CellMapArray;
  readonly className: string;
}

/** How to colour the planes. */
export interface SliceStyle {
  /** Raw values mapped to black and white. */
  window: [number, number];
  opacity: number;
  /** Per class: rgb in 0..1. */
  colors: ReadonlyMap<string, readonly [number, number, number]>;
  /** Classes whose overlay is shown. */
  shown: ReadonlySet<string>;
  background: readonly [number, number, number];
}

const MAX_LAYERS = 32;
const UNIFORM_BYTES = 64 + MAX_LAYERS * 16;
/** Planes start at multiples of 64 elements (256 bytes) so each sampleInto binds its output directly. */
const PLANE_ALIGN = 64;

const pipelines = new WeakMap<GPUDevice, Map<string, GPURenderPipeline>>();

function pipelineFor(device: GPUDevice, format: GPUTextureFormat): GPURenderPipeline {
  let byFormat = pipelines.get(device);
  if (!byFormat) pipelines.set(device, (byFormat = new Map()));
  let p = byFormat.get(format);
  if (!p) {
    const module = device.createShaderModule({ label: "qa slice shader", code: sliceWgsl });
    p = device.createRenderPipeline({
      label: `qa slice pipeline ${format}`,
      layout: "auto",
      vertex: { module, entryPoint: "vs" },
      fragment: { module, entryPoint: "fs", targets: [{ format }] },
      primitive: { topology: "triangle-list" },
    });
    byFormat.set(format, p);
  }
  return p;
}

/** The geometry the planes buffer currently holds, to skip resampling when only colours change. */
function geometryKey(g: SliceGeometry, labels: readonly LabelPlane[]): string {
  return JSON.stringify([g.plane, g.center, g.pixelSize, g.width, g.height, labels.length]);
}

/**
 * Renders one view into a canvas it creates (`canvas`): a WebGPU canvas in "webgpu" mode, a 2D
 * canvas in "copy" mode.
 */
export class SliceRenderer {
  readonly canvas: HTMLCanvasElement;
  readonly mode: PresentMode;
  readonly #gpu: GpuContext;
  readonly #uniform: GPUBuffer;
  readonly #context: GPUCanvasContext | undefined;
  readonly #context2d: CanvasRenderingContext2D | undefined;
  readonly #format: GPUTextureFormat;
  #planes: GPUBuffer | undefined;
  #planesKey = "";
  #layerClasses: string[] = [];
  #texture: GPUTexture | undefined;
  #planeStride = 0;
  #bindGroup: GPUBindGroup | undefined;

  constructor(gpu: GpuContext, mode: PresentMode, label: string) {
    this.#gpu = gpu;
    this.mode = mode;
    this.canvas = document.createElement("canvas");
    this.canvas.className = "slice-image";
    const device = gpu.device;
    this.#uniform = device.createBuffer({ label: `qa ${label} params`, size: UNIFORM_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    if (mode === "webgpu") {
      const ctx = this.canvas.getContext("webgpu");
      if (!ctx) throw new Error("this browser gives no WebGPU canvas context");
      this.#format = navigator.gpu.getPreferredCanvasFormat();
      ctx.configure({ device, format: this.#format, alphaMode: "opaque" });
      this.#context = ctx;
    } else {
      const ctx = this.canvas.getContext("2d");
      if (!ctx) throw new Error("this browser gives no 2D canvas context");
      this.#context2d = ctx;
      this.#format = "rgba8unorm";
    }
  }

  /** Whether the planes buffer already holds this geometry. */
  holds(g: SliceGeometry, labels: readonly LabelPlane[]): boolean {
    return this.#planesKey === geometryKey(g, labels);
  }

  /**
   * Resample the raw (trilinear, NaN outside the volume) and each label array (nearest, NaN
   * outside its crop) onto the view's pixels, into the planes buffer. Resolves once the work is
   * submitted; chunks that are not cached yet are fetched by the worker pool first.
   */
  async resample(g: SliceGeometry, raw: CellMapArray, labels: readonly LabelPlane[], signal?: AbortSignal): Promise<void> {
    if (labels.length > MAX_LAYERS) throw new Error(`at most ${MAX_LAYERS} label arrays can be overlaid (got ${labels.length})`);
    const out = sliceOutput(g);
    const n = g.width * g.height;
    const stride = Math.ceil(n / PLANE_ALIGN) * PLANE_ALIGN;
    const bytes = stride * (1 + labels.length) * 4;
    if (!this.#planes || this.#planes.size !== bytes) {
      this.#planes?.destroy();
      this.#planes = this.#gpu.device.createBuffer({
        label: `qa ${g.plane} planes`,
        size: bytes,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      this.#bindGroup = undefined;
    }
    this.#planesKey = "";
    const buffer = this.#planes;
    const center = { center: [...g.center] as [number, number, number] };
    const common = { shape: out.shape, scale: out.scale, buffer, ...(signal ? { signal } : {}) };
    await Promise.all([
      raw.sampleInto([center], { ...common, interp: "linear", pad: NaN, byteOffset: 0 }),
      ...labels.map((l, i) => l.array.sampleInto([center], { ...common, interp: "nearest", pad: NaN, byteOffset: (i + 1) * stride * 4 })),
    ]);
    this.#planeStride = stride;
    this.#layerClasses = labels.map((l) => l.className);
    this.#planesKey = geometryKey(g, labels);
  }

  /** Colour the planes and show the frame (for "copy" mode, resolves once it is on the canvas). */
  async draw(g: SliceGeometry, style: SliceStyle): Promise<void> {
    const device = this.#gpu.device;
    const buffer = this.#planes;
    if (!buffer) return;
    const out = sliceOutput(g);
    if (this.canvas.width !== g.width || this.canvas.height !== g.height) {
      this.canvas.width = g.width;
      this.canvas.height = g.height;
    }
    const u = new ArrayBuffer(UNIFORM_BYTES);
    const u32 = new Uint32Array(u);
    const f32 = new Float32Array(u);
    u32[0] = g.width;
    u32[1] = g.height;
    u32[2] = out.strideH;
    u32[3] = out.strideV;
    u32[4] = this.#planeStride;
    u32[5] = this.#layerClasses.length;
    f32[6] = style.window[0];
    f32[7] = style.window[1];
    f32[8] = style.opacity;
    f32.set([...style.background, 1], 12);
    this.#layerClasses.forEach((cls, i) => {
      const c = style.colors.get(cls) ?? [1, 0, 1];
      f32.set([c[0], c[1], c[2], style.shown.has(cls) ? 1 : 0], 16 + i * 4);
    });
    device.queue.writeBuffer(this.#uniform, 0, u);
    const pipeline = pipelineFor(device, this.#format);
    this.#bindGroup ??= device.createBindGroup({
      label: `qa ${g.plane} slice bind group`,
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.#uniform } },
        { binding: 1, resource: { buffer } },
      ],
    });
    let view: GPUTextureView;
    if (this.#context) {
      view = this.#context.getCurrentTexture().createView();
    } else {
      if (!this.#texture || this.#texture.width !== g.width || this.#texture.height !== g.height) {
        this.#texture?.destroy();
        this.#texture = device.createTexture({
          label: `qa ${g.plane} frame`,
          size: [g.width, g.height],
          format: "rgba8unorm",
          usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC,
        });
      }
      view = this.#texture.createView();
    }
    const encoder = device.createCommandEncoder({ label: `qa ${g.plane} draw` });
    const pass = encoder.beginRenderPass({
      label: `qa ${g.plane} slice pass`,
      colorAttachments: [{ view, loadOp: "clear", storeOp: "store", clearValue: { r: 0, g: 0, b: 0, a: 1 } }],
    });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, this.#bindGroup);
    pass.draw(3);
    pass.end();
    if (this.#context2d && this.#texture) {
      await this.#copyToCanvas(encoder, this.#texture, this.#context2d, g.width, g.height);
    } else {
      device.queue.submit([encoder.finish()]);
    }
  }

  async #copyToCanvas(encoder: GPUCommandEncoder, texture: GPUTexture, ctx: CanvasRenderingContext2D, w: number, h: number): Promise<void> {
    const device = this.#gpu.device;
    const row = Math.ceil((w * 4) / 256) * 256;
    const staging = device.createBuffer({ label: "qa frame readback", size: row * h, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    try {
      encoder.copyTextureToBuffer({ texture }, { buffer: staging, bytesPerRow: row }, [w, h]);
      device.queue.submit([encoder.finish()]);
      await this.#gpu.track(staging.mapAsync(GPUMapMode.READ));
      const src = new Uint8Array(staging.getMappedRange());
      const image = new ImageData(w, h);
      for (let y = 0; y < h; y++) image.data.set(src.subarray(y * row, y * row + w * 4), y * w * 4);
      ctx.putImageData(image, 0, 0);
    } finally {
      staging.destroy();
    }
  }

  /** Forget the planes (the next frame resamples). */
  invalidate(): void {
    this.#planesKey = "";
  }

  destroy(): void {
    this.#planes?.destroy();
    this.#texture?.destroy();
    this.#uniform.destroy();
  }
}
