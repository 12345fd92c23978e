/**
 * Exact Wasserstein-p distance between two one-dimensional empirical
 * distributions.
 *
 * @module
 */

import { checkFinite, quote, SdenoRangeError } from "../kernels/errors.ts";
import { _checkOptions, _checkSample } from "./_validate.ts";

/** Options of {@linkcode wasserstein1d}. */
export interface Wasserstein1dOptions {
  /** The order p ≥ 1 (default 2). */
  p?: number;
}

/**
 * Checks the order `p` (a finite number ≥ 1) and returns it.
 *
 * @internal
 */
export function _checkOrder(what: string, p: unknown): number {
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
export function _wassersteinPowSorted(
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
 * Exact Wasserstein-p distance between the empirical distributions of two
 * one-dimensional samples (of any sizes), through the quantile coupling
 * `W_p^p = ∫₀¹ |F⁻¹(u) − G⁻¹(u)|^p du` (Villani 2009, Remark 2.19). The
 * samples need not be sorted; they are not modified.
 *
 * @param x first sample (at least one finite value)
 * @param y second sample (at least one finite value)
 * @param options `p`, the order (≥ 1, default 2)
 * @returns `W_p(x, y)`
 * @throws {SdenoTypeError} when a sample is not an array of numbers
 * @throws {SdenoRangeError} when a sample is empty or holds a non-finite value, or `p < 1`
 *
 * @example Two point masses are |a − b| apart
 * ```ts
 * import { wasserstein1d } from "./wasserstein_1d.ts";
 * import assert from "node:assert/strict";
 * assert.equal(wasserstein1d([1, 1, 1], [4, 4]), 3);
 * // {0, 1} vs {0}: half the mass moves by 1, so W1 = 0.5 and W2 = sqrt(0.5)
 * assert.equal(wasserstein1d([0, 1], [0], { p: 1 }), 0.5);
 * assert.equal(wasserstein1d([1, 0], [0]), Math.sqrt(0.5));
 * ```
 */
export function wasserstein1d(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: Wasserstein1dOptions = {},
): number {
  const what = "Cannot compute the 1-D Wasserstein distance";
  _checkOptions(what, options);
  _checkSample(what, "x", x);
  _checkSample(what, "y", y);
  const p = _checkOrder(what, options.p ?? 2);
  const a = Float64Array.from(x).sort();
  const b = Float64Array.from(y).sort();
  return _root(_wassersteinPowSorted(a, b, p), p);
}

/**
 * `v^(1/p)`, with `Math.sqrt` (correctly rounded) for `p = 2`.
 *
 * @internal
 */
export function _root(v: number, p: number): number {
  return p === 1 ? v : p === 2 ? Math.sqrt(v) : v ** (1 / p);
}
