/**
 * k-diffusion's σ grids (Crowson's `get_sigmas_karras` and
 * `get_sigmas_exponential`), with torch's `linspace` rounding so that the
 * grids equal the reference ones to the last bit, and the final 0 appended
 * (the last step of a k-diffusion sampler goes to σ = 0).
 *
 * @module
 */

import { checkFinite, checkInteger, quote, SdenoRangeError } from "../../kernels/mod.ts";
import { torchLinspace } from "./_torch_linspace.ts";

/** Options of {@linkcode karrasSigmas}. */
export interface KarrasSigmasOptions {
  /** Smallest σ (default 0.002, EDM). */
  sigmaMin?: number;
  /** Largest σ (default 80, EDM). */
  sigmaMax?: number;
  /** Exponent ρ (default 7, Karras et al. 2022 eq. 5). */
  rho?: number;
  /** Append σ = 0 (default true, as k-diffusion). */
  appendZero?: boolean;
}

function checkRange(what: string, sigmaMin: number, sigmaMax: number, n: number): void {
  checkFinite(what, "sigmaMin", sigmaMin);
  checkFinite(what, "sigmaMax", sigmaMax);
  checkInteger(what, "n", n, 1);
  if (!(sigmaMin > 0 && sigmaMax > sigmaMin)) {
    throw new SdenoRangeError(
      `${what}: need 0 < sigmaMin < sigmaMax, got ${quote([sigmaMin, sigmaMax])}`,
    );
  }
}

/**
 * The Karras et al. (2022, eq. 5) grid: `σᵢ = (σ_max^{1/ρ} + rampᵢ(σ_min^{1/ρ}
 * − σ_max^{1/ρ}))^ρ`, `ramp = linspace(0, 1, n)`, then 0 appended — exactly
 * k-diffusion's `get_sigmas_karras(n, sigma_min, sigma_max, rho)`.
 *
 * @param n number of positive σ's (the grid has n + 1 points with the 0)
 * @param options σ range, ρ, and whether to append 0
 * @returns the decreasing grid
 * @throws {SdenoRangeError} when n < 1, the range is empty or ρ ≤ 0
 *
 * @example The reference grid for n = 5
 * ```ts
 * import { karrasSigmas } from "./k_sigmas.ts";
 * import assert from "node:assert/strict";
 * const s = karrasSigmas(5);
 * assert.equal(s.length, 6);
 * assert.equal(s[0], 80);
 * assert.ok(Math.abs(s[1]! - 17.52783196464411) < 1e-13);
 * assert.equal(s[5], 0);
 * ```
 */
export function karrasSigmas(n: number, options: KarrasSigmasOptions = {}): number[] {
  const what = "Cannot make the Karras grid";
  const sigmaMin = options.sigmaMin ?? 0.002, sigmaMax = options.sigmaMax ?? 80;
  const rho = options.rho ?? 7;
  checkRange(what, sigmaMin, sigmaMax, n);
  if (!(rho > 0) || !Number.isFinite(rho)) {
    throw new SdenoRangeError(`${what}: rho must be positive, got ${quote(rho)}`);
  }
  const minInv = sigmaMin ** (1 / rho), maxInv = sigmaMax ** (1 / rho);
  const s = torchLinspace(0, 1, n).map((r) => (maxInv + r * (minInv - maxInv)) ** rho);
  if (options.appendZero !== false) s.push(0);
  return s;
}

/**
 * The log-uniform grid `exp(linspace(ln σ_max, ln σ_min, n))`, then 0 appended
 * — k-diffusion's `get_sigmas_exponential`.
 *
 * @param n number of positive σ's
 * @param options σ range and whether to append 0 (`rho` is ignored)
 * @returns the decreasing grid
 * @throws {SdenoRangeError} when n < 1 or the range is empty
 *
 * @example
 * ```ts
 * import { exponentialSigmas } from "./k_sigmas.ts";
 * import assert from "node:assert/strict";
 * const s = exponentialSigmas(3, { sigmaMin: 1, sigmaMax: 100 });
 * assert.ok(Math.abs(s[1]! - 10) < 1e-12);
 * assert.equal(s[3], 0);
 * ```
 */
export function exponentialSigmas(n: number, options: KarrasSigmasOptions = {}): number[] {
  const what = "Cannot make the exponential grid";
  const sigmaMin = options.sigmaMin ?? 0.002, sigmaMax = options.sigmaMax ?? 80;
  checkRange(what, sigmaMin, sigmaMax, n);
  const s = torchLinspace(Math.log(sigmaMax), Math.log(sigmaMin), n).map(Math.exp);
  if (options.appendZero !== false) s.push(0);
  return s;
}
