/**
 * A PI step-size controller, independent of the solver: the solver reports a
 * scaled error norm and the order of its estimate; the controller accepts or
 * rejects and proposes the next step.
 *
 * @module
 */

import { checkFinite, quote, SdenoRangeError } from "../../kernels/errors.ts";

/** Options of {@linkcode piController}. */
export interface PiControllerOptions {
  /** Relative tolerance (> 0). */
  rtol: number;
  /** Absolute tolerance (> 0). */
  atol: number;
  /** Safety factor, default 0.9. */
  safety?: number;
  /** Smallest step-size ratio, default 0.2. */
  facMin?: number;
  /** Largest step-size ratio, default 5. */
  facMax?: number;
  /** Proportional coefficient β₁ (before dividing by the error order), default 0.7. */
  beta1?: number;
  /** Integral coefficient β₂, default 0.4. */
  beta2?: number;
  /** Smallest step allowed; below it the solve stops with an error. Default 1e-12·span. */
  dtMin?: number;
}

/** A step-size controller: decides on a step from its scaled error norm. */
export interface StepSizeController {
  /** Relative tolerance. */
  readonly rtol: number;
  /** Absolute tolerance. */
  readonly atol: number;
  /** Smallest step allowed, if set. */
  readonly dtMin: number | undefined;
  /**
   * Judges a step of size `h` whose scaled error norm is `err` (≤ 1 is within
   * tolerance) for an estimate of order `order`; returns whether to accept
   * and the next step size.
   */
  propose(h: number, err: number, order: number): { accept: boolean; h: number };
  /** Forgets the error history (a new solve). */
  reset(): void;
}

/**
 * The PI controller of Gustafsson (1991) in the form of Hairer, Nørsett &
 * Wanner, "Solving ODEs II", §IV.2, eq. (2.43c):
 * `h' = h · min(facMax, max(facMin, safety · eₙ^{−β₁/k} · eₙ₋₁^{β₂/k}))`,
 * k the order of the error estimate, eₙ the scaled error norm
 * `max over paths of RMS((X' − X̂')/(atol + rtol·max(|X|, |X'|)))`. After a
 * rejection the step never grows.
 *
 * @param options tolerances and coefficients
 * @returns the controller
 * @throws {SdenoRangeError} for non-positive tolerances
 *
 * @example A small error grows the step, a large one rejects it
 * ```ts
 * import { piController } from "./pi_controller.ts";
 * import assert from "node:assert/strict";
 * const c = piController({ rtol: 1e-3, atol: 1e-3 });
 * assert.ok(c.propose(0.1, 0.01, 1).h > 0.1);
 * const r = c.propose(0.1, 4, 1);
 * assert.equal(r.accept, false);
 * assert.ok(r.h < 0.1);
 * ```
 */
export function piController(options: PiControllerOptions): StepSizeController {
  const what = "Cannot build a PI controller";
  const rtol = checkFinite(what, "rtol", options.rtol);
  const atol = checkFinite(what, "atol", options.atol);
  if (!(rtol > 0)) throw new SdenoRangeError(`${what}: rtol must be positive, got ${quote(rtol)}`);
  if (!(atol > 0)) throw new SdenoRangeError(`${what}: atol must be positive, got ${quote(atol)}`);
  const safety = options.safety ?? 0.9;
  const facMin = options.facMin ?? 0.2;
  const facMax = options.facMax ?? 5;
  const beta1 = options.beta1 ?? 0.7;
  const beta2 = options.beta2 ?? 0.4;
  let prev = 1;
  return {
    rtol,
    atol,
    dtMin: options.dtMin,
    propose(h: number, err: number, order: number) {
      const e = Math.max(err, 1e-10);
      const accept = err <= 1;
      let fac = safety * Math.pow(e, -beta1 / order) * (accept ? Math.pow(prev, beta2 / order) : 1);
      fac = Math.min(accept ? facMax : 1, Math.max(facMin, fac));
      if (accept) prev = Math.max(e, 1e-4);
      return { accept, h: h * fac };
    },
    reset() {
      prev = 1;
    },
  };
}
