// A sparse linear map applied to every row of a batch, one output element per invocation:
//   out[r·outDim + i] = Σ_{k ∈ [ptr[i], ptr[i+1])} val[k] · x[r·inDim + idx[k]]
// The structured measurement operators of models/operators/ (inpainting masks: gather and
// scatter; k× average pooling and its transpose; each 1-D pass of a separable blur and its
// transpose) are all of this form with a few entries per output. `structure` holds the outDim+1
// row pointers followed by the column indices; `vals` the values. `out` must not alias `x`.
struct Params {
  rows: u32, in_dim: u32, out_dim: u32, _p0: u32,
}
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> structure: array<u32>;
@group(0) @binding(3) var<storage, read> vals: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = sd_thread(gid, nwg);
  if (e >= p.rows * p.out_dim) { return; }
  let r = e / p.out_dim;
  let i = e - r * p.out_dim;
  let base = r * p.in_dim;
  let idx0 = p.out_dim + 1u;
  var acc = 0.0;
  for (var k = structure[i]; k < structure[i + 1u]; k = k + 1u) {
    acc = acc + vals[k] * x[base + structure[idx0 + k]];
  }
  out[e] = acc;
}
