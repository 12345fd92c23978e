// Philox4x32-10 (Salmon et al., SC'11, §4.2) and the uniform / normal maps of
// philox.ts, word for word. WGSL has no 32x32->64 multiply, so the high word
// is assembled from 16-bit halves; every value stays an exact u32.

const SD_M0: u32 = 0xD2511F53u;
const SD_M1: u32 = 0xCD9E8D57u;
const SD_W0: u32 = 0x9E3779B9u;
const SD_W1: u32 = 0xBB67AE85u;

fn sd_mulhi(a: u32, b: u32) -> u32 {
  let al = a & 0xffffu;
  let ah = a >> 16u;
  let bl = b & 0xffffu;
  let bh = b >> 16u;
  let ll = al * bl;
  let lh = al * bh;
  let hl = ah * bl;
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}

fn sd_philox(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var round = 0u; round < 10u; round = round + 1u) {
    let hi0 = sd_mulhi(c.x, SD_M0);
    let lo0 = c.x * SD_M0;
    let hi1 = sd_mulhi(c.z, SD_M1);
    let lo1 = c.z * SD_M1;
    c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k = k + vec2<u32>(SD_W0, SD_W1);
  }
  return c;
}

// The counter of block t past the block holding flat element base = base_hi*2^32 + base_lo:
// (block mod 2^32, step, purpose, block / 2^32), as in philox.ts.
fn sd_block_counter(base_lo: u32, base_hi: u32, t: u32, step: u32, purpose: u32) -> vec4<u32> {
  let b0 = (base_lo >> 2u) | (base_hi << 30u);
  let lo = b0 + t;
  let hi = (base_hi >> 2u) + select(0u, 1u, lo < b0);
  return vec4<u32>(lo, step, purpose, hi);
}

// (w + 0.5) * 2^-32, rounded once to f32: the top 24 bits exactly plus the rest.
fn sd_uniform(w: u32) -> f32 {
  return f32(w >> 8u) * 5.9604644775390625e-8 + (f32(w & 0xffu) + 0.5) * 2.3283064365386963e-10;
}

// Natural log for u in (0, 1], accurate to a few f32 ulps whatever the
// platform's log (WGSL allows 2^-21 absolute error near 1, which would show in
// the normals): u = m * 2^e with m in [sqrt(1/2), sqrt(2)), then
// ln m = 2 atanh(t), t = (m - 1)/(m + 1), |t| < 0.1716, by its odd series.
fn sd_log_unit(u: f32) -> f32 {
  let bits = bitcast<u32>(u);
  var e = i32((bits >> 23u) & 0xffu) - 127;
  var m = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u);
  if (m > 1.4142135) {
    m = m * 0.5;
    e = e + 1;
  }
  // one correction step makes the quotient accurate whatever the division's ulps
  let num = m - 1.0;
  let den = m + 1.0;
  let t0 = num / den;
  let t = t0 + fma(-t0, den, num) / den;
  let t2 = t * t;
  let series = t * (2.0 + t2 * (0.6666666666666666 + t2 * (0.4 + t2 * (0.2857142857142857 + t2 * 0.2222222222222222))));
  return series + f32(e) * 0.6931471805599453;
}

// (cos, sin) of 2*pi*s for s in [-1/2, 1/2], accurate to about 1e-7 absolute
// (WGSL's own cos/sin may be off by 2^-11). Quadrant q = round(4 s) leaves
// f = s - q/4 in [-1/8, 1/8] exactly; x = 2*pi*f in [-pi/4, pi/4], where the
// Taylor polynomials below (to x^10 and x^9) reach f32 precision; then rotate by q quarter turns.
fn sd_cos_sin_2pi(s: f32) -> vec2<f32> {
  let q = round(4.0 * s);
  let x = 6.283185307179586 * (s - 0.25 * q);
  let x2 = x * x;
  let c = 1.0 + x2 * (-0.5 + x2 * (0.041666666666666664 + x2 * (-0.001388888888888889 + x2 * (0.0000248015873015873 - x2 * 2.755731922398589e-7))));
  let sn = x * (1.0 + x2 * (-0.16666666666666666 + x2 * (0.008333333333333333 + x2 * (-0.0001984126984126984 + x2 * 2.7557319223985893e-6))));
  let k = (i32(q) + 4) & 3;
  if (k == 0) { return vec2<f32>(c, sn); }
  if (k == 1) { return vec2<f32>(-sn, c); }
  if (k == 2) { return vec2<f32>(-c, -sn); }
  return vec2<f32>(sn, -c);
}

// Box-Muller on one word pair: radius from the open uniform, angle 2*pi*(v - 1/2).
fn sd_box_muller(a: u32, b: u32) -> vec2<f32> {
  let v = -2.0 * sd_log_unit(sd_uniform(a));
  let r0 = sqrt(v);
  // one Newton step on r^2 = v, with the residual from fma
  let r = select(r0 + fma(-r0, r0, v) / (2.0 * r0), 0.0, r0 == 0.0);
  let cs = sd_cos_sin_2pi(f32(b >> 8u) * 5.9604644775390625e-8 - 0.5);
  return -r * cs;
}

fn sd_normal4(w: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(sd_box_muller(w.x, w.y), sd_box_muller(w.z, w.w));
}
