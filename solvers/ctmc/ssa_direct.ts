/**
 * Gillespie's direct method.
 *
 * @module
 */

import { _PathExpUniforms } from "../../processes/_uniform_stream.ts";
import type { ReactionNetwork } from "../../processes/reaction_network.ts";
import {
  _compile,
  _Recorder,
  _result,
  _saveUntil,
  _setup,
  _ssaCodegen,
  type SsaOptions,
  type SsaResult,
} from "./_ssa_common.ts";
import { wasmLanePaths } from "./_direct_wasm.ts";
import { directLoop, type DirectState } from "./_direct_loop.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import type { SsaPathMethod } from "./registry.ts";
import { attachLazyDisplay } from "../../io/_jupyter_display.ts";

/**
 * Exact stochastic simulation by Gillespie's direct method (J. Phys. Chem.
 * 81, 2340, 1977, §III): in state x with propensities a_j and
 * `a₀ = Σ a_j`, wait `τ = −ln(u₁)/a₀` and fire the first j with
 * `Σ_{k≤j} a_k > u₂·a₀`. After a firing only the propensities in the
 * dependency graph of the fired reaction are recomputed (Gibson & Bruck
 * 2000, §3.2); a₀ is re-summed each step, so it never drifts.
 *
 * Networks of up to 256 reactions are compiled (with `new Function`, which
 * needs no permission) into a loop with the counts and propensities in local
 * variables and each mass-action propensity written out for its reaction
 * orders; larger networks, or hosts that forbid `new Function`, run a plain
 * typed-array loop. Both give the same numbers. The Philox blocks, and the
 * logs of the waiting times (`_log`, within 1 ulp of `Math.log` and several
 * times cheaper), are computed in batches in WebAssembly where it is
 * available, with a bit-identical JavaScript fallback.
 *
 * Randomness: firing m of path p uses words 2(m mod 2) and 2(m mod 2) + 1
 * of the Philox block with counter `(pathOffset + p, ⌊m/2⌋,
 * PHILOX_PURPOSES.ssaDirect, 0)`, so a path does not depend on the batch it runs
 * in. A path stops early, recording its absorption time, in a state where
 * no reaction can fire.
 *
 * In a notebook (`deno jupyter`) the result displays itself: the counts, the
 * firings and a plot (io/jupyter.ts, through a non-enumerable
 * `Symbol.for("Jupyter.display")`, invisible to JSON and `deepEqual`).
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
  const s = _setup(WHAT, network, options);
  const k = _compile(network);
  const res = _result(network, s);
  const { ns, nr } = k;
  const nSave = s.saveTimes.length;
  const run = directLoop(network, k, WHAT);
  const state: DirectState = {
    x: new Float64Array(ns),
    fire: res.firings,
    counts: res.counts,
    base: 0,
    saveTimes: s.saveTimes,
    tEnd: s.tEnd,
    maxSteps: s.maxSteps,
    draws: new _PathExpUniforms(s.key, PHILOX_PURPOSES.ssaDirect),
    rec: undefined,
    pathId: 0,
    t: 0,
    m: 0,
    si: 0,
    wi: 0,
    wn: 0,
    absorbed: false,
  };
  const runPath = (p: number) => {
    state.pathId = s.pathOffset + p;
    state.base = p * nSave * ns;
    state.fire = res.firings.subarray(p * nr, (p + 1) * nr);
    state.rec = s.trajectory ? new _Recorder() : undefined;
    state.draws.reset(state.pathId);
    state.x.set(s.x0);
    state.rec?.push(0, state.x);
    run(state);
    if (state.absorbed) res.absorptionTime[p] = state.t;
    _saveUntil(res.counts, state.base, s.saveTimes, state.si, Infinity, state.x);
    res.steps[p] = state.m;
    if (state.rec) res.trajectories!.push(state.rec.done());
  };
  // many paths without trajectories: four at a time in the WebAssembly lanes, same numbers
  const inLanes = !s.trajectory && s.paths >= 2 && _ssaCodegen() && wasmLanePaths(
    network,
    k,
    {
      tEnd: s.tEnd,
      saveTimes: s.saveTimes,
      key: s.key,
      firstPath: s.pathOffset,
      x0: s.x0,
      maxSteps: s.maxSteps,
    },
    s.paths,
    WHAT,
    {
      counts: res.counts,
      steps: res.steps,
      absorbed: new Uint8Array(s.paths),
      firings: res.firings,
      absorptionTime: res.absorptionTime,
    },
    runPath,
  );
  if (!inLanes) { for (let p = 0; p < s.paths; p++) runPath(p); }
  // displays itself in Jupyter (io/jupyter.ts), through a non-enumerable method
  return attachLazyDisplay(res);
}

const WHAT = "Cannot run the SSA direct method";

/**
 * {@linkcode ssaDirect} as a declared method of {@linkcode SSA_METHODS}:
 * `direct`, also known as `gillespie`, `ssa` (GillesPy2's SSA solvers,
 * JumpProcesses.jl's `Direct()`) and `ssa-direct`.
 *
 * @example Run it through its declaration
 * ```ts
 * import { ssaDirectMethod } from "./ssa_direct.ts";
 * import { parseReactionNetwork } from "../../processes/reaction_network_parse.ts";
 * import assert from "node:assert/strict";
 * assert.ok(ssaDirectMethod.info.exact);
 * const r = ssaDirectMethod.run(parseReactionNetwork("species X = 2\nX -> 0 @ 1"), { tEnd: 1e3 });
 * assert.equal(r.firings[0], 2);
 * ```
 */
export const ssaDirectMethod: SsaPathMethod = Object.freeze({
  info: Object.freeze(
    {
      family: "ssa",
      name: "direct",
      aliases: ["gillespie", "ssa", "ssa-direct"],
      summary: "Gillespie's direct method (1977): exact, a generated float64 loop per network",
      stochastic: true,
      exact: true,
      output: "paths",
      backends: ["cpu"],
      precision: { cpu: "f64" },
      purpose: PHILOX_PURPOSES.ssaDirect,
    } as const,
  ),
  run: ssaDirect,
});
