/**
 * Explicit tau-leaping with the step-size selection of Cao, Gillespie and
 * Petzold (2006).
 *
 * @module
 */

import { checkFinite, checkInteger, quote, SdenoRangeError } from "../../kernels/errors.ts";
import { _UniformStream } from "../../processes/_uniform_stream.ts";
import type { ReactionNetwork } from "../../processes/reaction_network.ts";
import {
  _checkCounts,
  _compile,
  type _Fail,
  _failFor,
  _fire,
  _propensity,
  _Recorder,
  _result,
  _saveUntil,
  _setup,
  COUNT_MAX,
  type SsaOptions,
  type SsaResult,
} from "./_ssa_common.ts";
import { _poisson } from "./_poisson.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import type { SsaPathMethod } from "./registry.ts";
import { attachLazyDisplay } from "../../io/_jupyter_display.ts";

/** Options of {@linkcode tauLeaping}. */
export interface TauLeapingOptions extends SsaOptions {
  /** Error-control parameter ε of the step selection (default 0.03). */
  epsilon?: number;
  /** A reaction is critical when it can fire fewer than this many times (n_c, default 10). */
  criticalThreshold?: number;
  /** When the leap is shorter than this many mean SSA steps (10/a₀), take exact steps instead (default 10). */
  ssaThreshold?: number;
  /** Exact steps taken then (default 100). */
  ssaSteps?: number;
}

/**
 * Tau-leaping (Gillespie, J. Chem. Phys. 115, 1716, 2001) with the
 * non-negative Poisson leap and step selection of Cao, Gillespie & Petzold,
 * J. Chem. Phys. 124, 044109 (2006):
 *
 * - reactions that can fire fewer than n_c times before exhausting a
 *   reactant are *critical* (§IV, step 2);
 * - the leap for the others is
 *   `τ' = min_i { max(ε x_i/g_i, 1)/|μ̂_i|, max(ε x_i/g_i, 1)²/σ̂²_i }`
 *   (eq. 33) with `μ̂_i = Σ ν_ij a_j`, `σ̂²_i = Σ ν_ij² a_j` over non-critical
 *   j and g_i from the highest order of reaction species i takes part in
 *   (eqs. 27–28);
 * - if `τ' < ssaThreshold/a₀`, `ssaSteps` exact direct-method steps are taken;
 * - otherwise at most one critical reaction fires, after `τ'' ~ Exp(a₀,c)`,
 *   and the non-critical ones fire `K_j ~ Poisson(a_j τ)` times; a leap that
 *   would make any count negative is rejected and retried with τ' halved
 *   (step 5), so counts never go negative.
 *
 * Leaps are shortened to land on each save time and on tEnd. Orders above 3
 * and custom propensities use g_i = the reaction order. The result is
 * approximate (weakly first order in τ); `steps` counts leaps plus exact steps.
 *
 * @param network the reaction network
 * @param options the SSA options plus `epsilon`, `criticalThreshold`, `ssaThreshold`, `ssaSteps`
 * @returns counts at the save times, firings per reaction, steps, absorption times
 * @throws {SdenoRangeError} for tEnd ≤ 0, a bad epsilon, bad save times or initial counts
 * @throws {NumericalError} when a path exceeds maxSteps, its total
 *   propensity is infinite, time stops advancing (an explosive network: the
 *   mean waiting time 1/a₀ fell below the resolution of t), or a count would
 *   pass 2⁵³ − 1, beyond which float64 counts are not exact
 *
 * @example Decay of 10⁶ molecules: the mean at t = 1 is 10⁶/e
 * ```ts
 * import { parseReactionNetwork } from "../../processes/reaction_network_parse.ts";
 * import { tauLeaping } from "./tau_leaping.ts";
 * import assert from "node:assert/strict";
 * const net = parseReactionNetwork("species X = 1000000\nX -> 0 @ 1");
 * const r = tauLeaping(net, { tEnd: 1 });
 * assert.ok(Math.abs(r.counts[0]! - 1e6 / Math.E) < 0.01 * 1e6);
 * assert.ok(r.steps[0]! < 2000);
 * ```
 */
