// The one-dimensional Wasserstein core shared by wasserstein_1d.ts and sliced_wasserstein.ts
// (private: no mod.ts re-exports this file).

import { checkFinite, quote, SdenoRangeError } from "../kernels/errors.ts";

/**
 * Checks the order `p` (a finite number ≥ 1) and returns it.
 *
 * @internal
 */
export function checkOrder(what: string, p: unknown): number {
  checkFinite(what, "p", p);
  if ((p as number) < 1) {
    throw new SdenoRangeError(`${what}: p must be at least 1, got ${quote(p)}`);
  }
  return p as number;
}

/**
 * `W_p^p` between the empirical distributions of two sorted samples `a`
 * (n atoms of mass 1/n) and `b` (m atoms of mass 1/m):
 *
 * `W_p^p = ∫₀¹ |F⁻¹(u) − G⁻¹(u)|^p du`
 *
 * (Villani, "Optimal Transport: Old and New", 2009, Remark 2.19 / Rachev &
 * Rüschendorf 1998, Thm 3.1.2: in one dimension the optimal coupling is the
 * quantile coupling). Both quantile functions are step functions, constant on
 * `((i)/n, (i+1)/n]` and `((j)/m, (j+1)/m]`; the integral is a sum over the
 * merged breakpoints. Breakpoints are compared as integers in units of
 * `1/(n·m)`, so the weights are exact. When `n = m` this is
 * `(1/n) Σᵢ |a₍ᵢ₎ − b₍ᵢ₎|^p`.
 *
 * @internal
 */
export function wassersteinPowSorted(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  p: number,
): number {
  const n = a.length;
  const m = b.length;
  const pow = p === 1 ? Math.abs : p === 2 ? (t: number) => t * t : (t: number) => Math.abs(t) ** p;
  if (n === m) {
    let acc = 0;
    for (let i = 0; i < n; i++) acc += pow(a[i]! - b[i]!);
    return acc / n;
  }
  // Positions in units of 1/(n·m): a's steps end at (i+1)·m, b's at (j+1)·n.
  let i = 0;
  let j = 0;
  let at = 0;
  let acc = 0;
  const total = n * m;
  while (at < total) {
    const endA = (i + 1) * m;
    const endB = (j + 1) * n;
    const next = endA < endB ? endA : endB;
    acc += (next - at) * pow(a[i]! - b[j]!);
    at = next;
    if (endA === next) i++;
    if (endB === next) j++;
  }
  return acc / total;
}

/**
 * `v^(1/p)`, with `Math.sqrt` (correctly rounded) for `p = 2`.
 *
 * @internal
 */
export function rootP(v: number, p: number): number {
  return p === 1 ? v : p === 2 ? Math.sqrt(v) : v ** (1 / p);
}
