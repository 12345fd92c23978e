// Quantiles of the Gamma(shape, rate) law (private): the inverse of the
// regularised incomplete gamma P(a, x), by bisection on a bracket that is
// grown until it holds the quantile. 200 halvings reach the spacing of
// doubles; the cost is irrelevant next to the estimators that call it.
import { regularizedGammaP } from "../../kernels/incomplete_gamma.ts";

/** x with `P(shape, rate·x) = p`, for 0 < p < 1. */
export function _gammaQuantile(p: number, shape: number, rate: number): number {
  let lo = 0;
  let hi = Math.max(1, shape);
  while (regularizedGammaP(shape, hi) < p) hi *= 2;
  for (let k = 0; k < 200; k++) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    if (regularizedGammaP(shape, mid) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi) / rate;
}
