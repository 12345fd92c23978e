// Fills out[0..n) with Philox draws for flat elements base .. base+n-1 of the
// key's stream at (step, purpose): raw words (mode 0), uniforms (1) or
// normals (2), floats stored as their bits. One thread per Philox block.
struct Params {
  n: u32, base_lo: u32, base_hi: u32, step: u32,
  purpose: u32, seed: u32, stream: u32, mode: u32,
}
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(0) @binding(1) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = sd_thread(gid, nwg);
  let shift = p.base_lo & 3u;
  if (t >= (p.n + shift + 3u) / 4u) { return; }
  let w = sd_philox(sd_block_counter(p.base_lo, p.base_hi, t, p.step, p.purpose),
                    vec2<u32>(p.seed, p.stream));
  var v = w;
  if (p.mode == 1u) {
    v = bitcast<vec4<u32>>(vec4<f32>(sd_uniform(w.x), sd_uniform(w.y), sd_uniform(w.z), sd_uniform(w.w)));
  } else if (p.mode == 2u) {
    v = bitcast<vec4<u32>>(sd_normal4(w));
  }
  for (var lane = 0u; lane < 4u; lane = lane + 1u) {
    let j = t * 4u + lane;
    if (j >= shift && j - shift < p.n) { out[j - shift] = v[lane]; }
  }
}
