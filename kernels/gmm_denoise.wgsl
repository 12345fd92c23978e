// The exact denoiser of a Gaussian mixture with per-dimension variances, one point per
// invocation (refs/diffusion §3.2):
//   q_kj = α² v_kj + σ²,  l_k = log w_k − ½ Σ_j [ (x_j − α μ_kj)²/q_kj + log q_kj ]
//   out_j = Σ_k r_k t_kj,  t_kj = ca (μ_kj + α v_kj ρ_kj) + cb σ ρ_kj,  ρ_kj = (x_j − α μ_kj)/q_kj
// with r = softmax(l), i.e. out = ca x̂₀ + cb ε̂.
//
// Form. The terms common to every component (Σ_j log q_kj ≈ d·log σ², x²/σ² in the quadratic)
// are never added: each component is measured against a reference component * (subscript *),
// with δ_j = μ*_j − μ_kj, Δv_j = v*_j − v_kj, A_j = α²Δv_j, r*_j = x_j − α μ*_j, ρ*_j = r*_j/q*_j:
//   l_k − l* = log w_k − log w* − ½ Σ_j [ (r*_j ρ*_j A_j + αδ_j (2 r*_j + αδ_j))/q_kj
//                                          + log(q_kj/q*_j) ]
//   t_kj − t*_j = −ca δ_j + g_kj (ρ_kj − ρ*_j) − ca α Δv_j ρ*_j,   g_kj = ca α v_kj + cb σ,
//   ρ_kj − ρ*_j = (ρ*_j A_j + αδ_j)/q_kj
// and out_j = t*_j + Σ_k e^{l_k − l*} (t_kj − t*_j) / Σ_k e^{l_k − l*}. Pass 1 picks the
// reference, the component of largest logit (in plain f32, measured against component 0: only
// the choice matters), so every e^{l_k − l*} ≤ ~1.
//
// Arithmetic. Pass 2 and the output run in double-f32 ("float-float": a value is hi + lo, two
// f32 with |lo| ≤ ½ ulp(hi), ~48 bits; Dekker 1971, Knuth TAOCP vol. 2 §4.2.2, the two-sum and
// the split two-product, here without fma: llvmpipe's fma is not fused). α, σ, ca and cb arrive
// as hi + lo too (the host splits its float64 values), so only x and the mixture are f32.
// Everything from these inputs to out_j — the logit differences, their exponentials (e^h by
// Taylor on h/8, squared three times), Σ_j log(q_kj/q*_j) (one log of the product of the
// ratios, by the atanh series), the weighted sums and the divisions — is meant to carry ~2⁻⁴⁰ relative to
// the terms, and out_j is rounded to f32 once at the end. Measured correctly rounded on the
// test grid (d = 2, 3, 16; d = 2, 5 above GMM_STORE_MAX) and the reference runs (d = 2). The
// weights e^{l_k − l*} live in a private array of GMM_K entries (the number of components,
// written into the source), so the output is formed one dimension at a time with no scratch. Above GMM_STORE_MAX components the array is not kept (llvmpipe's compile time
// grows as K²: 1 s at K = 128, 76 s at 1024) and each weight is recomputed where it is used,
// with the same operations, so the outputs are the same and the cost per point is K·d² instead
// of K·d. Cost on llvmpipe, 65536 points, K = 8: 2.7x the f32 kernel of 87f4a87 at d = 2,
// 3.3x at d = 16 (unequal variances: the Δv terms).
//
// Fences. Error-free transforms only work if the compiler keeps every rounding: Mesa's NIR
// rewrites (a + b) − a to b (measured on llvmpipe: every two-sum error term came out 0). Each
// intermediate of a transform goes through df_fence, an OR with the uniform p.zero (always 0),
// which no compiler can see through. Parameters: log w (K), then μ (K×d), then v (K×d),
// row-major. `out` must not alias `x`. Values must stay below ~1e34 in magnitude (the split
// multiplies by 4097).
struct Params {
  rows: u32, d: u32, k: u32, zero: u32,
  alpha: f32, sigma: f32, ca: f32, cb: f32,
  alpha_lo: f32, sigma_lo: f32, ca_lo: f32, cb_lo: f32,
}
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gmm: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

