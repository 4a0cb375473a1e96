// The training example's consumer: a per-voxel logistic regression (raw intensity -> one logit
// per class) trained by gradient descent on the loader's GPU batches. Everything stays on the GPU:
// `grad` reduces the batch's gradients into per-workgroup partial sums, `step` folds them into
// the model and adds the loss to the epoch's entry of `history`. Unknown labels (NaN) are skipped.

struct Params {
  voxels: u32,   // voxels per sample and channel (z * y * x)
  batch: u32,
  classes: u32,
  groups: u32,   // workgroups of the grad pass
  lr: f32,
  epoch: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> raw: array<f32>;            // [batch, 1, voxels]
@group(0) @binding(2) var<storage, read> gt: array<f32>;             // [batch, classes, voxels]
@group(0) @binding(3) var<storage, read_write> partial: array<vec4f>; // [groups, classes]: dw, db, loss, count
@group(0) @binding(4) var<storage, read_write> model: array<f32>;     // [classes, 2]: w, b
@group(0) @binding(5) var<storage, read_write> history: array<f32>;   // [epochs, 2]: loss sum, voxel count

const WG = 256u;
var<workgroup> acc: array<vec4f, WG>;

fn isNan(x: f32) -> bool {
  let b = bitcast<u32>(x);
  return (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0u;
}

@compute @workgroup_size(WG)
fn grad(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let n = P.batch * P.voxels;
  for (var c = 0u; c < P.classes; c++) {
    let w = model[c * 2u];
    let b0 = model[c * 2u + 1u];
    var s = vec4f(0.0);
    for (var i = wid.x * WG + lid.x; i < n; i += P.groups * WG) {
      let b = i / P.voxels;
      let v = i - b * P.voxels;
      let y = gt[(b * P.classes + c) * P.voxels + v];
      if (isNan(y)) {
        continue;
      }
      let x = raw[b * P.voxels + v];
      let z = w * x + b0;
      let p = 1.0 / (1.0 + exp(-z));
      let d = p - y;
      // binary cross-entropy with logits, in its overflow-free form
      let loss = max(z, 0.0) - z * y + log(1.0 + exp(-abs(z)));
      s += vec4f(d * x, d, loss, 1.0);
    }
    acc[lid.x] = s;
    workgroupBarrier();
    for (var k = WG / 2u; k > 0u; k >>= 1u) {
      if (lid.x < k) {
        acc[lid.x] += acc[lid.x + k];
      }
      workgroupBarrier();
    }
    if (lid.x == 0u) {
      partial[wid.x * P.classes + c] = acc[0];
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(1)
fn step() {
  var loss = 0.0;
  var count = 0.0;
  for (var c = 0u; c < P.classes; c++) {
    var s = vec4f(0.0);
    for (var g = 0u; g < P.groups; g++) {
      s += partial[g * P.classes + c];
    }
    if (s.w > 0.0) {
      model[c * 2u] -= P.lr * s.x / s.w;
      model[c * 2u + 1u] -= P.lr * s.y / s.w;
    }
    loss += s.z;
    count += s.w;
  }
  history[P.epoch * 2u] += loss;
  history[P.epoch * 2u + 1u] += count;
}
