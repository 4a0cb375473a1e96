// Value transforms applied in place on an f32 buffer [batch, z, y, x].
// Host side: gpu.ts (and gpu-*.ts). CPU twin: twin.ts. Shared: contract.ts.
//
// Four entry points, all workgroup size 64:
//   pointwise      one thread per voxel runs the sample's ops of one stage (op table `ops`,
//                  per-(stage, sample) ranges in `segs`): normalize, noise, contrast, gamma,
//                  binarize, nanToNum
//   reducePartial  per (block of voxels, sample): sum and count of the finite values
//   reduceFinal    per sample: the mean of its finite values, the contrast pivot of the next stage
//   blur           one separable Gaussian pass along `params.stage` (0 z, 1 y, 2 x; 3 = copy),
//                  src -> dst, reflect boundary, per-sample kernels
// NaN and Inf are tested through their bits: WGSL lets compilers assume floats are finite.

struct Params {
  shape: vec3u,      // per-sample extent (z, y, x)
  voxels: u32,       // z * y * x
  batch: u32,        // samples in this dispatch
  sampleBase: u32,   // index (in the whole call) of the dispatch's first sample
  rowWidth: u32,     // threads per dispatch row (flat index = gid.y * rowWidth + gid.x)
  stage: u32,        // pointwise: stage; blur: axis (0 z, 1 y, 2 x, 3 copy)
  totalBatch: u32,   // samples in the whole call (row length of `segs`)
  srcOffset: u32,    // element offset of the dispatch's first sample in the read binding
  dstOffset: u32,    // element offset of the dispatch's first sample in the written binding
  seed: u32,         // noise seed
  blocks: u32,       // reduce: blocks per sample
  items: u32,        // reduce: voxels each thread sums per block, 64 apart
  _pad0: u32,
  _pad1: u32,
}

// One pointwise op. head.x = kind, head.y = noise key; args by kind:
//   0 normalize  x * a + b
//   1 noise      x + (a + b * n), n standard normal of (seed, sample, key, voxel)
//   2 contrast   m + a * (x - m), m = means[sid]
//   3 gamma      sign(x) * |x|^a
//   4 binarize   x > a ? 1 : 0
//   5 nanToNum   NaN -> a, +Inf -> b, -Inf -> c
struct Op {
  head: vec4u,
  args: vec4f,
}

struct Partial {
  sum: f32,
  count: u32,
}

// Per sample of a blur stage: word offsets of the z, y, x kernels in `weights`, and their radii.
struct BlurSample {
  offsets: vec4u,
  radii: vec4u,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> data: array<f32>;
@group(0) @binding(2) var<storage, read> ops: array<Op>;
@group(0) @binding(3) var<storage, read> segs: array<vec2u>;
@group(0) @binding(4) var<storage, read> means: array<f32>;
@group(0) @binding(5) var<storage, read> src: array<f32>;
@group(0) @binding(6) var<storage, read_write> dst: array<f32>;
@group(0) @binding(7) var<storage, read> blurSamples: array<BlurSample>;
@group(0) @binding(8) var<storage, read> weights: array<f32>;
@group(0) @binding(9) var<storage, read_write> partials: array<Partial>;
@group(0) @binding(10) var<storage, read> partialsIn: array<Partial>;
@group(0) @binding(11) var<storage, read_write> meansOut: array<f32>;

const EXP_MASK: u32 = 0x7f800000u;

fn isNan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > EXP_MASK;
}

fn isFiniteValue(x: f32) -> bool {
  return (bitcast<u32>(x) & EXP_MASK) != EXP_MASK;
}

// lowbias32 (C. Wellons); hashU32 in the CPU twin.
fn hash(v: u32) -> u32 {
  var x = v;
  x ^= x >> 16u;
  x *= 0x7feb352du;
  x ^= x >> 15u;
  x *= 0x846ca68bu;
  x ^= x >> 16u;
  return x;
}

// ln(u) for u > 0 from its exponent and a series in s = (m - 1) / (m + 1), m in [0.707, 1.414):
// the driver's log() may be accurate to only 2^-21 absolute; this matches the CPU twin's lnF32.
fn lnPoly(u: f32) -> f32 {
  let bits = bitcast<u32>(u);
  var e = i32((bits >> 23u) & 0xffu) - 127;
  var m = bitcast<f32>((bits & 0x7fffffu) | 0x3f800000u);
  if (m > 1.4142135) {
    m = m * 0.5;
    e = e + 1;
  }
  let s = (m - 1.0) / (m + 1.0);
  let s2 = s * s;
  let p = s2 * (0.33333334 + s2 * (0.2 + s2 * (0.14285715 + s2 * 0.11111111)));
  return f32(e) * 0.6931472 + (2.0 * s + 2.0 * s * p);
}

// A standard normal value by Marsaglia's polar method: attempt k draws h = hash(key ^ (hash(v)
// + k * 0x9e3779b9)), a point (h >> 16, h & 0xffff) - 32768 on a 2^16 grid, accepted when inside
// the unit disk (an exact integer test); z = v1 * sqrt(-2 ln s / s). After 16 rejections
// (probability 2e-11) z = 0. standardNormalAt in the CPU twin.
fn standardNormalAt(key: u32, v: u32) -> f32 {
  let c = hash(v);
  for (var k = 0u; k < 16u; k++) {
    let h = hash(key ^ (c + k * 0x9e3779b9u));
    let i1 = i32(h >> 16u) - 32768;
    let i2 = i32(h & 0xffffu) - 32768;
    let r2 = u32(i1 * i1) + u32(i2 * i2);
    if (r2 > 0u && r2 < 0x40000000u) {
      let s = f32(r2) * (1.0 / 1073741824.0);
      return f32(i1) * (1.0 / 32768.0) * sqrt(-2.0 * lnPoly(s) / s);
    }
  }
  return 0.0;
}

