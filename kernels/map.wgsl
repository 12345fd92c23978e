// Elementwise map template. map.ts fills three named placeholders by plain
// string replacement: INPUTS (the read-only input bindings in0.. from binding
// 1), USER (the body of sd_user) and ARGS (in0[k], ..., 0.0 for unused slots).
struct Params { n: u32, base: u32, _p0: u32, _p1: u32 }
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
{{INPUTS}}
@group(0) @binding(5) var<storage, read> params: array<f32>;
@group(0) @binding(6) var<uniform> sd_p: Params;

fn sd_user(x0: f32, x1: f32, x2: f32, x3: f32, i: u32) -> f32 {
{{USER}}
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = sd_thread(gid, nwg);
  if (k >= sd_p.n) { return; }
  out[k] = sd_user({{ARGS}}, sd_p.base + k);
}
