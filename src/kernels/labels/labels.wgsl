// Class relationships on a target buffer [batch, classes, voxels], in place.
// Host side: gpu.ts. CPU twin: twin.ts. Shared: contract.ts.
//
// One thread per (sample, voxel): it collects which classes are present (== 1) at the voxel as
// a bit set, then sets every unknown class c (== emptyValue, or NaN when emptyValue is NaN) to 0
// when a class d with exclusive[c][d] is present. Setting unknown to 0 never makes a class
// present, so the order of the classes does not matter.

struct Params {
  voxels: u32,     // voxels per class per sample
  batch: u32,      // samples in this dispatch
  classes: u32,    // C (at most 32 * MAX_WORDS)
  words: u32,      // u32 words per exclusion row: ceil(C / 32)
  rowWidth: u32,   // threads per dispatch row (flat index = gid.y * rowWidth + gid.x)
  offset: u32,     // element offset of the dispatch's first sample in `data`
  emptyIsNan: u32, // 1: unknown means NaN; 0: unknown means == empty
  empty: f32,      // the empty value when it is not NaN
}

const MAX_WORDS: u32 = 8u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> data: array<f32>;
// Row c (words [c * words, (c + 1) * words)): bit d set when exclusive[c][d].
@group(0) @binding(2) var<storage, read> exclusive: array<u32>;

fn isNan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let flat = gid.y * params.rowWidth + gid.x;
  if (flat >= params.batch * params.voxels) { return; }
  let b = flat / params.voxels;
  let v = flat - b * params.voxels;
  let first = params.offset + b * params.classes * params.voxels + v;

  var present: array<u32, MAX_WORDS>;
  for (var c = 0u; c < params.classes; c++) {
    let x = data[first + c * params.voxels];
    if (!isNan(x) && x == 1.0) {
      present[c >> 5u] |= 1u << (c & 31u);
    }
  }
  for (var c = 0u; c < params.classes; c++) {
    let i = first + c * params.voxels;
    let x = data[i];
    let unknown = select(!isNan(x) && x == params.empty, isNan(x), params.emptyIsNan == 1u);
    if (!unknown) { continue; }
    var hit = 0u;
    for (var w = 0u; w < params.words; w++) {
      hit |= exclusive[c * params.words + w] & present[w];
    }
    if (hit != 0u) { data[i] = 0.0; }
  }
}
