// Cellpose flow targets of one channel of a label batch [batch, channels, z, y, x] into flows
// [batch, 3, z, y, x]; for 2D images (`planar`, nz = 1) flows [batch, 2, y, x] with cellpose's 2D
// rules (3x3 mean, 2 * (extent + 1) iterations). Host side: gpu.ts. CPU twin: twin.ts. Shared
// planning and scratch records: contract.ts.
//
// One thread per voxel of a group of `count` samples (flat index g = sample * voxels + voxel),
// in this order of dispatches:
//   initObjects, merge, compress   objects by union-find (root = the object's lowest index g)
//   accumulate               per root: 64-bit position sums and voxel count; per sample: the
//                            foreground's bounding box
//   centers                  per root: the fixed-point mean, floor(sum * 2^bits / n), exactly
//   nearest, pick            per root: the voxel nearest to the mean, ties to the lowest index
//   finalize                 comp[g] = root + 1 with bit 31 set at centers (0: background);
//                            per sample: the iteration count
//   plan                     one thread per step: the indirect dispatch arguments of the step
//   diffuse (per step)       one Jacobi step of the heat, ping-pong halves of `heat`
//   flows                    normalized central differences of the heat
// Atomic words are initialized to 0 by the host, so minima are kept as maxima of ~x.

