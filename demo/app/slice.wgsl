// Slice rendering of the QA app: one full-screen triangle; each fragment reads its pixel's raw
// value and label values from the planes buffer that CellMapArray.sampleInto filled (f32, one
// plane of width * height values for the raw, then one per label array) and maps them to a colour.
// Nothing is read back to the CPU.

struct Params {
  size: vec2u,        // canvas width, height (pixels)
  strides: vec2u,     // elements between horizontally / vertically adjacent pixels in a plane
  plane: u32,         // elements per plane (width * height)
  layers: u32,        // label planes after the raw plane
  window: vec2f,      // raw values mapped to black and white
  opacity: f32,       // label overlay opacity
  background: vec4f,  // at byte 48: colour outside the volume (raw is NaN there)
  colors: array<vec4f, 32>, // at byte 64, per label plane: rgb, and a = 1 when shown
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> planes: array<f32>;

@vertex
fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4f {
  let xy = vec2f(f32((i << 1u) & 2u), f32(i & 2u));
  return vec4f(xy * 2.0 - 1.0, 0.0, 1.0);
}

// NaN test on the bits: compilers may assume `x != x` is false.
fn isNan(x: f32) -> bool {
  let b = bitcast<u32>(x);
  return (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0u;
}

@fragment
fn fs(@builtin(position) pos: vec4f) -> @location(0) vec4f {
  let px = min(u32(pos.x), P.size.x - 1u);
  let py = min(u32(pos.y), P.size.y - 1u);
  let idx = px * P.strides.x + py * P.strides.y;
  let raw = planes[idx];
  var c = P.background.rgb;
  if (!isNan(raw)) {
    let g = clamp((raw - P.window.x) / (P.window.y - P.window.x), 0.0, 1.0);
    c = vec3f(g, g, g);
  }
  for (var i = 0u; i < P.layers; i++) {
    let col = P.colors[i];
    if (col.a > 0.5) {
      let v = planes[(i + 1u) * P.plane + idx];
      if (!isNan(v) && v > 0.5) {
        c = mix(c, col.rgb, P.opacity);
      }
    }
  }
  return vec4f(c, 1.0);
}
