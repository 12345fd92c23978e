// Checks shared by the Markov state model estimators (private).
import {
  checkFinite,
  checkInteger,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/errors.ts";
import type { MsmCounts } from "./msm_counts.ts";
import type { GammaRatePrior } from "./msm_posterior.ts";

/** Checks counts given by a caller. */
export function _checkCounts(what: string, c: MsmCounts): MsmCounts {
  if (c === null || typeof c !== "object" || !c.jumps || !c.dwell) {
    throw new SdenoTypeError(
      `${what}: data must be paths or { n, jumps, dwell, initial }, got ${quote(c)}`,
    );
  }
  const n = checkInteger(what, "counts.n", c.n, 1);
  if (c.jumps.length !== n * n || c.dwell.length !== n) {
    throw new SdenoTypeError(
      `${what}: counts need n² = ${
        n * n
      } jumps and n = ${n} dwell times, got ${c.jumps.length} and ${c.dwell.length}`,
    );
  }
  for (let k = 0; k < n * n; k++) {
    if (!(c.jumps[k]! >= 0) || !Number.isFinite(c.jumps[k]!)) {
      throw new SdenoRangeError(
        `${what}: counts.jumps[${k}] must be a finite count ≥ 0, got ${quote(c.jumps[k])}`,
      );
    }
  }
  for (let i = 0; i < n; i++) {
    if (!(c.dwell[i]! >= 0) || !Number.isFinite(c.dwell[i]!)) {
      throw new SdenoRangeError(
        `${what}: counts.dwell[${i}] must be a finite time ≥ 0, got ${quote(c.dwell[i])}`,
      );
    }
  }
  return c;
}

/** Checks a Gamma prior (shape α > 0, rate β > 0, defaults 1). */
export function _checkGammaPrior(
  what: string,
  prior: GammaRatePrior | undefined,
): { alpha: number; beta: number } {
  if (prior !== undefined && (prior === null || typeof prior !== "object")) {
    throw new SdenoTypeError(`${what}: prior must be { shape, rate }, got ${quote(prior)}`);
  }
  const alpha = prior?.shape ?? 1;
  const beta = prior?.rate ?? 1;
  for (const [name, v] of [["prior.shape", alpha], ["prior.rate", beta]] as const) {
    checkFinite(what, name, v);
    if (!(v > 0)) {
      throw new SdenoRangeError(`${what}: ${name} must be positive, got ${quote(v)}`);
    }
  }
  return { alpha, beta };
}

/** The allowed jumps as an n × n 0/1 mask (all allowed when absent). */
export function _checkAllowed(
  what: string,
  allowed: ArrayLike<boolean | number> | undefined,
  n: number,
): Uint8Array {
  const out = new Uint8Array(n * n).fill(1);
  if (allowed === undefined) return out;
  if (allowed === null || typeof allowed !== "object" || allowed.length !== n * n) {
    throw new SdenoTypeError(
      `${what}: allowed must have n² = ${n * n} entries, got ${quote(allowed?.length)}`,
    );
  }
  for (let k = 0; k < n * n; k++) out[k] = allowed[k] ? 1 : 0;
  return out;
}
