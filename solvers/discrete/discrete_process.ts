/**
 * The forward processes of discrete diffusion: each token of a sequence runs
 * its own CTMC with generator `σ(t)·Q`, independently of the others.
 *
 * - **uniform** (D3PM-uniform, SEDD-uniform): `Q = 11ᵀ/V − I` on the V symbols,
 *   so `P_{s→t} = a·I + (1 − a)·11ᵀ/V` with `a = α_t/α_s`.
 * - **masked** (absorbing; D3PM-absorb, SEDD-absorb, MDLM): a symbol jumps to
 *   MASK (state index V) at rate 1, so `P_{s→t}(c→c) = a`, `P_{s→t}(c→MASK) = 1 − a`
 *   and MASK stays.
 *
 * (Austin et al., D3PM, arXiv 2107.03006 §3; Lou et al., SEDD, arXiv
 * 2310.16834 §3.3; Sahoo et al., MDLM, arXiv 2406.07524 §3.)
 *
 * @module
 */

import { checkInteger, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import type { DiscreteSchedule } from "./discrete_schedule.ts";

/** The kinds of per-token forward process. */
export type DiscreteProcessKind = "uniform" | "masked";

/** A per-token forward CTMC with its schedule. */
export interface DiscreteProcess {
  /** uniform or masked. */
  readonly kind: DiscreteProcessKind;
  /** The number V of data symbols 0 … V−1. */
  readonly vocabSize: number;
  /** The number of noisy states per token: V (uniform) or V + 1 (masked). */
  readonly states: number;
  /** The MASK state (= V) of the masked process; -1 for uniform. */
  readonly mask: number;
  /** The noise schedule. */
  readonly schedule: DiscreteSchedule;
}

function checkSchedule(what: string, schedule: DiscreteSchedule): void {
  if (
    schedule === null || typeof schedule !== "object" || typeof schedule.alpha !== "function" ||
    typeof schedule.sigma !== "function" || typeof schedule.sigmaBar !== "function"
  ) {
    throw new SdenoTypeError(
      `${what}: schedule must be a DiscreteSchedule (sigma, sigmaBar, alpha), got ${
        quote(schedule)
      }`,
    );
  }
}

/**
 * The uniform forward process on V symbols: `Q = 11ᵀ/V − I`.
 *
 * @param vocabSize the number of symbols V ≥ 2
 * @param schedule the noise schedule
 * @returns the process
 * @throws {SdenoRangeError} when V < 2
 *
 * @example
 * ```ts
 * import { uniformProcess } from "./discrete_process.ts";
 * import { logLinearSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const p = uniformProcess(3, logLinearSchedule());
 * assert.equal(p.states, 3);
 * assert.equal(p.mask, -1);
 * ```
 */
export function uniformProcess(vocabSize: number, schedule: DiscreteSchedule): DiscreteProcess {
  const what = "Cannot build the uniform process";
  checkInteger(what, "vocabSize", vocabSize, 2, 2 ** 24);
  checkSchedule(what, schedule);
  return Object.freeze({ kind: "uniform", vocabSize, states: vocabSize, mask: -1, schedule });
}

/**
 * The masked (absorbing) forward process on V symbols plus MASK = V.
 *
 * @param vocabSize the number of symbols V ≥ 1
 * @param schedule the noise schedule
 * @returns the process
 * @throws {SdenoRangeError} when V < 1
 *
 * @example
 * ```ts
 * import { maskedProcess } from "./discrete_process.ts";
 * import { logLinearSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const p = maskedProcess(3, logLinearSchedule());
 * assert.equal(p.states, 4);
 * assert.equal(p.mask, 3);
 * ```
 */
export function maskedProcess(vocabSize: number, schedule: DiscreteSchedule): DiscreteProcess {
  const what = "Cannot build the masked process";
  checkInteger(what, "vocabSize", vocabSize, 1, 2 ** 24);
  checkSchedule(what, schedule);
  return Object.freeze({
    kind: "masked",
    vocabSize,
    states: vocabSize + 1,
    mask: vocabSize,
    schedule,
  });
}

/**
 * The per-token transition matrix `P_{s→t}` (row-stochastic, `states × states`,
 * row c, column b = probability of c → b) for `0 ≤ s ≤ t`. With s = 0 it is
 * the marginal kernel `P_{0→t}`. It depends only on `a = α_t/α_s = e^{σ̄(s) − σ̄(t)}`.
 *
 * @param process the forward process
 * @param s the earlier time
 * @param t the later time
 * @returns the matrix, row-major
 * @throws {SdenoRangeError} unless 0 ≤ s ≤ t
 *
 * @example The uniform P_{0→t} = α_t·I + (1 − α_t)/V
 * ```ts
 * import { tokenTransition, uniformProcess } from "./discrete_process.ts";
 * import { logLinearSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const p = uniformProcess(2, logLinearSchedule({ eps: 0.5 }));
 * const P = tokenTransition(p, 0, 1); // α_1 = 0.5
 * assert.deepEqual([...P], [0.75, 0.25, 0.25, 0.75]);
 * ```
 */
export function tokenTransition(process: DiscreteProcess, s: number, t: number): Float64Array {
  if (!(s >= 0 && t >= s && Number.isFinite(t))) {
    throw new SdenoRangeError(
      `Cannot build the token transition: need 0 <= s <= t, got s = ${quote(s)}, t = ${quote(t)}`,
    );
  }
  const a = survival(process, s, t);
  const S = process.states;
  const P = new Float64Array(S * S);
  if (process.kind === "uniform") {
    const off = (1 - a) / S;
    P.fill(off);
    for (let c = 0; c < S; c++) P[c * S + c] = a + off;
  } else {
    const m = process.mask;
    for (let c = 0; c < m; c++) {
      P[c * S + c] = a;
      P[c * S + m] = 1 - a;
    }
    P[m * S + m] = 1;
  }
  return P;
}

/**
 * `a = α_t/α_s = exp(σ̄(s) − σ̄(t))`, the weight a token keeps from s to t.
 *
 * @param process the forward process
 * @param s the earlier time
 * @param t the later time
 * @returns a in [0, 1]
 *
 * @example
 * ```ts
 * import { maskedProcess, survival } from "./discrete_process.ts";
 * import { logLinearSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const p = maskedProcess(3, logLinearSchedule({ eps: 0.5 }));
 * assert.ok(Math.abs(survival(p, 0, 1) - 0.5) < 1e-15);
 * ```
 */
export function survival(process: DiscreteProcess, s: number, t: number): number {
  const sc = process.schedule;
  if (s === t) return 1;
  const as = s === 0 ? 1 : sc.alpha(s);
  // the ratio of α's is exact for the log-linear schedule; exp of σ̄'s where α underflows
  return as > 1e-280 ? sc.alpha(t) / as : Math.exp(sc.sigmaBar(s) - sc.sigmaBar(t));
}
