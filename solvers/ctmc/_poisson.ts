// Poisson variates from a stream of uniforms (private): inversion by
// sequential search for small means, PTRS (Hörmann, "The transformed
// rejection method for generating Poisson random variables", Insurance:
// Math. Econ. 12, 39–45, 1993) for mean ≥ 10.

const LN_SQRT_2PI = 0.9189385332046728;
const LOG_FACT = new Float64Array(64);
for (let k = 1; k < 64; k++) LOG_FACT[k] = LOG_FACT[k - 1]! + Math.log(k);

/** ln k! — a table below 64, Stirling's series beyond (error < 1e-15 relative). */
export function _logFactorial(k: number): number {
  if (k < 64) return LOG_FACT[k]!;
  const x = k + 1;
  const ix = 1 / x, ix2 = ix * ix;
  return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI +
    ix * (1 / 12 - ix2 * (1 / 360 - ix2 * (1 / 1260 - ix2 / 1680)));
}

/** One Poisson(mean) draw using uniforms from `next()`. */
export function _poisson(mean: number, next: () => number): number {
  if (!(mean > 0)) return 0;
  if (mean < 10) {
    const u = next();
    let p = Math.exp(-mean);
    let f = p;
    let k = 0;
    while (u > f && k < 1000) {
      k++;
      p *= mean / k;
      f += p;
    }
    return k;
  }
  const slam = Math.sqrt(mean);
  const loglam = Math.log(mean);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const U = next() - 0.5;
    const V = next();
    const us = 0.5 - Math.abs(U);
    const k = Math.floor((2 * a / us + b) * U + mean + 0.43);
    if (us >= 0.07 && V <= vr) return k;
    if (k < 0 || (us < 0.013 && V > us)) continue;
    if (
      Math.log(V) + Math.log(invalpha) - Math.log(a / (us * us) + b) <=
        -mean + k * loglam - _logFactorial(k)
    ) return k;
  }
}