const GMM_K: u32 = GMM_K_VALUEu;
// whether the weights are kept (GMM_K ≤ 64), and the length of their array (1 when not)
const GMM_STORE: bool = GMM_STORE_VALUE;
const GMM_W_LEN: u32 = GMM_W_LEN_VALUEu;

// ---- double-f32 arithmetic: vec2(hi, lo) ----
const DF_LN2 = vec2<f32>(0.69314718246459961, -1.9046542121259336e-9);
const DF_THIRD = vec2<f32>(0.33333334326744080, -9.9341077586245774e-9);
const DF_FIFTH = vec2<f32>(0.20000000298023224, -2.9802322831784522e-9);
const DF_SIXTH = vec2<f32>(0.16666667163372040, -4.9670538793122887e-9);

// v itself, hidden from the compiler's algebra (p.zero is always 0).
fn df_fence(v: f32) -> f32 { return bitcast<f32>(bitcast<u32>(v) | p.zero); }

// a + b exactly, as hi + lo (Knuth's two-sum).
fn two_sum(a: f32, b: f32) -> vec2<f32> {
  let s = df_fence(a + b);
  let bb = df_fence(s - a);
  return vec2(s, (a - df_fence(s - bb)) + (b - bb));
}

// a + b exactly when |a| ≥ |b| (Dekker's fast two-sum).
fn fast_two_sum(a: f32, b: f32) -> vec2<f32> {
  let s = df_fence(a + b);
  return vec2(s, b - df_fence(s - a));
}

// a = hi + lo with hi of 12 significant bits (Veltkamp).
fn df_split(a: f32) -> vec2<f32> {
  let c = df_fence(4097.0 * a);
  let hi = df_fence(c - df_fence(c - a));
  return vec2(hi, a - hi);
}

// a·b exactly, as hi + lo (Dekker's two-product).
fn two_prod(a: f32, b: f32) -> vec2<f32> {
  let pr = df_fence(a * b);
  let sa = df_split(a);
  let sb = df_split(b);
  let e = ((df_fence(sa.x * sb.x - pr) + df_fence(sa.x * sb.y)) + df_fence(sa.y * sb.x));
  return vec2(pr, e + sa.y * sb.y);
}

fn df_add(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let s = two_sum(a.x, b.x);
  let t = two_sum(a.y, b.y);
  let u = fast_two_sum(s.x, s.y + t.x);
  return fast_two_sum(u.x, u.y + t.y);
}

fn df_add_f(a: vec2<f32>, b: f32) -> vec2<f32> {
  let s = two_sum(a.x, b);
  return fast_two_sum(s.x, s.y + a.y);
}

fn df_mul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let pr = two_prod(a.x, b.x);
  return fast_two_sum(pr.x, pr.y + (a.x * b.y + a.y * b.x));
}

fn df_mul_f(a: vec2<f32>, b: f32) -> vec2<f32> {
  let pr = two_prod(a.x, b);
  return fast_two_sum(pr.x, pr.y + a.y * b);
}

// a / b: the f32 quotient and one correction from the exact residual.
fn df_div(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let q1 = a.x / b.x;
  let r = df_add(a, -df_mul_f(b, q1));
  return fast_two_sum(q1, r.x / b.x);
}

