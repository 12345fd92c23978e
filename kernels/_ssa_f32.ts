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
 * `sd_log_unit` of philox.wgsl in emulated f32, op by op (fma rounded once).
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
  const num = F(m - 1);
  const den = F(m + 1);
  const t0 = F(num / den);
  // fma(-t0, den, num): t0·den is exact in f64 and num − t0·den is exact (Sterbenz)
  const t = F(t0 + F(F(num - t0 * den) / den));
  const t2 = F(t * t);
  const series = F(t * F(2 + F(t2 * F(C1 + F(t2 * F(C2 + F(t2 * F(C3 + F(t2 * C4)))))))));
  return F(series + F(e * LN2));
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
