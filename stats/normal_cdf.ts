/**
 * The standard normal distribution function.
 *
 * @module
 */

import { erf, erfcx } from "./erf.ts";

const SQRT1_2 = Math.SQRT1_2;

/**
 * The standard normal distribution function
 * `Φ(x) = ½·erfc(−x/√2)`, accurate to about 1e-15 relative in both tails
 * (the lower tail keeps full relative precision down to the underflow near
 * x = −38.5). Uses Cody's rational approximation of `exp(y²)·erfc(y)`
 * (W. J. Cody, Math. Comp. 23 (1969) 631–637, see {@linkcode erfc}) at
 * `y = |x|/√2`, times `exp(−x²/2)` evaluated with `x` split as
 * `⌊16x⌋/16 + rest` so that no digits of `x²` are lost.
 *
 * @param x any number (NaN gives NaN)
 * @returns `P(Z ≤ x)` for a standard normal Z
 *
 * @example The two-sided 5% point
 * ```ts
 * import { normalCdf } from "./normal_cdf.ts";
 * import assert from "node:assert/strict";
 * assert.equal(normalCdf(0), 0.5);
 * // scipy.special.ndtr(-1.959963984540054) = 0.025000000000000005
 * assert.ok(Math.abs(normalCdf(-1.959963984540054) - 0.025) < 1e-16);
 * // lower tail keeps relative precision: Φ(−30) = 4.906713927148187e-198 (mpmath)
 * assert.ok(Math.abs(normalCdf(-30) / 4.906713927148187e-198 - 1) < 1e-14);
 * ```
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const y = Math.abs(x) * SQRT1_2;
  if (y <= 0.46875) return 0.5 + 0.5 * erf(x * SQRT1_2);
  if (x === -Infinity) return 0;
  if (x === Infinity) return 1;
  const ax = Math.abs(x);
  const xs = Math.trunc(16 * ax) / 16;
  const tail = 0.5 * Math.exp(-0.5 * xs * xs) * Math.exp(-0.5 * (ax - xs) * (ax + xs)) *
    erfcx(y);
  return x < 0 ? tail : 1 - tail;
}
