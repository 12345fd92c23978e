/**
 * Private: the reverse rates out of one position from the concrete score
 * (Campbell et al. 2205.14987 Prop. 1; Lou et al. 2310.16834 eq. (3)):
 * `R̂(z → z^{i←b}) = σ(t)·Q(b → z_i)·s(z, t)_{i,b}` for b ≠ z_i. Uniform:
 * Q(b → a) = 1/V; masked: Q(b → MASK) = 1 and no rate out of an unmasked token.
 * Writes R̂_b into `out[o … o + V)` (0 at b = z_i), zeroes the rest of the
 * position's row (MASK's entry) and returns Σ_b R̂_b.
 */

import type { DiscreteStepContext } from "./discrete_method.ts";

export function reverseRates(
  out: Float64Array,
  o: number,
  current: number,
  ratios: Float64Array,
  m: number,
  ctx: DiscreteStepContext,
): number {
  const { process, sigma } = ctx;
  const V = process.vocabSize;
  let total = 0;
  out.fill(0, o, o + process.states);
  if (process.kind === "masked" && current !== process.mask) return 0;
  const q = process.kind === "uniform" ? sigma / V : sigma;
  for (let b = 0; b < V; b++) {
    const r = b === current ? 0 : q * ratios[m + b]!;
    out[o + b] = r;
    total += r;
  }
  return total;
}
