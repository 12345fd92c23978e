// The direct method's inner loop (Gillespie 1977), shared by ssaDirect and
// the float64 cpu ensemble (in this thread and in its workers): a loop
// generated per network, or the plain typed-array loop, both giving the same
// numbers; and directPaths, which runs a range of paths and keeps only their
// counts at the save times (in the WebAssembly lanes of _direct_wasm.ts when
// the network fits them, with the same numbers). Private: no mod.ts
// re-exports this file.

import { _PathExpUniforms } from "../../processes/_uniform_stream.ts";
import type { ReactionNetwork } from "../../processes/reaction_network.ts";
import {
  _checkCustom,
  type _Compiled,
  type _Fail,
  _failFor,
  _fire,
  _literal,
  _propensityFast,
  _propensitySource,
  type _Recorder,
  _saveUntil,
  _ssaCodegen,
  COUNT_MAX,
} from "./_ssa_common.ts";
import type { Key } from "../../kernels/philox.ts";
import { wasmLanePaths } from "./_direct_wasm.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";

/** Largest network compiled to JavaScript (the selection is a chain of `if`s). */
const MAX_GENERATED = 256;
/** Largest mass-action network (reactions, species) selected and fired without branches. */
const BRANCH_FREE_MAX = 16;
/** Blocks of one path are indexed by ⌊m/2⌋ as a u32 (m mod 2³²): batches stop at the wrap. */
const BLOCK_WRAP = 2147483648;
/**
 * Firings per call of a generated loop's chunk. A path runs as many calls of
 * one function, so V8 optimises that function at its entry after a few
 * calls. As one long loop, a path ran in on-stack-replaced code that reached
 * full speed only after several paths (about 15e6 firings/s for the first
 * Schlögl path, 25e6 from the sixth).
 */
const CHUNK_FIRINGS = 4096;

/** One path's inputs and, after the loop, its outputs (t, m, si, absorbed, x). */
export interface DirectState {
  x: Float64Array;
  fire: Float64Array;
  counts: Float64Array;
  base: number;
  saveTimes: Float64Array;
  tEnd: number;
  maxSteps: number;
  draws: _PathExpUniforms;
  rec: _Recorder | undefined;
  pathId: number;
  t: number;
  m: number;
  si: number;
  /** Next unused word pair of `draws.pairs`, and the end of the filled part (generated loop). */
  wi: number;
  wn: number;
  absorbed: boolean;
}

export type DirectLoop = (st: DirectState) => void;

const loops = new WeakMap<ReactionNetwork, Map<string, DirectLoop>>();

/**
 * The loop for a network: generated once per network (and error prefix)
 * when allowed, else the plain one.
 *
 * @param net the network
 * @param k the network compiled
 * @param what the prefix of its errors
 * @returns the loop
 */
export function directLoop(net: ReactionNetwork, k: _Compiled, what: string): DirectLoop {
  const fail: _Fail = _failFor(what, net.species);
  if (!_ssaCodegen() || k.nr > MAX_GENERATED) return (st) => _plainLoop(k, st, fail);
  let byWhat = loops.get(net);
  if (byWhat === undefined) loops.set(net, byWhat = new Map());
  let run = byWhat.get(what);
  if (run === undefined) {
    try {
      run = _generateLoop(k, fail);
    } catch {
      run = (st) => _plainLoop(k, st, fail);
    }
    byWhat.set(what, run);
  }
  return run;
}

/** What {@linkcode directPaths} needs: the checked options of a run. */
export interface DirectPlan {
  tEnd: number;
  saveTimes: Float64Array;
  key: Key;
  /** Counter word of the run's path 0. */
  pathOffset: number;
  x0: Float64Array;
  maxSteps: number;
}

/** What {@linkcode directPaths} gives for its paths. */
export interface DirectPathsResult {
  /** Counts at the save times, paths × saves × species. */
  counts: Float64Array;
  /** Firings per path. */
  steps: Float64Array;
  /** 1 for a path absorbed before tEnd. */
  absorbed: Uint8Array;
}