// e^a: a = n ln2 + r, |r| ≤ ln2/2; e^{r/8} − 1 by Taylor (h, h²/2, h³/6 in double-f32, the
// rest, < 2⁻²², in f32), then (e^{2h} − 1) = (e^h − 1)(e^h − 1 + 2) three times, times 2ⁿ.
fn df_exp(a: vec2<f32>) -> vec2<f32> {
  if (a.x < -104.0) { return vec2(0.0, 0.0); }
  let n = round(a.x * 1.4426950216293335);
  let h = df_add(a, -df_mul_f(DF_LN2, n)) * 0.125;
  let h2 = df_mul(h, h);
  let hf = h.x;
  let h4 = hf * hf * hf * hf;
  let tail = h4 * (1.0 / 24.0 + hf * (1.0 / 120.0 + hf * (1.0 / 720.0 + hf / 5040.0)));
  var e = df_add(h, df_add(h2 * 0.5, df_add_f(df_mul(df_mul(h2, h), DF_SIXTH), tail)));
  for (var i = 0; i < 3; i = i + 1) { e = df_mul(e, df_add_f(e, 2.0)); }
  let one = df_add_f(e, 1.0);
  return vec2(ldexp(one.x, i32(n)), ldexp(one.y, i32(n)));
}

// log a for a > 0: a = m 2ᵉ with m in [√½, √2), log m = 2 atanh(s), s = (m − 1)/(m + 1),
// |s| ≤ 0.172: 2s (1 + s²(1/3 + s²(1/5 + …))), the terms past 1/5 (< 2⁻¹⁷ of it) in f32.
fn df_log(a: vec2<f32>) -> vec2<f32> {
  var e = frexp(a.x).exp;
  var m = vec2(ldexp(a.x, -e), ldexp(a.y, -e));
  if (m.x < 0.70710678) {
    m = m * 2.0;
    e = e - 1;
  }
  let s = df_div(df_add_f(m, -1.0), df_add_f(m, 1.0));
  let t = df_mul(s, s);
  let tf = t.x;
  let tail = 1.0 / 7.0 + tf * (1.0 / 9.0 + tf * (1.0 / 11.0 + tf * (1.0 / 13.0 +
    tf * (1.0 / 15.0 + tf * (1.0 / 17.0 + tf * (1.0 / 19.0 + tf / 21.0))))));
  let inner = df_add(DF_THIRD, df_mul(t, df_add_f(DF_FIFTH, tf * tail)));
  let l = df_mul(s, df_add_f(df_mul(t, inner), 1.0)) * 2.0;
  return df_add(l, df_mul_f(DF_LN2, f32(e)));
}

// ---- pass 1, plain f32: only picks the reference ----

// l_c − l_ref in f32, as in the header.
fn gmm_rel_logit_f32(row: u32, c: u32, r: u32) -> f32 {
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
    acc = acc + rr * rr * dv / (qc * qr) + ad * (2.0 * rr + ad) / qc + log(qc / qr);
  }
  return gmm[c] - gmm[r] - 0.5 * acc;
}

// ---- pass 2, double-f32 ----

// α, α² and σ² to ~48 bits (the host writes α, σ, ca and cb as f32 hi + lo), set once per
// invocation in main.
var<private> g_al: vec2<f32>;
var<private> g_a2: vec2<f32>;
var<private> g_s2: vec2<f32>;

// q = α² v + σ²
fn gmm_q(v: f32) -> vec2<f32> { return df_add(df_mul_f(g_a2, v), g_s2); }
// r = x − α μ
fn gmm_res(xj: f32, mu: f32) -> vec2<f32> { return df_add_f(-df_mul_f(g_al, mu), xj); }

