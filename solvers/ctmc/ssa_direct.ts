/**
 * Gillespie's direct method.
 *
 * @module
 */

import { _philoxBlock } from "../../kernels/philox.ts";
import { NumericalError } from "../../kernels/errors.ts";
import type { ReactionNetwork } from "../../processes/reaction_network.ts";
import {
  _compile,
  _fire,
  _propensity,
  _Recorder,
  _result,
  _saveUntil,
  _setup,
  type SsaOptions,
  type SsaResult,
} from "./_ssa_common.ts";

/** Philox purpose tag of the direct method ("SSAD"). */
export const SSA_DIRECT_PURPOSE = 0x53534144;
const INV_2_32 = 1 / 4294967296;

/**
 * Exact stochastic simulation by Gillespie's direct method (J. Phys. Chem.
 * 81, 2340, 1977, §III): in state x with propensities a_j and
 * `a₀ = Σ a_j`, wait `τ = −ln(u₁)/a₀` and fire the first j with
 * `Σ_{k≤j} a_k > u₂·a₀`. After a firing only the propensities in the
 * dependency graph of the fired reaction are recomputed (Gibson & Bruck
 * 2000, §3.2); a₀ is re-summed each step, so it never drifts.
 *
 * Randomness: firing m of path p uses words 2(m mod 2) and 2(m mod 2) + 1
 * of the Philox block with counter `(pathOffset + p, ⌊m/2⌋,
 * SSA_DIRECT_PURPOSE, 0)`, so a path does not depend on the batch it runs
 * in. A path stops early, recording its absorption time, in a state where
 * no reaction can fire.
 *
 * @param network the reaction network
 * @param options end time, save times, paths, key, initial counts, …
 * @returns counts at the save times, firings per reaction, steps, absorption times
 * @throws {SdenoRangeError} for tEnd ≤ 0, bad save times or initial counts
 * @throws {NumericalError} when a path exceeds maxSteps
 *
 * @example Pure death from 5: absorbed, with 5 firings
 * ```ts
 * import { parseReactionNetwork } from "../../processes/reaction_network_parse.ts";
 * import { ssaDirect } from "./ssa_direct.ts";
 * import assert from "node:assert/strict";
 * const net = parseReactionNetwork("species X = 5\nX -> 0 @ 1");
 * const r = ssaDirect(net, { tEnd: 1000, saveTimes: [0, 1000] });
 * assert.deepEqual([...r.counts], [5, 0]);
 * assert.equal(r.firings[0], 5);
 * assert.ok(r.absorptionTime[0]! < 1000);
 * ```
 */
export function ssaDirect(network: ReactionNetwork, options: SsaOptions): SsaResult {
  const what = "Cannot run the SSA direct method";
  const s = _setup(what, network, options);
  const k = _compile(network);
  const res = _result(network, s);
  const { ns, nr, dStart, dl } = k;
  const { saveTimes, tEnd, maxSteps } = s;
  const nSave = saveTimes.length;
  const seed = s.key.seed, stream = s.key.stream;
  const x = new Float64Array(ns);
  const a = new Float64Array(nr);
  const w = new Uint32Array(4);
  for (let p = 0; p < s.paths; p++) {
    const pathId = s.pathOffset + p;
    const base = p * nSave * ns;
    const fire = res.firings.subarray(p * nr, (p + 1) * nr);
    const rec = s.trajectory ? new _Recorder() : undefined;
    x.set(s.x0);
    rec?.push(0, x);
    for (let j = 0; j < nr; j++) a[j] = _propensity(k, j, x);
    let t = 0;
    let si = 0;
    let m = 0;
    for (;;) {
      let a0 = 0;
      for (let j = 0; j < nr; j++) a0 += a[j]!;
      if (!(a0 > 0)) {
        if (a0 !== 0) {
          throw new NumericalError(`${what}: total propensity is ${a0} on path ${pathId}`, {
            step: m,
            time: t,
            index: pathId,
          });
        }
        res.absorptionTime[p] = t;
        break;
      }
      const lane = (m & 1) << 1;
      if (lane === 0) _philoxBlock(pathId, m >>> 1, SSA_DIRECT_PURPOSE, 0, seed, stream, w);
      const u1 = (w[lane]! + 0.5) * INV_2_32;
      const u2 = (w[lane + 1]! + 0.5) * INV_2_32;
      const tNew = t - Math.log(u1) / a0;
      if (tNew > tEnd) break;
      si = _saveUntil(res.counts, base, saveTimes, si, tNew, x);
      // select the reaction: first j with cumulative sum > u2·a0 (skipping a_j = 0)
      const target = u2 * a0;
      let acc = 0;
      let j = 0;
      let last = -1;
      for (; j < nr; j++) {
        const aj = a[j]!;
        if (aj > 0) {
          acc += aj;
          last = j;
          if (acc > target) break;
        }
      }
      if (j === nr) j = last; // rounding: the sum fell just short of target
      _fire(k, j, x);
      fire[j] = fire[j]! + 1;
      for (let q = dStart[j]!; q < dStart[j + 1]!; q++) {
        const r = dl[q]!;
        a[r] = _propensity(k, r, x);
      }
      t = tNew;
      m++;
      rec?.push(t, x);
      if (m >= maxSteps) {
        throw new NumericalError(
          `${what}: path ${pathId} exceeded maxSteps = ${maxSteps} at t = ${t}`,
          { step: m, time: t, index: pathId },
        );
      }
    }
    _saveUntil(res.counts, base, saveTimes, si, Infinity, x);
    res.steps[p] = m;
    if (rec) res.trajectories!.push(rec.done());
  }
  return res;
}