struct Params {
  voxels: u32,        // voxels per sample
  count: u32,         // samples in this group
  nz: u32,
  ny: u32,
  nx: u32,
  channels: u32,      // channels of the label array
  channel: u32,       // the channel read
  inOffset: u32,      // element offset of the group's first sample in `labels`
  outOffset: u32,     // element offset of the group's first sample in `flows`
  mode: u32,          // 0 binary (connected components), 1 instances (equal ids)
  bits: u32,          // fractional bits of the fixed-point mean
  iterations: u32,    // fixed iteration count, or 0 for the per-sample default
  rowWidth: u32,      // threads per dispatch row (flat index = gid.y * rowWidth + gid.x)
  maxIterations: u32, // steps recorded (threads of `plan`)
  gridX: u32,         // workgroups of a voxel dispatch
  gridY: u32,
  planar: u32,        // 1: 2D images (nz = 1), flows (y, x); 0: volumes, flows (z, y, x)
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

struct Step {
  index: vec4u, // x: the step number
}

const BACKGROUND: u32 = 0xffffffffu;
const CENTER: u32 = 0x80000000u;
const ACC_WORDS: u32 = 9u;   // per root: sum z lo/hi, y lo/hi, x lo/hi, count, ~best key, ~best index
const SAMPLE_WORDS: u32 = 8u; // per sample: ~min z/y/x, max z/y/x + 1, iterations, unused

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> comp: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> acc: array<atomic<u32>>;
// SAMPLE_WORDS per sample, then one word: the largest iteration count of the group.
@group(0) @binding(5) var<storage, read_write> perSample: array<atomic<u32>>;
@group(0) @binding(6) var<storage, read_write> heat: array<f32>;
@group(0) @binding(7) var<storage, read_write> flows: array<f32>;
@group(1) @binding(0) var<storage, read_write> args: array<u32>;

fn isNan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn flatIndex(gid: vec3u) -> u32 {
  return gid.y * params.rowWidth + gid.x;
}

fn labelAt(g: u32) -> f32 {
  let b = g / params.voxels;
  let v = g - b * params.voxels;
  return labels[params.inOffset + (b * params.channels + params.channel) * params.voxels + v];
}

fn isForeground(x: f32) -> bool {
  return !isNan(x) && x > 0.0;
}

// (z, y, x) of voxel g within its sample, as components [0], [1], [2].
fn coords(g: u32) -> vec3u {
  let v = g % params.voxels;
  let x = v % params.nx;
  let y = (v / params.nx) % params.ny;
  let z = v / (params.nx * params.ny);
  return vec3u(z, y, x);
}

// Face neighbor k of voxel g (order +z, -z, +y, -y, +x, -x), or BACKGROUND outside the sample.
fn neighbor(g: u32, p: vec3u, k: u32) -> u32 {
  let axis = k / 2u;
  let dims = vec3u(params.nz, params.ny, params.nx);
  let strides = vec3u(params.nx * params.ny, params.nx, 1u);
  let c = p[axis];
  if ((k & 1u) == 0u) {
    if (c + 1u < dims[axis]) { return g + strides[axis]; }
  } else if (c > 0u) {
    return g - strides[axis];
  }
  return BACKGROUND;
}

// 3x3 neighbor k of pixel g of a 2D image (nz = 1), in cellpose's order (dy, dx): (-1, 0), (+1, 0),
// (0, -1), (0, +1), (-1, -1), (-1, +1), (+1, -1), (+1, +1); BACKGROUND outside the image.
fn planarNeighbor(g: u32, p: vec3u, k: u32) -> u32 {
  var dy = array<i32, 8>(-1, 1, 0, 0, -1, -1, 1, 1);
  var dx = array<i32, 8>(0, 0, -1, 1, -1, 1, -1, 1);
  let y = i32(p.y) + dy[k];
  let x = i32(p.z) + dx[k];
  if (y < 0 || y >= i32(params.ny) || x < 0 || x >= i32(params.nx)) { return BACKGROUND; }
  return u32(i32(g) + dy[k] * i32(params.nx) + dx[k]);
}

// ---- objects: union-find with atomicMin, every link points to a lower index ----

fn find(start: u32) -> u32 {
  var a = start;
  loop {
    let p = atomicLoad(&comp[a]);
    if (p == a) { break; }
    a = p;
  }
  return a;
}

fn unite(a0: u32, b0: u32) {
  var a = a0;
  var b = b0;
  loop {
    a = find(a);
    b = find(b);
    if (a < b) {
      let old = atomicMin(&comp[b], a);
      if (old == b) { return; }
      b = old;
    } else if (b < a) {
      let old = atomicMin(&comp[a], b);
      if (old == a) { return; }
      a = old;
    } else {
      return;
    }
  }
}

@compute @workgroup_size(64)
fn initObjects(@builtin(global_invocation_id) gid: vec3u) {
  let g = flatIndex(gid);
  if (g >= params.count * params.voxels) { return; }
  atomicStore(&comp[g], select(BACKGROUND, g, isForeground(labelAt(g))));
}

@compute @workgroup_size(64)
fn merge(@builtin(global_invocation_id) gid: vec3u) {
  let g = flatIndex(gid);
  if (g >= params.count * params.voxels) { return; }
  let x = labelAt(g);
  if (!isForeground(x)) { return; }
  let p = coords(g);
  for (var k = 1u; k < 6u; k += 2u) { // -z, -y, -x: each pair once
    let j = neighbor(g, p, k);
    if (j == BACKGROUND) { continue; }
    let y = labelAt(j);
    if (!isForeground(y)) { continue; }
    if (params.mode == 1u && bitcast<u32>(x) != bitcast<u32>(y)) { continue; }
    unite(g, j);
  }
}

@compute @workgroup_size(64)
fn compress(@builtin(global_invocation_id) gid: vec3u) {
  let g = flatIndex(gid);
  if (g >= params.count * params.voxels) { return; }
  if (atomicLoad(&comp[g]) == BACKGROUND) { return; }
  atomicStore(&comp[g], find(g));
}

// ---- centers ----

fn add64(word: u32, value: u32) {
  let old = atomicAdd(&acc[word], value);
  if (old + value < old) { atomicAdd(&acc[word + 1u], 1u); }
}

@compute @workgroup_size(64)
fn accumulate(@builtin(global_invocation_id) gid: vec3u) {
  let g = flatIndex(gid);
  if (g >= params.count * params.voxels) { return; }
  let r = atomicLoad(&comp[g]);
  if (r == BACKGROUND) { return; }
  let p = coords(g);
  let base = r * ACC_WORDS;
  for (var a = 0u; a < 3u; a++) { add64(base + 2u * a, p[a]); }
  atomicAdd(&acc[base + 6u], 1u);
  let s = (g / params.voxels) * SAMPLE_WORDS;
  for (var a = 0u; a < 3u; a++) {
    atomicMax(&perSample[s + a], ~p[a]);
    atomicMax(&perSample[s + 3u + a], p[a] + 1u);
  }
}

// floor((hi * 2^32 + lo) * 2^bits / n) by restoring division; n < 2^31, the result < 2^32.
fn fixedPointMean(lo: u32, hi: u32, n: u32) -> u32 {
  var r = 0u;
  var q = 0u;
  for (var i = 0u; i < 64u + params.bits; i++) {
    var bit = 0u;
    if (i < 32u) {
      bit = (hi >> (31u - i)) & 1u;
    } else if (i < 64u) {
      bit = (lo >> (63u - i)) & 1u;
    }
    r = (r << 1u) | bit;
    q = q << 1u;
    if (r >= n) {
      r -= n;
      q |= 1u;
    }
  }
  return q;
}

@compute @workgroup_size(64)
fn centers(@builtin(global_invocation_id) gid: vec3u) {
  let g = flatIndex(gid);
  if (g >= params.count * params.voxels) { return; }
  if (atomicLoad(&comp[g]) != g) { return; }
  let base = g * ACC_WORDS;
  let n = atomicLoad(&acc[base + 6u]);
  var mean: array<u32, 3>;
  for (var a = 0u; a < 3u; a++) {
    mean[a] = fixedPointMean(atomicLoad(&acc[base + 2u * a]), atomicLoad(&acc[base + 2u * a + 1u]), n);
  }
  for (var a = 0u; a < 3u; a++) { atomicStore(&acc[base + a], mean[a]); }
}

// Squared distance to the root's mean, in units of 2^-2bits voxels^2 (the host keeps it < 2^32).
fn distanceKey(g: u32, r: u32) -> u32 {
  let p = coords(g);
  let base = r * ACC_WORDS;
  var key = 0u;
  for (var a = 0u; a < 3u; a++) {
    let m = atomicLoad(&acc[base + a]);
    let q = p[a] << params.bits;
    let d = select(m - q, q - m, q >= m);
    key += d * d;
  }
  return key;
}

@compute @workgroup_size(64)
fn nearest(@builtin(global_invocation_id) gid: vec3u) {
  let g = flatIndex(gid);
  if (g >= params.count * params.voxels) { return; }
  let r = atomicLoad(&comp[g]);
  if (r == BACKGROUND) { return; }
  atomicMax(&acc[r * ACC_WORDS + 7u], ~distanceKey(g, r));
}

@compute @workgroup_size(64)
fn pick(@builtin(global_invocation_id) gid: vec3u) {
  let g = flatIndex(gid);
  if (g >= params.count * params.voxels) { return; }
  let r = atomicLoad(&comp[g]);
  if (r == BACKGROUND) { return; }
  if (~distanceKey(g, r) == atomicLoad(&acc[r * ACC_WORDS + 7u])) {
    atomicMax(&acc[r * ACC_WORDS + 8u], ~g);
  }
}

@compute @workgroup_size(64)
fn finalize(@builtin(global_invocation_id) gid: vec3u) {
  let g = flatIndex(gid);
  if (g >= params.count * params.voxels) { return; }
  let r = atomicLoad(&comp[g]);
  if (r == BACKGROUND) {
    atomicStore(&comp[g], 0u);
  } else {
    let isCenter = ~atomicLoad(&acc[r * ACC_WORDS + 8u]) == g;
    atomicStore(&comp[g], (r + 1u) | select(0u, CENTER, isCenter));
  }
  let b = g / params.voxels;
  if (g - b * params.voxels != 0u) { return; }
  let s = b * SAMPLE_WORDS;
  var n = params.iterations;
  if (n == 0u && atomicLoad(&perSample[s + 3u]) != 0u) {
    var sum = 0u;
    for (var a = params.planar; a < 3u; a++) { // 2D: the y and x axes only
      let lo = ~atomicLoad(&perSample[s + a]);
      let hi = atomicLoad(&perSample[s + 3u + a]) - 1u;
      sum += hi - lo + 2u;
    }
    n = select(6u, 2u, params.planar == 1u) * sum;
  }
  atomicStore(&perSample[s + 6u], n);
  atomicMax(&perSample[params.count * SAMPLE_WORDS], n);
}

@compute @workgroup_size(64)
fn plan(@builtin(global_invocation_id) gid: vec3u) {
  let i = flatIndex(gid);
  if (i >= params.maxIterations) { return; }
  let live = i < atomicLoad(&perSample[params.count * SAMPLE_WORDS]);
  args[3u * i] = select(0u, params.gridX, live);
  args[3u * i + 1u] = select(1u, params.gridY, live);
  args[3u * i + 2u] = 1u;
}

// ---- heat and flows ----

const INV7: u32 = 0x3e124925u;       // float32 1/7
const INV9: u32 = 0x3de38e39u;       // float32 1/9
const MIN_NORMAL: u32 = 0x00800000u; // 2^-126; smaller results are flushed to 0

// Heat of voxel j as the step reads it: +1 at a center.
fn heatIn(base: u32, j: u32, c: u32) -> f32 {
  let h = heat[base + j];
  return select(h, h + 1.0, (c & CENTER) != 0u);
}

@compute @workgroup_size(64)
fn diffuse(@builtin(global_invocation_id) gid: vec3u) {
  let n = params.count * params.voxels;
  let g = flatIndex(gid);
  if (g >= n) { return; }
  let c = atomicLoad(&comp[g]);
  if (c == 0u) { return; }
  let i = step.index.x;
  if (i >= atomicLoad(&perSample[(g / params.voxels) * SAMPLE_WORDS + 6u])) { return; }
  let src = (i & 1u) * n;
  let id = c & ~CENTER;
  let p = coords(g);
  var s = heatIn(src, g, c);
  var t = 0.0;
  if (params.planar == 1u) {
    for (var k = 0u; k < 8u; k++) {
      let j = planarNeighbor(g, p, k);
      if (j == BACKGROUND) { continue; }
      let cj = atomicLoad(&comp[j]);
      if ((cj & ~CENTER) == id) { s = s + heatIn(src, j, cj); }
    }
    t = s * bitcast<f32>(INV9);
  } else {
    for (var k = 0u; k < 6u; k++) {
      let j = neighbor(g, p, k);
      if (j == BACKGROUND) { continue; }
      let cj = atomicLoad(&comp[j]);
      if ((cj & ~CENTER) == id) { s = s + heatIn(src, j, cj); }
    }
    t = s * bitcast<f32>(INV7);
  }
  if (t < bitcast<f32>(MIN_NORMAL)) { t = 0.0; }
  heat[(1u - (i & 1u)) * n + g] = t;
}

@compute @workgroup_size(64)
fn gradient(@builtin(global_invocation_id) gid: vec3u) {
  let n = params.count * params.voxels;
  let g = flatIndex(gid);
  if (g >= n) { return; }
  let b = g / params.voxels;
  let v = g - b * params.voxels;
  let planar = params.planar == 1u;
  let out = params.outOffset + b * (3u - params.planar) * params.voxels + v;
  let c = atomicLoad(&comp[g]);
  if (c == 0u) {
    let x = labelAt(g);
    let f = select(0.0, x, isNan(x));
    flows[out] = f;
    flows[out + params.voxels] = f;
    if (!planar) { flows[out + 2u * params.voxels] = f; }
    return;
  }
  let base = (atomicLoad(&perSample[b * SAMPLE_WORDS + 6u]) & 1u) * n;
  let id = c & ~CENTER;
  let p = coords(g);
  var h: array<f32, 6>;
  for (var k = 0u; k < 6u; k++) {
    let j = neighbor(g, p, k);
    h[k] = 0.0;
    if (j != BACKGROUND && (atomicLoad(&comp[j]) & ~CENTER) == id) { h[k] = heat[base + j]; }
  }
  let d = vec3f(h[0] - h[1], h[2] - h[3], h[4] - h[5]);
  let m = max(abs(d.x), max(abs(d.y), abs(d.z)));
  var f = vec3f(0.0);
  if (m > 0.0) {
    let u = d / m;
    f = u / sqrt(u.x * u.x + u.y * u.y + u.z * u.z);
  }
  if (planar) { // d.x is 0: the (y, x) components
    flows[out] = f.y;
    flows[out + params.voxels] = f.z;
    return;
  }
  flows[out] = f.x;
  flows[out + params.voxels] = f.y;
  flows[out + 2u * params.voxels] = f.z;
}
