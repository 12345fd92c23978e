// The f32 arithmetic of the SSA ensemble kernel (ssa_ensemble.wgsl), emulated
// op by op with Math.fround for its CPU twin in ssa_ensemble.ts. Private: no
// mod.ts re-exports this file.

const F = Math.fround;
const SCRATCH = new Float32Array(1);
const SCRATCH_U = new Uint32Array(SCRATCH.buffer);
const SQRT2 = F(1.4142135);
const C1 = F(0.6666666666666666), C2 = F(0.4), C3 = F(0.2857142857142857);
const C4 = F(0.2222222222222222), LN2 = F(0.6931471805599453);

/**
 * `sd_ssa_log_unit` of ssa_ensemble.wgsl in emulated f32, op by op: every
 * product is rounded before it is added (the kernel passes each through
 * `sd_exact`, so no fused multiply-add can change it). Within 3 f32 ulps of
 * ln u: t = (m − 1)/(m + 1) is correctly rounded (½ ulp), the series in t²
 * and its product with t add about 1½, and e·ln 2 and the last sum ½ each
 * (2.4 ulps at worst over 10⁶ points).
 *
 * @param u a uniform in (0, 1], an f32 value
 * @returns ln u as the kernel computes it
 */
export function logUnitF32(u: number): number {
  SCRATCH[0] = u;
  const bits = SCRATCH_U[0]!;
  let e = ((bits >>> 23) & 0xff) - 127;
  SCRATCH_U[0] = (bits & 0x007fffff) | 0x3f800000;
  let m = SCRATCH[0]!;
  if (m > SQRT2) {
    m = m * 0.5;
    e = e + 1;
  }
  const t = F(F(m - 1) / F(m + 1));
  const t2 = F(t * t);
  let s = F(C3 + F(t2 * C4));
  s = F(C2 + F(t2 * s));
  s = F(C1 + F(t2 * s));
  s = F(2 + F(t2 * s));
  return F(F(t * s) + F(e * LN2));
}

/**
 * The falling factorial `v (v − 1) ⋯ (v − o + 1)` in f32, left to right, as
 * the kernel forms it.
 *
 * @param v a count
 * @param o the order, ≥ 1
 * @returns the product, rounded to f32 after each factor
 */
export function fallingF32(v: number, o: number): number {
  let f = F(v);
  for (let m = 1; m < o; m++) f = F(f * F(v - m));
  return f;
}
