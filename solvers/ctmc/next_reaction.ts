/**
 * Gibson & Bruck's next-reaction method.
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

/** An indexed binary min-heap of reaction times (Gibson & Bruck 2000, §3.3). */
class _IndexedHeap {
  heap: Int32Array;
  pos: Int32Array;
  key: Float64Array;
  constructor(n: number) {
    this.heap = new Int32Array(n);
    this.pos = new Int32Array(n);
    this.key = new Float64Array(n);
  }
  build(): void {
    const n = this.heap.length;
    for (let i = 0; i < n; i++) this.heap[i] = this.pos[i] = i;
    for (let i = (n >> 1) - 1; i >= 0; i--) this.#down(i);
  }
  top(): number {
    return this.heap[0]!;
  }
  update(j: number, value: number): void {
    const old = this.key[j]!;
    this.key[j] = value;
    if (value < old) this.#up(this.pos[j]!);
    else this.#down(this.pos[j]!);
  }
  #swap(a: number, b: number): void {
    const ha = this.heap[a]!, hb = this.heap[b]!;
    this.heap[a] = hb;
    this.heap[b] = ha;
    this.pos[hb] = a;
    this.pos[ha] = b;
  }
  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.key[this.heap[parent]!]! <= this.key[this.heap[i]!]!) break;
      this.#swap(i, parent);
      i = parent;
    }
  }
  #down(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < n && this.key[this.heap[l]!]! < this.key[this.heap[m]!]!) m = l;
      if (r < n && this.key[this.heap[r]!]! < this.key[this.heap[m]!]!) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }
}

/**
 * Exact stochastic simulation by the next-reaction method (Gibson & Bruck,
 * J. Phys. Chem. A 104, 1876, 2000, §3): each reaction keeps an absolute
 * putative firing time in an indexed priority queue; after reaction μ fires
 * at t, μ draws a fresh time `t − ln(u)/a_μ` and every other reaction α in
 * μ's dependency graph rescales its time, `τ_α ← t + (a_α,old/a_α,new)(τ_α − t)`
 * (eq. 13), so one uniform is used per firing. A reaction whose propensity
 * comes back from zero draws a fresh time (valid by memorylessness).
 *
 * Uniform k of path p is lane k mod 4 of the Philox block with counter
 * `(pathOffset + p, ⌊k/4⌋, PHILOX_PURPOSES.nextReaction, 0)`.
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
 * @example Pure death from 3
 * ```ts
 * import { parseReactionNetwork } from "../../processes/reaction_network_parse.ts";
 * import { nextReaction } from "./next_reaction.ts";
 * import assert from "node:assert/strict";
 * const net = parseReactionNetwork("species X = 3\nX -> 0 @ 2");
 * const r = nextReaction(net, { tEnd: 1e3, paths: 4 });
 * assert.deepEqual([...r.counts], [0, 0, 0, 0]);
 * assert.deepEqual([...r.steps], [3, 3, 3, 3]);
 * ```
 */
export function nextReaction(network: ReactionNetwork, options: SsaOptions): SsaResult {
  const what = "Cannot run the next-reaction method";
  const s = _setup(what, network, options);
  const k = _compile(network);
  const res = _result(network, s);
  const { ns, nr, dStart, dl } = k;
  const { saveTimes, tEnd, maxSteps } = s;
  const nSave = saveTimes.length;
  const x = new Float64Array(ns);
  const a = new Float64Array(nr);
  const heap = new _IndexedHeap(nr);
  const u = new _UniformStream(s.key, s.pathOffset, PHILOX_PURPOSES.nextReaction);
  const fail: _Fail = _failFor(what, network.species);
  for (let p = 0; p < s.paths; p++) {
    const pathId = s.pathOffset + p;
    u.reset(pathId);
    const base = p * nSave * ns;
    const rec = s.trajectory ? new _Recorder() : undefined;
    x.set(s.x0);
    rec?.push(0, x);
    for (let j = 0; j < nr; j++) {
      a[j] = _propensityFast(k, j, x);
      if (a[j] === Infinity) fail(0, pathId, 0, 0, Infinity);
      heap.key[j] = a[j]! > 0 ? -Math.log(u.next()) / a[j]! : Infinity;
    }
    heap.build();
    let t = 0;
    let si = 0;
    let next = nSave > 0 ? saveTimes[0]! : Infinity;
    let m = 0;
    const fire = res.firings.subarray(p * nr, (p + 1) * nr);
    // a fresh putative time t + e/a, e ~ Exp(1); one of at least its mean
    // (e ≥ 1) that leaves t unchanged means 1/a is below the resolution of t
    const fresh = (rate: number): number => {
      const e = -Math.log(u.next());
      const tau = t + e / rate;
      if (tau === t && e >= 1) fail(2, pathId, m, t, rate);
      return tau;
    };
    for (;;) {
      const mu = heap.top();
      const tNew = heap.key[mu]!;
      if (tNew === Infinity) {
        res.absorptionTime[p] = t;
        break;
      }
      if (tNew > tEnd) break;
      if (next < tNew) {
        si = _saveUntil(res.counts, base, saveTimes, si, tNew, x);
        next = si < nSave ? saveTimes[si]! : Infinity;
      }
      t = tNew;
      _fire(k, mu, x);
      _checkCounts(k, mu, x, fail, pathId, m, t);
      fire[mu] = fire[mu]! + 1;
      for (let q = dStart[mu]!; q < dStart[mu + 1]!; q++) {
        const al = dl[q]!;
        if (al === mu) continue;
        const old = a[al]!;
        const nw = _propensityFast(k, al, x);
        a[al] = nw;
        let tau: number;
        if (!(nw > 0)) tau = Infinity;
        else if (nw === Infinity) fail(0, pathId, m, t, nw);
        else if (old > 0) tau = t + (old / nw) * (heap.key[al]! - t);
        else tau = fresh(nw);
        heap.update(al, tau);
      }
      const am = _propensityFast(k, mu, x);
      a[mu] = am;
      if (am === Infinity) fail(0, pathId, m, t, am);
      heap.update(mu, am > 0 ? fresh(am) : Infinity);
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
 * {@linkcode nextReaction} as a declared method of {@linkcode SSA_METHODS}:
 * `next-reaction`, also known as `nrm` (JumpProcesses.jl's `NRM()`, StochPy)
 * and `gibson-bruck`.
 *
 * @example
 * ```ts
 * import { nextReactionMethod } from "./next_reaction.ts";
 * import assert from "node:assert/strict";
 * assert.ok(nextReactionMethod.info.aliases.includes("nrm"));
 * assert.ok(nextReactionMethod.info.exact);
 * ```
 */
export const nextReactionMethod: SsaPathMethod = Object.freeze({
  info: Object.freeze(
    {
      family: "ssa",
      name: "next-reaction",
      aliases: ["nrm", "gibson-bruck"],
      summary: "Gibson & Bruck's next-reaction method (2000): exact, an indexed priority queue",
      stochastic: true,
      exact: true,
      output: "paths",
      backends: ["cpu"],
      precision: { cpu: "f64" },
      purpose: PHILOX_PURPOSES.nextReaction,
    } as const,
  ),
  run: nextReaction,
});
