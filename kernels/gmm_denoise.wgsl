// The exact denoiser of a Gaussian mixture with per-dimension variances, one point per
// invocation (refs/diffusion §3.2):
//   q_kj = α² v_kj + σ²,  l_k = log w_k − ½ Σ_j [ (x_j − α μ_kj)²/q_kj + log q_kj ]
//   out_j = Σ_k r_k [ ca (μ_kj + α v_kj res_kj) + cb σ res_kj ],  res_kj = (x_j − α μ_kj)/q_kj
// with r = softmax(l), i.e. out = ca x̂₀ + cb ε̂. Pass 1 finds max_k l_k; pass 2 recomputes each
// l_k and accumulates the weighted sums directly in `out` (the row of `out` is the scratch, so
// any K and d work without fixed-size arrays); the row is divided by Σ_k e^{l_k − max} at the end.
// `out` must not alias `x`. Parameters: log w (K), then μ (K×d), then v (K×d), row-major.
struct Params {
  rows: u32, d: u32, k: u32, _p0: u32,
  alpha: f32, sigma: f32, ca: f32, cb: f32,
}
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gmm: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

fn gmm_logit(row: u32, c: u32) -> f32 {
  let s2 = p.sigma * p.sigma;
  let a2 = p.alpha * p.alpha;
  let mu0 = p.k + c * p.d;
  let v0 = p.k + p.k * p.d + c * p.d;
  var acc = 0.0;
  for (var j = 0u; j < p.d; j = j + 1u) {
    let q = a2 * gmm[v0 + j] + s2;
    let r = x[row + j] - p.alpha * gmm[mu0 + j];
    acc = acc + r * r / q + log(q);
  }
  return gmm[c] - 0.5 * acc;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = sd_thread(gid, nwg);
  if (i >= p.rows) { return; }
  let row = i * p.d;
  var mx = -3.0e38;
  for (var c = 0u; c < p.k; c = c + 1u) { mx = max(mx, gmm_logit(row, c)); }
  for (var j = 0u; j < p.d; j = j + 1u) { out[row + j] = 0.0; }
  let s2 = p.sigma * p.sigma;
  let a2 = p.alpha * p.alpha;
  var z = 0.0;
  for (var c = 0u; c < p.k; c = c + 1u) {
    let w = exp(gmm_logit(row, c) - mx);
    z = z + w;
    let mu0 = p.k + c * p.d;
    let v0 = p.k + p.k * p.d + c * p.d;
    for (var j = 0u; j < p.d; j = j + 1u) {
      let v = gmm[v0 + j];
      let mu = gmm[mu0 + j];
      let res = (x[row + j] - p.alpha * mu) / (a2 * v + s2);
      out[row + j] = out[row + j] + w * (p.ca * (mu + p.alpha * v * res) + p.cb * p.sigma * res);
    }
  }
  let inv = 1.0 / z;
  for (var j = 0u; j < p.d; j = j + 1u) { out[row + j] = out[row + j] * inv; }
}