export function tauLeaping(network: ReactionNetwork, options: TauLeapingOptions): SsaResult {
  const what = "Cannot run tau-leaping";
  const s = _setup(what, network, options);
  const eps = checkFinite(what, "epsilon", options.epsilon ?? 0.03);
  if (!(eps > 0 && eps < 1)) {
    throw new SdenoRangeError(`${what}: epsilon must be in (0, 1), got ${quote(eps)}`);
  }
  const nc = checkInteger(what, "criticalThreshold", options.criticalThreshold ?? 10, 0);
  const ssaThreshold = checkFinite(what, "ssaThreshold", options.ssaThreshold ?? 10);
  const ssaSteps = checkInteger(what, "ssaSteps", options.ssaSteps ?? 100, 1);
  const k = _compile(network);
  const res = _result(network, s);
  const { ns, nr, rStart, rs, ro, cStart, cs, cd } = k;
  const { saveTimes, tEnd, maxSteps } = s;
  const nSave = saveTimes.length;
  // highest order of reaction (HOR) per species and the coefficient it needs (eq. 27)
  const hor = new Int32Array(ns);
  const need = new Int32Array(ns);
  network.reactions.forEach((r) => {
    const order = r.custom ? r.dependsOn.length : r.reactants.reduce((acc, [, c]) => acc + c, 0);
    const reads: [number, number][] = r.custom
      ? r.dependsOn.map((i) => [i, 1])
      : r.reactants.map(([i, c]) => [i, c]);
    for (const [i, c] of reads) {
      if (order > hor[i]! || (order === hor[i]! && c > need[i]!)) {
        hor[i] = order;
        need[i] = c;
      }
    }
  });
  const g = (i: number, xi: number): number => {
    const h = hor[i]!, c = need[i]!;
    const inv1 = 1 / Math.max(xi - 1, 1), inv2 = 1 / Math.max(xi - 2, 1);
    if (h <= 1) return 1;
    if (h === 2) return c >= 2 ? 2 + inv1 : 2;
    if (h === 3) return c === 1 ? 3 : c === 2 ? 1.5 * (2 + inv1) : 3 + inv1 + 2 * inv2;
    return h;
  };
  const fail: _Fail = _failFor(what, network.species);
  const x = new Float64Array(ns);
  const y = new Float64Array(ns);
  const a = new Float64Array(nr);
  const crit = new Uint8Array(nr);
  const kj = new Float64Array(nr);
  const mu = new Float64Array(ns);
  const sig = new Float64Array(ns);
  for (let p = 0; p < s.paths; p++) {
    const pathId = s.pathOffset + p;
    const u = new _UniformStream(s.key, pathId, PHILOX_PURPOSES.tauLeaping);
    const next = () => u.next();
    const base = p * nSave * ns;
    const fire = res.firings.subarray(p * nr, (p + 1) * nr);
    const rec = s.trajectory ? new _Recorder() : undefined;
    x.set(s.x0);
    rec?.push(0, x);
    let t = 0;
    let si = 0;
    let steps = 0;
    outer: for (;;) {
      // state x holds at t (jumps at t included)
      while (si < nSave && saveTimes[si]! <= t) {
        for (let i = 0; i < ns; i++) res.counts[base + si * ns + i] = x[i]!;
        si++;
      }
      if (t >= tEnd) break;
      let a0 = 0;
      for (let j = 0; j < nr; j++) a0 += a[j] = _propensity(k, j, x);
      if (!(a0 > 0)) {
        res.absorptionTime[p] = t;
        break;
      }
      if (a0 === Infinity) fail(0, pathId, steps, t, a0);
      if (steps >= maxSteps) fail(1, pathId, steps, t, 0);
      // critical reactions (step 2)
      mu.fill(0);
      sig.fill(0);
      let anyNonCritical = false;
      for (let j = 0; j < nr; j++) {
        crit[j] = 0;
        if (!(a[j]! > 0)) continue;
        let L = Infinity;
        for (let q = cStart[j]!; q < cStart[j + 1]!; q++) {
          if (cd[q]! < 0) L = Math.min(L, Math.floor(x[cs[q]!]! / -cd[q]!));
        }
        if (L < nc) crit[j] = 1;
        else {
          anyNonCritical = true;
          for (let q = cStart[j]!; q < cStart[j + 1]!; q++) {
            const i = cs[q]!, d = cd[q]!;
            mu[i] = mu[i]! + d * a[j]!;
            sig[i] = sig[i]! + d * d * a[j]!;
          }
        }
      }
      // τ' (eq. 33) over species that are reactants
      let tau1 = Infinity;
      if (anyNonCritical) {
        for (let q = 0; q < rStart[nr]!; q++) {
          const i = rs[q]!;
          void ro;
          const bound = Math.max((eps * x[i]!) / g(i, x[i]!), 1);
          if (mu[i] !== 0) tau1 = Math.min(tau1, bound / Math.abs(mu[i]!));
          if (sig[i]! > 0) tau1 = Math.min(tau1, (bound * bound) / sig[i]!);
        }
      }
      const stop = si < nSave ? Math.min(saveTimes[si]!, tEnd) : tEnd;
      if (tau1 < ssaThreshold / a0) {
        // exact direct-method steps (step 3)
        for (let n = 0; n < ssaSteps; n++) {
          let b0 = 0;
          for (let j = 0; j < nr; j++) b0 += a[j] = _propensity(k, j, x);
          if (!(b0 > 0)) continue outer;
          if (b0 === Infinity) fail(0, pathId, steps, t, b0);
          const e = -Math.log(next());
          const tNew = t + e / b0;
          if (tNew > tEnd) {
            t = tEnd;
            continue outer;
          }
          // a wait of at least its mean that leaves t unchanged: the clock stopped
          if (tNew === t && e >= 1) fail(2, pathId, steps, t, b0);
          si = _saveUntil(res.counts, base, saveTimes, si, tNew, x);
          const target = next() * b0;
          let acc = 0, j = 0, last = -1;
          for (; j < nr; j++) {
            if (a[j]! > 0) {
              acc += a[j]!;
              last = j;
              if (acc > target) break;
            }
          }
          if (j === nr) j = last;
          _fire(k, j, x);
          _checkCounts(k, j, x, fail, pathId, steps, t);
          fire[j] = fire[j]! + 1;
          t = tNew;
          steps++;
          rec?.push(t, x);
        }
        continue;
      }
      // leap (steps 4–5), retried with τ' halved while a count would go negative
      for (;;) {
        let a0c = 0;
        for (let j = 0; j < nr; j++) if (crit[j]) a0c += a[j]!;
        const tau2 = a0c > 0 ? -Math.log(next()) / a0c : Infinity;
        let tau: number;
        let fireCritical: boolean;
        if (tau1 < tau2) {
          tau = tau1;
          fireCritical = false;
        } else {
          tau = tau2;
          fireCritical = true;
        }
        if (tau >= stop - t) {
          tau = stop - t;
          fireCritical = false;
        }
        y.set(x);
        for (let j = 0; j < nr; j++) {
          kj[j] = crit[j] || !(a[j]! > 0) ? 0 : _poisson(a[j]! * tau, next);
        }
        if (fireCritical) {
          const target = next() * a0c;
          let acc = 0, last = -1, j = 0;
          for (; j < nr; j++) {
            if (crit[j]) {
              acc += a[j]!;
              last = j;
              if (acc > target) break;
            }
          }
          kj[j === nr ? last : j] = 1;
        }
        let ok = true;
        for (let j = 0; j < nr && ok; j++) {
          const kk = kj[j]!;
          if (kk === 0) continue;
          for (let q = cStart[j]!; q < cStart[j + 1]!; q++) y[cs[q]!] = y[cs[q]!]! + kk * cd[q]!;
        }
        for (let i = 0; i < ns; i++) if (y[i]! < 0) ok = false;
        if (!ok) {
          tau1 /= 2;
          continue;
        }
        for (let i = 0; i < ns; i++) if (y[i]! > COUNT_MAX) fail(3, pathId, steps, t, i);
        const tNext = tau === stop - t ? stop : t + tau;
        // a leap too short to move t: the clock stopped (1/a0 is even shorter)
        if (tNext === t) fail(2, pathId, steps, t, a0);
        for (let j = 0; j < nr; j++) fire[j] = fire[j]! + kj[j]!;
        x.set(y);
        t = tNext;
        steps++;
        rec?.push(t, x);
        break;
      }
    }
    _saveUntil(res.counts, base, saveTimes, si, Infinity, x);
    res.steps[p] = steps;
    if (rec) res.trajectories!.push(rec.done());
  }
  return attachLazyDisplay(res);
}

/**
 * {@linkcode tauLeaping} as a declared method of {@linkcode SSA_METHODS}:
 * `tau-leaping`, also known as `tau-leap` (GillesPy2's `TauLeapingSolver`,
 * StochPy) and `tauleaping`. Approximate.
 *
 * @example
 * ```ts
 * import { tauLeapingMethod } from "./tau_leaping.ts";
 * import assert from "node:assert/strict";
 * assert.equal(tauLeapingMethod.info.exact, false);
 * ```
 */
export const tauLeapingMethod: SsaPathMethod = Object.freeze({
  info: Object.freeze(
    {
      family: "ssa",
      name: "tau-leaping",
      aliases: ["tau-leap", "tauleaping"],
      summary: "Tau-leaping with Cao, Gillespie & Petzold's step selection (2006): approximate",
      stochastic: true,
      exact: false,
      output: "paths",
      backends: ["cpu"],
      precision: { cpu: "f64" },
      purpose: PHILOX_PURPOSES.tauLeaping,
    } as const,
  ),
  run: tauLeaping as (n: ReactionNetwork, o: SsaOptions) => SsaResult,
});