/**
 * Runs paths `start … start + count − 1` of a run (path p draws with counter
 * word `plan.pathOffset + p`, as {@linkcode ssaDirect}'s path p) and keeps
 * their counts at the save times, firings and absorption.
 *
 * @param net the network
 * @param k the network compiled
 * @param plan times, key, initial counts, maxSteps
 * @param range the first path and the number of paths
 * @param what the prefix of its errors
 * @returns the paths' counts, firings and absorption flags
 * @throws {NumericalError} as ssaDirect, at the first path that fails
 */
export function directPaths(
  net: ReactionNetwork,
  k: _Compiled,
  plan: DirectPlan,
  range: { start: number; count: number },
  what: string,
): DirectPathsResult {
  const { ns, nr } = k;
  const nSave = plan.saveTimes.length;
  const out: DirectPathsResult = {
    counts: new Float64Array(range.count * nSave * ns),
    steps: new Float64Array(range.count),
    absorbed: new Uint8Array(range.count),
  };
  const newState = (): DirectState => ({
    x: new Float64Array(ns),
    fire: new Float64Array(nr),
    counts: out.counts,
    base: 0,
    saveTimes: plan.saveTimes,
    tEnd: plan.tEnd,
    maxSteps: plan.maxSteps,
    draws: new _PathExpUniforms(plan.key, PHILOX_PURPOSES.ssaDirect),
    rec: undefined,
    pathId: 0,
    t: 0,
    m: 0,
    si: 0,
    wi: 0,
    wn: 0,
    absorbed: false,
  });
  // path q of the range starts in state st
  const begin = (st: DirectState, q: number) => {
    st.pathId = plan.pathOffset + range.start + q;
    st.base = q * nSave * ns;
    st.draws.reset(st.pathId);
    st.x.set(plan.x0);
    st.t =
      st.m =
      st.si =
      st.wi =
      st.wn =
        0;
    st.absorbed = false;
  };
  // path q of the range, ended in st, gives its outputs
  const finish = (st: DirectState, q: number) => {
    _saveUntil(out.counts, st.base, plan.saveTimes, st.si, Infinity, st.x);
    out.steps[q] = st.m;
    if (st.absorbed) out.absorbed[q] = 1;
  };
  const run = directLoop(net, k, what);
  if (range.count >= 2 && _ssaCodegen()) {
    const lanePlan = {
      tEnd: plan.tEnd,
      saveTimes: plan.saveTimes,
      key: plan.key,
      firstPath: plan.pathOffset + range.start,
      x0: plan.x0,
      maxSteps: plan.maxSteps,
    };
    const alone = (q: number) => {
      const st = newState();
      begin(st, q);
      run(st);
    };
    if (wasmLanePaths(net, k, lanePlan, range.count, what, out, alone)) return out;
  }
  const state = newState();
  for (let q = 0; q < range.count; q++) {
    begin(state, q);
    run(state);
    finish(state, q);
  }
  return out;
}

/** The direct method on typed arrays, for any network. */
function _plainLoop(k: _Compiled, st: DirectState, fail: _Fail): void {
  const { nr, dStart, dl, cStart, cs, cd } = k;
  const { x, fire, counts, base, saveTimes, tEnd, maxSteps, draws, rec, pathId } = st;
  const pairs = draws.pairs;
  const ns = x.length, nSave = saveTimes.length;
  const a = new Float64Array(nr);
  for (let j = 0; j < nr; j++) a[j] = _propensityFast(k, j, x);
  let t = 0, si = 0, m = 0, wi = 0, wn = 0;
  let next = nSave > 0 ? saveTimes[0]! : Infinity;
  st.absorbed = false;
  for (;;) {
    let a0 = 0;
    for (let j = 0; j < nr; j++) a0 += a[j]!;
    if (!(a0 > 0)) {
      if (a0 !== 0) fail(0, pathId, m, t, a0);
      st.absorbed = true;
      break;
    }
    if (wi === wn) {
      const b = m >>> 1;
      wn = draws.refill(b, BLOCK_WRAP - b);
      wi = 0;
    }
    const e1 = pairs[wi]!, u2 = pairs[wi + 1]!;
    wi += 2;
    const tNew = t + e1 / a0;
    if (tNew > tEnd) break;
    // a waiting time of at least its mean (e1 ≥ 1) that leaves t unchanged:
    // 1/a0 is below the resolution of t, and the clock has stopped (an
    // infinite a0 always ends here: at most a few firings, never recorded,
    // run before the first e1 ≥ 1)
    if (tNew === t && e1 >= 1) fail(a0 === Infinity ? 0 : 2, pathId, m, t, a0);
    while (next < tNew) {
      const o = base + si * ns;
      for (let i = 0; i < ns; i++) counts[o + i] = x[i]!;
      si++;
      next = si < nSave ? saveTimes[si]! : Infinity;
    }
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
    for (let q = cStart[j]!; q < cStart[j + 1]!; q++) {
      if (cd[q]! > 0 && x[cs[q]!]! > COUNT_MAX) fail(3, pathId, m, t, cs[q]!);
    }
    fire[j] = fire[j]! + 1;
    for (let q = dStart[j]!; q < dStart[j + 1]!; q++) {
      const r = dl[q]!;
      a[r] = _propensityFast(k, r, x);
    }
    t = tNew;
    m++;
    rec?.push(t, x);
    if (m >= maxSteps) fail(1, pathId, m, t, 0);
  }
  st.t = t;
  st.m = m;
  st.si = si;
}

