// Exact Euclidean distance transform of each sample of an f32 buffer [batch, z, y, x], in place.
// Host side: gpu.ts. CPU twin: twin.ts (definitions there). Shared: contract.ts.
//
// Separable, after Felzenszwalb and Huttenlocher: three dispatches of `edt`, one per axis (z, y,
// x), one thread per (sample, line along the axis). A thread builds the lower envelope of the
// parabolas s^2 (q - p)^2 + f(p) of its line (scratch `env`: per line, the envelope's sites `v`,
// their values `fv` and the boundaries `z`), then writes the squared distances back.
//
//   axis 0  f(p) = 0 at the sites (data), "none" elsewhere; result -> work
//   axis 1  f = work, result -> work
//   axis 2  f = work, result -> work, then the line is finished into `data`: sqrt, sign,
//           clip, tanh; NaN voxels are left alone
//
// Channel 0 measures to background voxels (x == 0), channel 1 (signed only) to foreground voxels
// (x != 0, not NaN). "None" (no site on any line so far) is a negative value; an infinite
// distance is written through its bits, since WGSL lets compilers assume floats are finite.

struct Params {
  shape: vec3u,      // per-sample extent (z, y, x)
  voxels: u32,       // z * y * x
  count: u32,        // samples in this dispatch
  sampleBase: u32,   // index (in the whole call) of the dispatch's first sample
  rowWidth: u32,     // threads per dispatch row (flat index = gid.y * rowWidth + gid.x)
  axis: u32,         // 0 z, 1 y, 2 x
  tableBase: u32,    // offset of this barrier's rows in `samples`
  dataOffset: u32,   // element offset of the dispatch's first sample in `data`
  lines: u32,        // lines along `axis` per sample
  lineWords: u32,    // env words per line: 3 * n (v, fv, z)
  spacing: vec3f,    // voxel size (z, y, x), world units
  _pad: u32,
}

// Per sample: head.x = mode (0 leave alone, 1 distance, 2 signed distance); args = clip low,
// clip high (±F32_MAX: none), tanh scale (0: none).
struct DistSample {
  head: vec4u,
  args: vec4f,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> data: array<f32>;
@group(0) @binding(2) var<storage, read_write> work: array<f32>;
@group(0) @binding(3) var<storage, read_write> env: array<f32>;
@group(0) @binding(4) var<storage, read> samples: array<DistSample>;

const NONE: f32 = -1.0;
const F32_MAX: f32 = 0x1.fffffep+127f;

fn isNan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn isSite(x: f32, channel: u32) -> bool {
  if (isNan(x)) { return false; }
  if (channel == 0u) { return x == 0.0; }
  return x != 0.0;
}

// tanh through exp, finite for any argument (some drivers' tanh is NaN for large ones).
fn tanhStable(x: f32) -> f32 {
  let t = exp(-2.0 * abs(x));
  let y = (1.0 - t) / (1.0 + t);
  return select(y, -y, x < 0.0);
}

// sqrt, sign, clip and tanh of one voxel: d2 < 0 means nothing to measure to (infinite).
fn finish(d2: f32, sign: f32, a: vec4f) -> f32 {
  var infinite = d2 < 0.0;
  var y = sign * sqrt(max(d2, 0.0));
  if (infinite) {
    if (sign > 0.0 && a.y < F32_MAX) {
      y = a.y;
      infinite = false;
    } else if (sign < 0.0 && a.x > -F32_MAX) {
      y = a.x;
      infinite = false;
    }
  } else {
    y = clamp(y, a.x, a.y);
  }
  if (a.z > 0.0) {
    if (infinite) { return sign; }
    return tanhStable(y / a.z);
  }
  if (infinite) { return bitcast<f32>(select(0xff800000u, 0x7f800000u, sign > 0.0)); }
  return y;
}

@compute @workgroup_size(64)
fn edt(@builtin(global_invocation_id) gid: vec3u) {
  let flat = gid.y * params.rowWidth + gid.x;
  if (flat >= params.count * params.lines) { return; }
  let item = flat / params.lines;
  let l = flat - item * params.lines;
  let ds = samples[params.tableBase + params.sampleBase + item];
  let mode = ds.head.x;
  if (mode == 0u) { return; }
  let axis = params.axis;
  let nx = params.shape.z;
  let ny = params.shape.y;
  let n = params.shape[axis];
  var start = l * nx;
  var stride = 1u;
  if (axis == 0u) {
    start = l;
    stride = ny * nx;
  } else if (axis == 1u) {
    start = (l / nx) * ny * nx + l % nx;
    stride = nx;
  }
  let dataBase = params.dataOffset + item * params.voxels;
  let vBase = flat * params.lineWords;
  let fBase = vBase + n;
  let zBase = fBase + n;
  let s = params.spacing[axis];
  let w = s * s;
  let channels = select(1u, 2u, mode == 2u);
  for (var c = 0u; c < channels; c++) {
    let workBase = (item * 2u + c) * params.voxels;
    // The lower envelope of the line's parabolas; k is the last one's index.
    var k = 0u;
    var any = false;
    for (var q = 0u; q < n; q++) {
      let at = start + q * stride;
      var fq = NONE;
      if (axis == 0u) {
        if (isSite(data[dataBase + at], c)) { fq = 0.0; }
      } else {
        fq = work[workBase + at];
      }
      if (fq < 0.0) { continue; }
      if (!any) {
        any = true;
        k = 0u;
        env[vBase] = bitcast<f32>(q);
        env[fBase] = fq;
        continue;
      }
      let qf = f32(q);
      var b = 0.0;
      loop {
        let pf = f32(bitcast<u32>(env[vBase + k]));
        // Where the parabolas from p and q meet.
        b = (fq - env[fBase + k]) / (2.0 * w * (qf - pf)) + 0.5 * (qf + pf);
        if (k > 0u && b <= env[zBase + k]) {
          k -= 1u;
        } else {
          break;
        }
      }
      k += 1u;
      env[vBase + k] = bitcast<f32>(q);
      env[fBase + k] = fq;
      env[zBase + k] = b;
    }
    var j = 0u;
    for (var q = 0u; q < n; q++) {
      var d = NONE;
      if (any) {
        let qf = f32(q);
        while (j < k && env[zBase + j + 1u] < qf) { j += 1u; }
        let dq = qf - f32(bitcast<u32>(env[vBase + j]));
        d = w * dq * dq + env[fBase + j];
      }
      work[workBase + start + q * stride] = d;
    }
  }
  if (axis != 2u) { return; }
  for (var q = 0u; q < n; q++) {
    let at = start + q;
    let x = data[dataBase + at];
    if (isNan(x)) { continue; }
    if (x != 0.0) {
      data[dataBase + at] = finish(work[item * 2u * params.voxels + at], 1.0, ds.args);
    } else if (mode == 2u) {
      data[dataBase + at] = finish(work[(item * 2u + 1u) * params.voxels + at], -1.0, ds.args);
    } else {
      data[dataBase + at] = finish(0.0, 1.0, ds.args);
    }
  }
}
