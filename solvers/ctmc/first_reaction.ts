/**
 * Gillespie's first-reaction method.
 *
 * @module
 */

import { _UniformStream } from "../../processes/_uniform_stream.ts";
import type { ReactionNetwork } from "../../processes/reaction_network.ts";
import {
  _checkCounts,
  _compile,
  type _Fail,
  _failFor,
  _fire,
  _propensityFast,
  _Recorder,
  _result,
  _saveUntil,
  _setup,
  type SsaOptions,
  type SsaResult,
} from "./_ssa_common.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import type { SsaPathMethod } from "./registry.ts";
import { attachLazyDisplay } from "../../io/_jupyter_display.ts";

/**
 * Exact stochastic simulation by the first-reaction method (Gillespie,
 * J. Comput. Phys. 22, 403, 1976, §IV; J. Phys. Chem. 81, 2340, 1977): every
 * step draws a putative time `τ_j = −ln(u_j)/a_j` for each reaction with
 * a_j > 0 and fires the earliest. It uses one uniform per reaction per step
 * (uniform k of path p is lane k mod 4 of the Philox block
 * `(pathOffset + p, ⌊k/4⌋, PHILOX_PURPOSES.firstReaction, 0)`); it is here as the
 * textbook reference, the direct and next-reaction methods are faster.
 *
 * @param network the reaction network
 * @param options end time, save times, paths, key, initial counts, …
 * @returns counts at the save times, firings per reaction, steps, absorption times
 * @throws {SdenoRangeError} for tEnd ≤ 0, bad save times or initial counts
 * @throws {NumericalError} when a path exceeds maxSteps, its total
 *   propensity is infinite, time stops advancing (an explosive network: the
 *   mean waiting time 1/a₀ fell below the resolution of t), or a count would
 *   pass 2⁵³ − 1, beyond which float64 counts are not exact
 *
 * @example Conversion A → B: the total is conserved
 * ```ts
 * import { parseReactionNetwork } from "../../processes/reaction_network_parse.ts";
 * import { firstReaction } from "./first_reaction.ts";
 * import assert from "node:assert/strict";
 * const net = parseReactionNetwork("species A = 20, B = 0\nA -> B @ 1\nB -> A @ 1");
 * const r = firstReaction(net, { tEnd: 2, paths: 3 });
 * for (let p = 0; p < 3; p++) assert.equal(r.counts[2 * p]! + r.counts[2 * p + 1]!, 20);
 * ```
 */
export function firstReaction(network: ReactionNetwork, options: SsaOptions): SsaResult {
  const what = "Cannot run the first-reaction method";
  const s = _setup(what, network, options);
  const k = _compile(network);
  const res = _result(network, s);
  const { ns, nr } = k;
  const { saveTimes, tEnd, maxSteps } = s;
  const nSave = saveTimes.length;
  const x = new Float64Array(ns);
  const u = new _UniformStream(s.key, s.pathOffset, PHILOX_PURPOSES.firstReaction);
  const fail: _Fail = _failFor(what, network.species);
  for (let p = 0; p < s.paths; p++) {
    const pathId = s.pathOffset + p;
    u.reset(pathId);
    const base = p * nSave * ns;
    const rec = s.trajectory ? new _Recorder() : undefined;
    x.set(s.x0);
    rec?.push(0, x);
    let t = 0;
    let si = 0;
    let m = 0;
    for (;;) {
      let best = Infinity;
      let mu = -1;
      let a0 = 0;
      for (let j = 0; j < nr; j++) {
        const aj = _propensityFast(k, j, x);
        if (!(aj > 0)) continue;
        a0 += aj;
        const tau = -Math.log(u.next()) / aj;
        if (tau < best) {
          best = tau;
          mu = j;
        }
      }
      if (mu < 0) {
        res.absorptionTime[p] = t;
        break;
      }
      if (a0 === Infinity) fail(0, pathId, m, t, a0);
      const tNew = t + best;
      if (tNew > tEnd) break;
      // the earliest time is Exp(a0): a0·best ≥ 1 (at least its mean) that
      // leaves t unchanged means 1/a0 is below the resolution of t
      if (tNew === t && best * a0 >= 1) fail(2, pathId, m, t, a0);
      si = _saveUntil(res.counts, base, saveTimes, si, tNew, x);
      t = tNew;
      _fire(k, mu, x);
      _checkCounts(k, mu, x, fail, pathId, m, t);
      res.firings[p * nr + mu]! += 1;
      m++;
      rec?.push(t, x);
      if (m >= maxSteps) fail(1, pathId, m, t, 0);
    }
    _saveUntil(res.counts, base, saveTimes, si, Infinity, x);
    res.steps[p] = m;
    if (rec) res.trajectories!.push(rec.done());
  }
  return attachLazyDisplay(res);
}

/**
 * {@linkcode firstReaction} as a declared method of {@linkcode SSA_METHODS}:
 * `first-reaction`, also known as `frm` (JumpProcesses.jl's `FRM()`, StochPy).
 *
 * @example
 * ```ts
 * import { firstReactionMethod } from "./first_reaction.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(firstReactionMethod.info.aliases, ["frm"]);
 * ```
 */
export const firstReactionMethod: SsaPathMethod = Object.freeze({
  info: Object.freeze(
    {
      family: "ssa",
      name: "first-reaction",
      aliases: ["frm"],
      summary: "Gillespie's first-reaction method (1976): exact, one draw per reaction per step",
      stochastic: true,
      exact: true,
      output: "paths",
      backends: ["cpu"],
      precision: { cpu: "f64" },
      purpose: PHILOX_PURPOSES.firstReaction,
    } as const,
  ),
  run: firstReaction,
});