/**
 * Compiles the direct method for one network: counts in locals `x0, x1, …`
 * (in the array `x` when a propensity is custom code, which reads it),
 * propensities in locals `p0, p1, …`, the sums in the plain loop's order, the
 * selection as a chain of `if`s and each reaction's firing (state change,
 * firing count, dependent propensities) as one `case`.
 */
function _generateLoop(k: _Compiled, fail: _Fail): DirectLoop {
  const { ns, nr, dStart, dl, cStart, cs, cd } = k;
  const inArray = k.custom.some((f) => f !== undefined);
  const X = (i: number) => (inArray ? `x[${i}]` : `x${i}`);
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const prop = range(nr).map((j) => _propensitySource(k, j, X));
  // small mass-action networks select and fire without branches (see below);
  // d<i>[j] is the change of species i when reaction j fires
  const branchFree = !inArray && nr <= BRANCH_FREE_MAX && ns <= BRANCH_FREE_MAX;
  const deltas = range(ns).map(() => new Float64Array(nr));
  for (let j = 0; j < nr; j++) {
    for (let q = cStart[j]!; q < cStart[j + 1]!; q++) deltas[cs[q]!]![j] = cd[q]!;
  }
  const changed = range(ns).filter((i) => deltas[i]!.some((v) => v !== 0));
  // counts that can grow are checked after each firing that may grow them
  const grows = range(ns).filter((i) => deltas[i]!.some((v) => v > 0));
  const guard = (i: number) => `if (${X(i)} > ${COUNT_MAX}) fail(3, pathId, m, t, ${i});`;
  const lines: string[] = [];
  const put = (...l: string[]) => lines.push(...l);
  // A chunk runs up to `budget` firings and saves the path's state in st; the
  // next one reloads it and recomputes the propensities from the counts, which
  // gives the same numbers, so a path's firings do not depend on the chunking.
  put(
    `"use strict";`,
    `const chunk = function directChunk(st, budget) {`,
    `const x = st.x, fire = st.fire, counts = st.counts, base = st.base;`,
    `const saveTimes = st.saveTimes, tEnd = st.tEnd, maxSteps = st.maxSteps;`,
    `const draws = st.draws, pairs = draws.pairs, rec = st.rec, pathId = st.pathId;`,
    `const nSave = saveTimes.length;`,
    `let t = st.t, si = st.si, m = st.m, wi = st.wi, wn = st.wn;`,
    `const mStop = m + budget;`,
    `let next = si < nSave ? saveTimes[si] : Infinity;`,
    `let done = true;`,
  );
  if (!inArray) put(...range(ns).map((i) => `let x${i} = x[${i}];`));
  if (branchFree) put(...changed.map((i) => `const d${i} = deltas[${i}];`));
  put(...range(nr).map((j) => `let p${j} = ${prop[j]};`));
  put(
    `for (;;) {`,
    `if (m >= mStop) { done = false; break; }`,
    `const a0 = 0${range(nr).map((j) => ` + p${j}`).join("")};`,
    `if (!(a0 > 0)) {`,
    `if (a0 !== 0) fail(0, pathId, m, t, a0);`,
    `st.absorbed = true;`,
    `break;`,
    `}`,
    `if (wi === wn) { const b = m >>> 1; wn = draws.refill(b, ${BLOCK_WRAP} - b); wi = 0; }`,
    `const e1 = pairs[wi], u2 = pairs[wi + 1];`,
    `wi += 2;`,
    `const tNew = t + e1 / a0;`,
    `if (tNew > tEnd) break;`,
    `if (tNew === t && e1 >= 1) fail(a0 === Infinity ? 0 : 2, pathId, m, t, a0);`,
    `while (next < tNew) {`,
    `const o = base + si * ${ns};`,
    ...range(ns).map((i) => `counts[o + ${i}] = ${X(i)};`),
    `si++;`,
    `next = si < nSave ? saveTimes[si] : Infinity;`,
    `}`,
    `const target = u2 * a0;`,
  );
  if (branchFree) {
    // Every propensity is ≥ 0 here, so the partial sums c_k = a_0 + … + a_k
    // never decrease (adding a zero leaves them unchanged) and the first k
    // with c_k > target, the reaction the loop below selects, is the number of
    // k with c_k ≤ target. Counting compiles to flag arithmetic, not to a
    // branch the CPU mispredicts at about every other firing.
    put(`let c = 0, j = 0;`);
    for (let q = 0; q < nr; q++) put(`c += p${q};`, `j += c <= target ? 1 : 0;`);
    put(
      `if (j === ${nr}) {`,
      // rounding: the sum fell just short of target; the last positive one, as below
      `j = -1;`,
      ...range(nr).map((q) => `if (p${q} > 0) j = ${q};`),
      `}`,
      ...changed.map((i) => `x${i} = x${i} + d${i}[j];`),
      ...grows.map(guard),
      `fire[j] = fire[j] + 1;`,
      // recomputing an unaffected propensity gives the same number
      ...range(nr).map((q) => `p${q} = ${prop[q]};`),
    );
  } else {
    put(
      `let acc = 0, j = -1, last = -1;`,
      `select: {`,
      ...range(nr).map((j) =>
        `if (p${j} > 0) { acc += p${j}; if (acc > target) { j = ${j}; break select; } last = ${j}; }`
      ),
      `j = last;`,
      `}`,
      `switch (j) {`,
    );
    for (let j = 0; j < nr; j++) {
      put(`case ${j}:`);
      for (let q = cStart[j]!; q < cStart[j + 1]!; q++) {
        put(`${X(cs[q]!)} = ${X(cs[q]!)} + ${_literal(cd[q]!)};`);
        if (cd[q]! > 0) put(guard(cs[q]!));
      }
      put(`fire[${j}] = fire[${j}] + 1;`);
      for (let q = dStart[j]!; q < dStart[j + 1]!; q++) put(`p${dl[q]!} = ${prop[dl[q]!]};`);
      put(`break;`);
    }
    put(`}`);
  }
  put(
    `t = tNew;`,
    `m++;`,
    `if (rec !== undefined) {`,
    ...(inArray ? [] : range(ns).map((i) => `x[${i}] = x${i};`)),
    `rec.push(t, x);`,
    `}`,
    `if (m >= maxSteps) fail(1, pathId, m, t, 0);`,
    `}`,
  );
  if (!inArray) put(...range(ns).map((i) => `x[${i}] = x${i};`));
  put(
    `st.t = t;`,
    `st.m = m;`,
    `st.si = si;`,
    `st.wi = wi;`,
    `st.wn = wn;`,
    `return done;`,
    `};`,
    `return function directLoop(st) {`,
    `st.t = 0;`,
    `st.m = 0;`,
    `st.si = 0;`,
    `st.wi = 0;`,
    `st.wn = 0;`,
    `st.absorbed = false;`,
    `while (!chunk(st, ${CHUNK_FIRINGS})) {}`,
    `};`,
  );
  const factory = new Function("fail", "check", "custom", "deltas", lines.join("\n"));
  return factory(fail, _checkCustom, k.custom, deltas) as DirectLoop;
}
