// out = [out +] alpha * op(A) op(B) [+ bias (broadcast over rows)], op(A) m×k, op(B) k×n,
// all row-major at element offsets; op(A) = Aᵀ when flag 1 is set (A stored k×m), op(B) = Bᵀ
// when flag 2 is set (B stored n×k). Each thread computes a 4×4 block of out, reading its
// factors straight from storage (register blocking without workgroup memory: on CPU-like
// adapters such as llvmpipe the barriers of shared-memory tiling cost more than they save,
// and a real GPU's caches serve the repeated reads); an 8×8 workgroup covers a 32×32 tile.
struct Params {
  m: u32, n: u32, k: u32, flags: u32,
  a_off: u32, b_off: u32, out_off: u32, bias_off: u32,
  alpha: f32, _p0: f32, _p1: f32, _p2: f32,
}
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

const FLAG_TRANS_A: u32 = 1u;
const FLAG_TRANS_B: u32 = 2u;
const FLAG_ACCUMULATE: u32 = 4u;
const FLAG_BIAS: u32 = 8u;

// op(A)[i, q], 0 past the last row
fn load_a(i: u32, q: u32) -> f32 {
  if (i >= p.m) { return 0.0; }
  if ((p.flags & FLAG_TRANS_A) != 0u) { return a[p.a_off + q * p.m + i]; }
  return a[p.a_off + i * p.k + q];
}

// op(B)[q, j .. j + 3], 0 past the last column
fn load_b4(q: u32, j: u32) -> vec4<f32> {
  var r = vec4<f32>(0.0);
  for (var c = 0u; c < 4u; c = c + 1u) {
    if (j + c < p.n) {
      if ((p.flags & FLAG_TRANS_B) != 0u) {
        r[c] = b[p.b_off + (j + c) * p.k + q];
      } else {
        r[c] = b[p.b_off + q * p.n + j + c];
      }
    }
  }
  return r;
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i0 = gid.y * 4u;
  let j0 = gid.x * 4u;
  if (i0 >= p.m || j0 >= p.n) { return; }
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var q = 0u; q < p.k; q = q + 1u) {
    let bv = load_b4(q, j0);
    acc0 = acc0 + load_a(i0, q) * bv;
    acc1 = acc1 + load_a(i0 + 1u, q) * bv;
    acc2 = acc2 + load_a(i0 + 2u, q) * bv;
    acc3 = acc3 + load_a(i0 + 3u, q) * bv;
  }
  for (var r = 0u; r < 4u; r = r + 1u) {
    let i = i0 + r;
    if (i >= p.m) { break; }
    var acc = acc0;
    if (r == 1u) { acc = acc1; }
    if (r == 2u) { acc = acc2; }
    if (r == 3u) { acc = acc3; }
    for (var c = 0u; c < 4u; c = c + 1u) {
      let j = j0 + c;
      if (j >= p.n) { break; }
      var v = p.alpha * acc[c];
      if ((p.flags & FLAG_BIAS) != 0u) { v = v + bias[p.bias_off + j]; }
      let o = p.out_off + i * p.n + j;
      if ((p.flags & FLAG_ACCUMULATE) != 0u) { v = v + out[o]; }
      out[o] = v;
    }
  }
}
