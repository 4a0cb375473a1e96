// A custom value op: a user's pointwise function applied in place on an f32 buffer
// [batch, z, y, x]. GPU host: gpu.ts beside this file; CPU twin: the op's `cpu` function.
//
// This is the head of the module. The host appends the user's piece, which defines
// `fn NAME(v: f32, p: vec4<f32>) -> f32` (contract.ts beside this file checks it declares no
// bindings, entry points or module variables and no name starting with "cellmap"), then
// `fn cellmap_user(v: f32, p: vec4f) -> f32 { return NAME(v, p); }`.
//
// One thread per (sample, voxel); samples whose row is off are left alone, NaN stays NaN.

struct CellmapParams {
  voxels: u32,       // z * y * x
  count: u32,        // samples in this dispatch
  sampleBase: u32,   // index (in the whole call) of the dispatch's first sample
  rowWidth: u32,     // threads per dispatch row (flat index = gid.y * rowWidth + gid.x)
  dataOffset: u32,   // element offset of the dispatch's first sample in the binding
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

// Per sample: the parameters p, and on.x = 1 where the op applies.
struct CellmapSample {
  p: vec4f,
  on: vec4u,
}

@group(0) @binding(0) var<uniform> cellmap_params: CellmapParams;
@group(0) @binding(1) var<storage, read_write> cellmap_data: array<f32>;
@group(0) @binding(2) var<storage, read> cellmap_samples: array<CellmapSample>;

@compute @workgroup_size(64)
fn cellmap_apply(@builtin(global_invocation_id) gid: vec3u) {
  let flat = gid.y * cellmap_params.rowWidth + gid.x;
  if (flat >= cellmap_params.count * cellmap_params.voxels) { return; }
  let item = flat / cellmap_params.voxels;
  let s = cellmap_samples[cellmap_params.sampleBase + item];
  if (s.on.x == 0u) { return; }
  let i = cellmap_params.dataOffset + flat;
  let x = cellmap_data[i];
  if ((bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u) { return; }
  cellmap_data[i] = cellmap_user(x, s.p);
}
