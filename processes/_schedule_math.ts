// Small numerical helpers shared by the noise schedules and the diffusion time grids.
import { checkFinite, quote, SdenoRangeError } from "../kernels/errors.ts";

/**
 * The checked constants of a linear β(t) = β₀ + (β₁ − β₀)t on [0, 1] and its
 * `log α(t) = −(β₁ − β₀)t²/4 − β₀t/2` (Song et al., ICLR 2021, eq. 11), shared by
 * the VP-linear and sub-VP schedules.
 */
export function _linearBeta(
  what: string,
  options: { beta0?: number; beta1?: number; tMin?: number },
): { b0: number; b1: number; tMin: number; logAlpha: (t: number) => number } {
  const b0 = checkFinite(what, "beta0", options.beta0 ?? 0.1);
  const b1 = checkFinite(what, "beta1", options.beta1 ?? 20);
  const tMin = checkFinite(what, "tMin", options.tMin ?? 1e-5);
  if (!(b0 >= 0 && b1 > b0)) {
    throw new SdenoRangeError(`${what}: need 0 <= beta0 < beta1, got ${quote([b0, b1])}`);
  }
  if (!(tMin > 0 && tMin < 1)) {
    throw new SdenoRangeError(`${what}: tMin must be in (0, 1), got ${quote(tMin)}`);
  }
  const db = b1 - b0;
  return { b0, b1, tMin, logAlpha: (t) => -db * t * t / 4 - b0 * t / 2 };
}

/** `log(eᵃ + eᵇ)` without overflow: `max + log1p(exp(−|a − b|))`. */
export function _logAddExp(a: number, b: number): number {
  const m = Math.max(a, b);
  if (m === -Infinity) return -Infinity;
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/**
 * `n` evenly spaced values from `start` to `end` as torch.linspace builds
 * them: the first half counted from `start`, the second half from `end`
 * (so both ends are exact; values differ from numpy's by an ulp at most).
 */
export function _linspace(start: number, end: number, n: number): number[] {
  if (n === 1) return [start];
  const step = (end - start) / (n - 1);
  const half = Math.floor(n / 2);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = i < half ? start + i * step : end - (n - 1 - i) * step;
  return out;
}

/**
 * Piecewise-linear interpolation through increasing knots `xp` with values
 * `yp`, extrapolating linearly with the first or last segment outside the
 * knots (DPM-Solver's `interpolate_fn`).
 */
export function _interpolate(x: number, xp: Float64Array, yp: Float64Array): number {
  const k = xp.length;
  let lo: number;
  if (x <= xp[0]!) lo = 0;
  else if (x >= xp[k - 1]!) lo = k - 2;
  else {
    // largest lo with xp[lo] <= x
    let a = 0, b = k - 1;
    while (b - a > 1) {
      const m = (a + b) >> 1;
      if (xp[m]! <= x) a = m;
      else b = m;
    }
    lo = a;
  }
  const x0 = xp[lo]!, x1 = xp[lo + 1]!, y0 = yp[lo]!, y1 = yp[lo + 1]!;
  return y0 + (x - x0) * (y1 - y0) / (x1 - x0);
}
