// The exact denoiser of a Gaussian mixture with per-dimension variances, one point per
// invocation (refs/diffusion §3.2):
//   q_kj = α² v_kj + σ²,  l_k = log w_k − ½ Σ_j [ (x_j − α μ_kj)²/q_kj + log q_kj ]
//   out_j = Σ_k r_k t_kj,  t_kj = ca (μ_kj + α v_kj ρ_kj) + cb σ ρ_kj,  ρ_kj = (x_j − α μ_kj)/q_kj
// with r = softmax(l), i.e. out = ca x̂₀ + cb ε̂.
//
// In float32 the terms common to every component (Σ_j log q_kj ≈ d·log σ², and x²/σ² inside the
// quadratic) are far larger than the differences between components at large σ, so l_k is not
// formed. Each component is measured against a reference component c (subscript *), with
// δ_j = μ*_j − μ_kj, Δv_j = v*_j − v_kj, r*_j = x_j − α μ*_j, written so that no large common
// term is added and cancelled:
//   l_k − l* = log w_k − log w* − ½ Σ_j [ r*_j² α²Δv_j/(q_kj q*_j) + αδ_j (2 r*_j + αδ_j)/q_kj
//                                          + log1p(−α²Δv_j/q*_j) ]
//   t_kj − t*_j = −ca δ_j + g_kj (ρ_kj − ρ*_j) − ca α Δv_j ρ*_j,   g_kj = ca α v_kj + cb σ,
//   ρ_kj − ρ*_j = r*_j α²Δv_j/(q_kj q*_j) + αδ_j/q_kj
// so out_j = t*_j + Σ_k e^{l_k − l*} (t_kj − t*_j) / Σ_k e^{l_k − l*}. Pass 1 picks the reference:
// the component of largest l_k (measured against component 0), so every e^{l_k − l*} ≤ ~1 and the
// differences are small where they matter. Pass 2 accumulates Σ_k e^{l_k − l*} (t_kj − t*_j) in
// the row of `out` (the scratch, so any K and d work without fixed-size arrays). `out` must not
// alias `x`. Parameters: log w (K), then μ (K×d), then v (K×d), row-major.
struct Params {
  rows: u32, d: u32, k: u32, _p0: u32,
  alpha: f32, sigma: f32, ca: f32, cb: f32,
}
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gmm: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// log(1 + y) accurate near y = 0, where WGSL's log(1 + y) keeps only an absolute 2⁻²¹: the series
// 2 atanh(s) = 2 (s + s³/3 + s⁵/5 + …), s = y/(2 + y), |s| ≤ 1/3 on [−½, 1] (nine terms reach
// 3⁻¹⁸/19 < 2⁻²⁴ relative); elsewhere log itself, accurate to 3 ulp away from 1.
fn gmm_log1p(y: f32) -> f32 {
  if (y < -0.5 || y > 1.0) { return log(1.0 + y); }
  let s = y / (2.0 + y);
  let s2 = s * s;
  var acc = 1.0 / 17.0;
  for (var n = 7; n >= 0; n = n - 1) { acc = 1.0 / f32(2 * n + 1) + s2 * acc; }
  return 2.0 * s * acc;
}

// l_c − l_ref, as in the header.
fn gmm_rel_logit(row: u32, c: u32, r: u32) -> f32 {
  let s2 = p.sigma * p.sigma;
  let a2 = p.alpha * p.alpha;
  let mc = p.k + c * p.d;
  let mr = p.k + r * p.d;
  let kd = p.k * p.d;
  var acc = 0.0;
  for (var j = 0u; j < p.d; j = j + 1u) {
    let vr = gmm[kd + mr + j];
    let vc = gmm[kd + mc + j];
    let qr = a2 * vr + s2;
    let qc = a2 * vc + s2;
    let dv = a2 * (vr - vc);
    let ad = p.alpha * (gmm[mr + j] - gmm[mc + j]);
    let rr = x[row + j] - p.alpha * gmm[mr + j];
    acc = acc + rr * rr * dv / (qc * qr) + ad * (2.0 * rr + ad) / qc + gmm_log1p(-dv / qr);
  }
  return gmm[c] - gmm[r] - 0.5 * acc;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = sd_thread(gid, nwg);
  if (i >= p.rows) { return; }
  let row = i * p.d;
  // pass 1: the reference component, the one with the largest logit
  var r = 0u;
  var best = 0.0;
  for (var c = 1u; c < p.k; c = c + 1u) {
    let l = gmm_rel_logit(row, c, 0u);
    if (l > best) { best = l; r = c; }
  }
  for (var j = 0u; j < p.d; j = j + 1u) { out[row + j] = 0.0; }
  let s2 = p.sigma * p.sigma;
  let a2 = p.alpha * p.alpha;
  let kd = p.k * p.d;
  let mr = p.k + r * p.d;
  // pass 2: Σ_k e^{l_k − l*} (t_kj − t*_j); the reference itself adds nothing
  var z = 1.0;
  for (var c = 0u; c < p.k; c = c + 1u) {
    if (c == r) { continue; }
    let w = exp(gmm_rel_logit(row, c, r));
    z = z + w;
    let mc = p.k + c * p.d;
    for (var j = 0u; j < p.d; j = j + 1u) {
      let vr = gmm[kd + mr + j];
      let vc = gmm[kd + mc + j];
      let qr = a2 * vr + s2;
      let qc = a2 * vc + s2;
      let dv = vr - vc;
      let dmu = gmm[mr + j] - gmm[mc + j];
      let rr = x[row + j] - p.alpha * gmm[mr + j];
      let rhor = rr / qr;
      let drho = rr * a2 * dv / (qc * qr) + p.alpha * dmu / qc;
      let g = p.ca * p.alpha * vc + p.cb * p.sigma;
      let dt = -p.ca * dmu + g * drho - p.ca * p.alpha * dv * rhor;
      out[row + j] = out[row + j] + w * dt;
    }
  }
  let inv = 1.0 / z;
  for (var j = 0u; j < p.d; j = j + 1u) {
    let vr = gmm[kd + mr + j];
    let rhor = (x[row + j] - p.alpha * gmm[mr + j]) / (a2 * vr + s2);
    let tr = p.ca * (gmm[mr + j] + p.alpha * vr * rhor) + p.cb * p.sigma * rhor;
    out[row + j] = tr + out[row + j] * inv;
  }
}