fn applyOp(x: f32, op: Op, sid: u32, v: u32) -> f32 {
  let kind = op.head.x;
  let a = op.args.x;
  let b = op.args.y;
  if (kind == 5u) {
    let bits = bitcast<u32>(x);
    if (isNan(x)) { return a; }
    if (bits == 0x7f800000u) { return b; }
    if (bits == 0xff800000u) { return op.args.z; }
    return x;
  }
  if (isNan(x)) { return x; }
  switch kind {
    case 0u: { return x * a + b; }
    case 1u: {
      let key = hash(hash(hash(params.seed) ^ sid) ^ op.head.y);
      return x + (a + b * standardNormalAt(key, v));
    }
    case 2u: {
      let m = means[sid];
      return m + a * (x - m);
    }
    case 3u: {
      let ax = abs(x);
      let p = select(0.0, pow(ax, a), ax > 0.0);
      return select(p, -p, x < 0.0);
    }
    case 4u: { return select(0.0, 1.0, x > a); }
    default: { return x; }
  }
}

@compute @workgroup_size(64)
fn pointwise(@builtin(global_invocation_id) gid: vec3u) {
  let flat = gid.y * params.rowWidth + gid.x;
  if (flat >= params.batch * params.voxels) { return; }
  let item = flat / params.voxels;
  let v = flat - item * params.voxels;
  let sid = params.sampleBase + item;
  let seg = segs[params.stage * params.totalBatch + sid];
  if (seg.y == 0u) { return; }
  let i = params.dstOffset + flat;
  var x = data[i];
  for (var k = 0u; k < seg.y; k++) {
    x = applyOp(x, ops[seg.x + k], sid, v);
  }
  data[i] = x;
}

var<workgroup> wsum: array<f32, 64>;
var<workgroup> wcount: array<u32, 64>;

fn reduceWorkgroup(lid: u32, s: f32, c: u32) {
  wsum[lid] = s;
  wcount[lid] = c;
  workgroupBarrier();
  for (var k = 32u; k > 0u; k >>= 1u) {
    if (lid < k) {
      wsum[lid] += wsum[lid + k];
      wcount[lid] += wcount[lid + k];
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(64)
fn reducePartial(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let block = wg.x;
  let item = wg.y;
  var s = 0.0;
  var c = 0u;
  let base = block * params.items * 64u;
  for (var i = 0u; i < params.items; i++) {
    let v = base + i * 64u + lid;
    if (v < params.voxels) {
      let x = src[params.srcOffset + item * params.voxels + v];
      if (isFiniteValue(x)) {
        s += x;
        c += 1u;
      }
    }
  }
  reduceWorkgroup(lid, s, c);
  if (lid == 0u) {
    partials[item * params.blocks + block] = Partial(wsum[0], wcount[0]);
  }
}

@compute @workgroup_size(64)
fn reduceFinal(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let item = wg.x;
  var s = 0.0;
  var c = 0u;
  for (var k = lid; k < params.blocks; k += 64u) {
    let p = partialsIn[item * params.blocks + k];
    s += p.sum;
    c += p.count;
  }
  reduceWorkgroup(lid, s, c);
  if (lid == 0u) {
    let n = wcount[0];
    meansOut[params.sampleBase + item] = select(0.0, wsum[0] / f32(max(n, 1u)), n > 0u);
  }
}

// scipy's "reflect": d c b a | a b c d | d c b a, repeated.
fn reflectIndex(i: i32, n: i32) -> i32 {
  if (n == 1) { return 0; }
  let period = 2 * n;
  let m = ((i % period) + period) % period;
  return select(period - 1 - m, m, m < n);
}

@compute @workgroup_size(64)
fn blur(@builtin(global_invocation_id) gid: vec3u) {
  let flat = gid.y * params.rowWidth + gid.x;
  if (flat >= params.batch * params.voxels) { return; }
  let item = flat / params.voxels;
  let v = flat - item * params.voxels;
  let base = params.srcOffset + item * params.voxels;
  let axis = params.stage;
  if (axis > 2u) {
    dst[params.dstOffset + flat] = src[base + v];
    return;
  }
  let bs = blurSamples[params.sampleBase + item];
  let r = bs.radii[axis];
  let wo = bs.offsets[axis];
  let nx = params.shape.z;
  let stride = select(select(1u, nx, axis == 1u), params.shape.y * nx, axis == 0u);
  let n = params.shape[axis];
  let i = (v / stride) % n;
  let lineStart = v - i * stride;
  var acc = 0.0;
  for (var t = 0u; t <= 2u * r; t++) {
    let j = reflectIndex(i32(i) + i32(t) - i32(r), i32(n));
    acc += weights[wo + t] * src[base + lineStart + u32(j) * stride];
  }
  dst[params.dstOffset + flat] = acc;
}