// l_c − l_r in double-f32, as in the header; the Δv terms only where v_c ≠ v_r, and
// Σ_j log(q_cj/q_rj) as one log of the product of the ratios (kept as m·2ᵉ, m in [½, 1)).
fn gmm_rel_logit(row: u32, c: u32, r: u32) -> vec2<f32> {
  let kd = p.k * p.d;
  var acc = vec2(0.0, 0.0);
  var ratio = vec2(1.0, 0.0);
  var ratio_e = 0;
  var any_dv = false;
  for (var j = 0u; j < p.d; j = j + 1u) {
    let mr = p.k + r * p.d + j;
    let mc = p.k + c * p.d + j;
    let qc = gmm_q(gmm[kd + mc]);
    let rr = gmm_res(x[row + j], gmm[mr]);
    let ad = df_mul(two_sum(gmm[mr], -gmm[mc]), g_al);
    var num = df_mul(ad, df_add(rr * 2.0, ad));
    if (gmm[kd + mr] != gmm[kd + mc]) {
      let qr = gmm_q(gmm[kd + mr]);
      let big_a = df_mul(g_a2, two_sum(gmm[kd + mr], -gmm[kd + mc]));
      num = df_add(num, df_mul(df_mul(rr, df_div(rr, qr)), big_a));
      ratio = df_mul(ratio, df_div(qc, qr));
      let e = frexp(ratio.x).exp;
      ratio = vec2(ldexp(ratio.x, -e), ldexp(ratio.y, -e));
      ratio_e = ratio_e + e;
      any_dv = true;
    }
    acc = df_add(acc, df_div(num, qc));
  }
  if (any_dv) { acc = df_add(acc, df_add(df_log(ratio), df_mul_f(DF_LN2, f32(ratio_e)))); }
  return df_add(two_sum(gmm[c], -gmm[r]), -acc * 0.5);
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
    let l = gmm_rel_logit_f32(row, c, 0u);
    if (l > best) { best = l; r = c; }
  }
  // pass 2: the weights e^{l_k − l*} (the reference's is 1) and their sum
  g_al = vec2(p.alpha, p.alpha_lo);
  g_a2 = df_mul(g_al, g_al);
  let sg = vec2(p.sigma, p.sigma_lo);
  g_s2 = df_mul(sg, sg);
  var w: array<vec2<f32>, GMM_W_LEN>;
  var z = vec2(1.0, 0.0);
  for (var c = 0u; c < p.k; c = c + 1u) {
    if (c == r) { continue; }
    let wc = df_exp(gmm_rel_logit(row, c, r));
    if (GMM_STORE) { w[c] = wc; }
    z = df_add(z, wc);
  }
  // the output, one dimension at a time: t*_j + Σ_k w_k (t_kj − t*_j) / z
  let ca = vec2(p.ca, p.ca_lo);
  let caa = df_mul(ca, g_al);
  let cbs = df_mul(vec2(p.cb, p.cb_lo), sg);
  let kd = p.k * p.d;
  for (var j = 0u; j < p.d; j = j + 1u) {
    let mr = p.k + r * p.d + j;
    let rho = df_div(gmm_res(x[row + j], gmm[mr]), gmm_q(gmm[kd + mr])); // ρ*
    var acc = vec2(0.0, 0.0);
    for (var c = 0u; c < p.k; c = c + 1u) {
      if (c == r) { continue; }
      let mc = p.k + c * p.d + j;
      let dmu = two_sum(gmm[mr], -gmm[mc]);
      // ρ_c − ρ* = (ρ* A + αδ)/q_c and t_c − t* = −ca δ + g (ρ_c − ρ*) − ca α Δv ρ*
      var num = df_mul(dmu, g_al);
      var dt = -df_mul(dmu, ca);
      if (gmm[kd + mr] != gmm[kd + mc]) {
        let dv = two_sum(gmm[kd + mr], -gmm[kd + mc]);
        num = df_add(df_mul(rho, df_mul(g_a2, dv)), num);
        dt = df_add(dt, -df_mul(df_mul(caa, dv), rho));
      }
      let g = df_add(df_mul_f(caa, gmm[kd + mc]), cbs);
      dt = df_add(dt, df_mul(g, df_div(num, gmm_q(gmm[kd + mc]))));
      var wc: vec2<f32>;
      if (GMM_STORE) { wc = w[c]; } else { wc = df_exp(gmm_rel_logit(row, c, r)); }
      acc = df_add(acc, df_mul(wc, dt));
    }
    // t* = ca μ* + (ca α v* + cb σ) ρ*
    let tr = df_add(df_mul_f(ca, gmm[mr]), df_mul(df_add(df_mul_f(caa, gmm[kd + mr]), cbs), rho));
    let o = df_add(tr, df_div(acc, z));
    out[row + j] = o.x + o.y;
  }
}
