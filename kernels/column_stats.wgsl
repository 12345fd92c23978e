// Partial column sums and sums of squares of one chunk of a row-major n x d
// array. The chunk holds flat elements [off, off + len). Workgroup row y is
// column j; thread s (of S) sums rows r0 + s, r0 + s + S, ... of that column,
// and adds into partial[j * S + s] (sums) and partial[(d + j) * S + s]
// (squares). The host finishes the sum over s in float64.
struct Params { off: u32, len: u32, d: u32, slices: u32, first: u32, _p0: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<storage, read_write> partial: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let s = gid.x;
  let j = gid.y;
  if (s >= p.slices || j >= p.d || p.len == 0u) { return; }
  // rows r with off <= r*d + j < off + len
  var r0 = 0u;
  if (p.off > j) { r0 = (p.off - j + p.d - 1u) / p.d; }
  let last = p.off + p.len - 1u;
  var sum = 0.0;
  var sq = 0.0;
  if (last >= j) {
    let r1 = (last - j) / p.d;
    for (var r = r0 + s; r <= r1; r = r + p.slices) {
      let v = x[r * p.d + j - p.off];
      sum = sum + v;
      sq = sq + v * v;
    }
  }
  let a = j * p.slices + s;
  let b = (p.d + j) * p.slices + s;
  if (p.first != 0u) {
    partial[a] = sum;
    partial[b] = sq;
  } else {
    partial[a] = partial[a] + sum;
    partial[b] = partial[b] + sq;
  }
}
