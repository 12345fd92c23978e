// out = [self_coef * out] + sum_{k < nterms} c[k] * x_k (+ scale * z), z the Philox
// normals of flat elements base .. base+n-1. One thread per 4 elements, so each
// Philox block is computed once.
struct Params {
  n: u32, nterms: u32, flags: u32, base_lo: u32,
  base_hi: u32, step: u32, purpose: u32, seed: u32,
  stream: u32, _p0: u32, _p1: u32, _p2: u32,
  c: vec4<f32>,
  self_coef: f32, scale: f32, _p3: f32, _p4: f32,
}
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> x0: array<f32>;
@group(0) @binding(2) var<storage, read> x1: array<f32>;
@group(0) @binding(3) var<storage, read> x2: array<f32>;
@group(0) @binding(4) var<storage, read> x3: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

const FLAG_NOISE: u32 = 1u;
const FLAG_SELF: u32 = 2u;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = sd_thread(gid, nwg);
  let shift = p.base_lo & 3u;
  if (t >= (p.n + shift + 3u) / 4u) { return; }
  var z = vec4<f32>(0.0);
  if ((p.flags & FLAG_NOISE) != 0u) {
    z = p.scale * sd_normal4(sd_philox(sd_block_counter(p.base_lo, p.base_hi, t, p.step, p.purpose),
                                       vec2<u32>(p.seed, p.stream)));
  }
  for (var lane = 0u; lane < 4u; lane = lane + 1u) {
    let j = t * 4u + lane;
    if (j < shift || j - shift >= p.n) { continue; }
    let i = j - shift;
    var acc = 0.0;
    if ((p.flags & FLAG_SELF) != 0u) { acc = p.self_coef * out[i]; }
    if (p.nterms > 0u) { acc = acc + p.c.x * x0[i]; }
    if (p.nterms > 1u) { acc = acc + p.c.y * x1[i]; }
    if (p.nterms > 2u) { acc = acc + p.c.z * x2[i]; }
    if (p.nterms > 3u) { acc = acc + p.c.w * x3[i]; }
    if ((p.flags & FLAG_NOISE) != 0u) { acc = acc + z[lane]; }
    out[i] = acc;
  }
}
