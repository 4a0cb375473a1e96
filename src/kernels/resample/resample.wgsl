// Affine resampling of one (batch, array) out of the GPU chunk cache.
// Contract: contract.ts beside this file and ../chunks/contract.ts; docs/architecture.md, "The
// chunk cache layout" and "One resample dispatch". CPU twin: twin.ts. GPU host: gpu.ts.

struct Params {
  outShape: vec3u,   // output extent (z, y, x)
  batch: u32,        // samples in this dispatch
  chunkShape: vec3u, // chunk extent (z, y, x)
  kind: u32,         // storage kind: 0 u8, 1 i8, 2 u16, 3 i16, 4 u32, 5 i32, 6 f32
  volShape: vec3i,   // level extent N (z, y, x)
  interp: u32,       // 0 linear, 1 nearest
  pad: f32,          // value outside the volume
  fill: f32,         // value of chunks the store does not have (table entry 0xFFFFFFFF)
  slotWords: u32,    // u32 words per cache slot
  rowWidth: u32,     // threads per dispatch row
}

struct Sample {
  m0: vec4f,        // row z of the 3x4 affine: z of v_local = dot(m0.xyz, j) + m0.w, j = (jz, jy, jx)
  m1: vec4f,        // row y
  m2: vec4f,        // row x
  origin: vec4i,    // .xyz = source-box origin (voxel, z,y,x) that v_local is relative to
  chunkLo: vec4i,   // .xyz = first chunk-grid coordinate of the table (z,y,x); .w = table offset (words)
  chunkDims: vec4u, // .xyz = table extent in chunks (z,y,x); .w unused
  dispStep: vec4f,  // .xyz = control-grid units per output voxel (z,y,x); .w unused
  dispStart: vec4f, // .xyz = control-grid coordinate of output voxel 0 (z,y,x); .w unused
  dispDims: vec4u,  // .xyz = control-grid extent (z,y,x), 0 = no displacement; .w = first point in `disp`
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> samples: array<Sample>;
@group(0) @binding(2) var<storage, read> tables: array<u32>;
@group(0) @binding(3) var<storage, read> cache: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
// Control-point displacements in output voxels, 3 per point (z, y, x), C order over each sample's grid.
@group(0) @binding(5) var<storage, read> disp: array<f32>;

const ABSENT: u32 = 0xFFFFFFFFu;

// Pipeline specialization (gpu-pipeline.ts, getResamplePipeline): a pipeline made for one
// interpolation, storage kind and with or without displacement folds the other paths away at
// compile time. Software adapters run every branch whether taken or not, so this halves nearest
// and trims linear there; on a GPU it shortens the kernel and frees registers. The defaults make
// a generic pipeline that reads the interpolation and kind from `params`, as before.
override INTERP: u32 = 2u;  // 0 linear, 1 nearest, 2 from params.interp
override KIND: u32 = 7u;    // storage kind code (see Params.kind), 7 from params.kind
override DEFORM: bool = true; // false: no sample of the dispatch has a displacement field
// true: every sample's affine is a signed axis permutation with integer offsets (each output voxel
// lies on a source voxel) and a blend at a voxel is that voxel (integer kinds, finite fill): read
// the one voxel, for linear as for nearest. contract.ts (isCopyDispatch) decides; the bits are
// the generic pipeline's.
override COPY: bool = false;

// Every vector below holds (z, y, x) in its components (.x, .y, .z), as the structs do: `.x` is
// the z axis and `.z` the x axis, the fastest-varying one.

// How the storage kind packs elements into words; the same for every thread.
struct Decode {
  perWord: u32, // log2(elements per word): 2 (1-byte kinds), 1 (2-byte), 0 (4-byte)
  lane: u32,    // elements per word - 1
  bits: u32,    // log2(bits per element): 3, 4, 5
  left: u32,    // 32 - bits per element
  signed: bool, // i8, i16, i32: sign-extend
  float: bool,  // f32: bitcast
}

fn decodeFor(kind: u32) -> Decode {
  let perWord = select(select(0u, 1u, kind < 4u), 2u, kind < 2u);
  let bits = 5u - perWord;
  return Decode(perWord, (1u << perWord) - 1u, bits, 32u - (1u << bits), kind == 1u || kind == 3u || kind == 5u, kind == 6u);
}

// Element `e` of cache slot `slot` as f32; the fill value for an ABSENT slot. Branch-free: the
// kind is uniform, and software adapters run both sides of every branch.
fn element(slot: u32, e: u32, d: Decode) -> f32 {
  let present = slot != ABSENT;
  let w = cache[select(0u, slot, present) * params.slotWords + (e >> d.perWord)];
  let top = (w >> ((e & d.lane) << d.bits)) << d.left; // the element in the high bits
  let v = select(select(f32(top >> d.left), f32(bitcast<i32>(top) >> d.left), d.signed), bitcast<f32>(w), d.float);
  return select(params.fill, v, present);
}

// Addressing of one source voxel, split per axis so that the 8 linear corners share the work:
// the slot-table offset, whether the chunk lies in the table, and the offset within the chunk.
struct Axes {
  table: vec3u,
  ok: vec3<bool>,
  elem: vec3u,
}

fn axes(i: vec3u, s: Sample) -> Axes {
  let cs = params.chunkShape;
  let c = i / cs;
  let t = c - vec3u(s.chunkLo.xyz); // wraps to a huge value below chunkLo
  let dims = s.chunkDims.xyz;
  return Axes(t * vec3u(dims.y * dims.z, dims.z, 1u), t < dims, (i - c * cs) * vec3u(cs.y * cs.z, cs.z, 1u));
}

// The voxel whose z, y, x come from `z`, `y`, `x`: one table lookup, one cache read.
fn corner(z: Axes, y: Axes, x: Axes, table: u32, d: Decode) -> f32 {
  let ok = z.ok.x && y.ok.y && x.ok.z;
  let slot = select(ABSENT, tables[select(0u, table + z.table.x + y.table.y + x.table.z, ok)], ok);
  return element(slot, z.elem.x + y.elem.y + x.elem.z, d);
}

// The 4 cubic B-spline weights of control points floor(u) - 1 .. floor(u) + 2, for t = u - floor(u).
fn bspline(t: f32) -> vec4f {
  let s = 1.0 - t;
  let t2 = t * t;
  let t3 = t2 * t;
  return vec4f(s * s * s, 3.0 * t3 - 6.0 * t2 + 4.0, -3.0 * t3 + 3.0 * t2 + 3.0 * t + 1.0, t3) / 6.0;
}

// Displacement of output voxel j in output voxels: the cubic B-spline of the sample's control
// points at u = j * dispStep + dispStart, control indices clamped to the grid.
fn displacement(j: vec3f, s: Sample) -> vec3f {
  let u = j * s.dispStep.xyz + s.dispStart.xyz;
  let i = floor(u);
  let t = u - i;
  let wz = bspline(t.x);
  let wy = bspline(t.y);
  let wx = bspline(t.z);
  let base = vec3i(i) - vec3i(1);
  let last = vec3i(s.dispDims.xyz) - vec3i(1);
  let gy = s.dispDims.y;
  let gx = s.dispDims.z;
  var acc = vec3f(0.0);
  for (var a = 0; a < 4; a++) {
    let z = u32(clamp(base.x + a, 0, last.x));
    for (var b = 0; b < 4; b++) {
      let y = u32(clamp(base.y + b, 0, last.y));
      let wzy = wz[a] * wy[b];
      for (var c = 0; c < 4; c++) {
        let x = u32(clamp(base.z + c, 0, last.z));
        let p = 3u * (s.dispDims.w + (z * gy + y) * gx + x);
        acc += (wzy * wx[c]) * vec3f(disp[p], disp[p + 1u], disp[p + 2u]);
      }
    }
  }
  return acc;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let idx = gid.y * params.rowWidth + gid.x;
  let n = params.outShape;
  let perSample = n.x * n.y * n.z;
  if (idx >= params.batch * perSample) {
    return;
  }
  let b = idx / perSample;
  let r = idx - b * perSample;
  let plane = n.y * n.z;
  let jz = r / plane;
  let ry = r - jz * plane;
  let jy = ry / n.z;
  let jx = ry - jy * n.z;

  let s = samples[b];
  var j = vec3f(f32(jz), f32(jy), f32(jx));
  // Elastic deformation: read output voxel j at j + d(j) (output voxels) through the same affine.
  if (DEFORM && s.dispDims.x != 0u) {
    j += displacement(j, s);
  }
  let local = vec3f(dot(s.m0.xyz, j) + s.m0.w, dot(s.m1.xyz, j) + s.m1.w, dot(s.m2.xyz, j) + s.m2.w);
  // v = origin + local, kept as integer + fraction so that float32 stays exact on large volumes.
  let whole = floor(local);
  let f = local - whole;
  let iv = s.origin.xyz + vec3i(whole);
  let last = params.volShape - vec3i(1);
  let linear = !COPY && select(INTERP == 0u, params.interp == 0u, INTERP == 2u);

  // Linear: i0 = floor(v), pad outside [0, N - 1] (so never blended with pad).
  // Nearest: i0 = floor(v + 0.5), pad outside [-0.5, N - 0.5).
  let i0 = select(iv + select(vec3i(0), vec3i(1), f >= vec3f(0.5)), iv, linear);
  let inside = all(i0 >= vec3i(0)) && all(i0 <= last) && !(linear && any((i0 == last) & (f > vec3f(0.0))));

  var value = params.pad;
  if (inside) {
    let d = decodeFor(select(KIND, params.kind, KIND == 7u));
    let a = axes(vec3u(i0), s);
    let table = u32(s.chunkLo.w);
    value = corner(a, a, a, table, d);
    if (linear) {
      let c = axes(vec3u(min(i0 + vec3i(1), last)), s);
      // Corner vZYX: Z, Y, X pick i0 (0) or i1 (1) per axis. Blend x, then y, then z, as the
      // CPU twin does.
      let x00 = mix(value, corner(a, a, c, table, d), f.z);
      let x01 = mix(corner(a, c, a, table, d), corner(a, c, c, table, d), f.z);
      let x10 = mix(corner(c, a, a, table, d), corner(c, a, c, table, d), f.z);
      let x11 = mix(corner(c, c, a, table, d), corner(c, c, c, table, d), f.z);
      value = mix(mix(x00, x01, f.y), mix(x10, x11, f.y), f.x);
    }
  }
  out[idx] = value;
}
