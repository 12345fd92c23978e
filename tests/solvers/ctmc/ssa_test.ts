import assert from "node:assert/strict";
import { ssaDirect } from "../../../solvers/ctmc/ssa_direct.ts";
import { nextReaction } from "../../../solvers/ctmc/next_reaction.ts";
import { firstReaction } from "../../../solvers/ctmc/first_reaction.ts";
import { tauLeaping } from "../../../solvers/ctmc/tau_leaping.ts";
import type { SsaOptions, SsaResult } from "../../../solvers/ctmc/_ssa_common.ts";
import { reactionNetworkFromJson } from "../../../processes/reaction_network_json.ts";
import { parseReactionNetwork } from "../../../processes/reaction_network_parse.ts";
import { ReactionNetwork } from "../../../processes/reaction_network.ts";
import { chiSquareTest, moments } from "../../../stats/mod.ts";
import { makeKey } from "../../../kernels/philox.ts";
import { fixture } from "./_fixtures.ts";

const MODELS = fixture("crn_models.json");
const CME = fixture("cme_reference.json");
const METHODS: Record<string, (n: ReactionNetwork, o: SsaOptions) => SsaResult> = {
  ssaDirect,
  nextReaction,
  firstReaction,
  tauLeaping,
};
const PATHS = 1500;

function column(r: SsaResult, save: number, species: number): Float64Array {
  const ns = r.species.length, nt = r.saveTimes.length;
  return Float64Array.from(
    { length: r.paths },
    (_, p) => r.counts[(p * nt + save) * ns + species]!,
  );
}

for (const [mname, method] of Object.entries(METHODS)) {
  Deno.test(`${mname}() matches CME means, variances and expected firings within 4 SE`, () => {
    for (const model of Object.keys(CME.models)) {
      const net = reactionNetworkFromJson(MODELS, { model });
      const ref = CME.models[model];
      const keys = Object.keys(ref.times);
      const r = method(net, {
        tEnd: ref.t_end,
        saveTimes: keys.map(Number),
        paths: PATHS,
        key: makeKey(2024, 1),
      });
      keys.forEach((tk, s) => {
        net.species.forEach((sp, i) => {
          const m = moments(column(r, s, i));
          const zm = (m.mean - ref.times[tk].mean[sp]) / m.se.mean;
          const zv = (m.variance - ref.times[tk].var[sp]) / m.se.variance;
          assert.ok(Math.abs(zm) < 4, `${model} t=${tk} ${sp}: mean z = ${zm}`);
          assert.ok(Math.abs(zv) < 4, `${model} t=${tk} ${sp}: variance z = ${zv}`);
        });
      });
      const nr = net.reactions.length;
      const total = Float64Array.from({ length: PATHS }, (_, p) => {
        let f = 0;
        for (let j = 0; j < nr; j++) f += r.firings[p * nr + j]!;
        return f;
      });
      const mf = moments(total);
      const zf = (mf.mean - ref.expected_firings_0_to_T) / mf.se.mean;
      assert.ok(Math.abs(zf) < 4, `${model}: firings z = ${zf}`);
    }
  });

  Deno.test(`${mname}() reproduces the exact law of dimerization_small (chi-square)`, () => {
    const net = reactionNetworkFromJson(MODELS, { model: "dimerization_small" });
    const ref = CME.models.dimerization_small.times;
    const keys = Object.keys(ref);
    const r = method(net, { tEnd: 1, saveTimes: keys.map(Number), paths: 4000, key: makeKey(9) });
    keys.forEach((tk, s) => {
      const states = Object.keys(ref[tk].distribution);
      const probs = states.map((k) => ref[tk].distribution[k] as number);
      const obs = new Float64Array(states.length);
      const a = column(r, s, 0), b = column(r, s, 1);
      for (let p = 0; p < r.paths; p++) {
        const k = states.indexOf(`${a[p]},${b[p]}`);
        assert.ok(k >= 0, `unexpected state ${a[p]},${b[p]}`);
        obs[k]! += 1;
      }
      const total = probs.reduce((x, y) => x + y, 0);
      const test = chiSquareTest(obs, probs.map((v) => v / total));
      assert.ok(test.pValue > 1e-4, `t=${tk}: X² = ${test.statistic}, p = ${test.pValue}`);
    });
  });
}

Deno.test("ssaDirect() paths do not depend on the batch they run in", () => {
  const net = parseReactionNetwork("species X = 0\n0 -> X @ 10\nX -> 0 @ 0.1");
  const all = ssaDirect(net, { tEnd: 5, saveTimes: [1, 5], paths: 8, key: makeKey(3) });
  const tail = ssaDirect(net, {
    tEnd: 5,
    saveTimes: [1, 5],
    paths: 3,
    pathOffset: 5,
    key: makeKey(3),
  });
  assert.deepEqual(tail.counts, all.counts.subarray(10));
  assert.deepEqual(tail.firings, all.firings.subarray(10));
});

Deno.test("ssa solvers record at save times, stop on absorbing states and keep counts ≥ 0", () => {
  const net = parseReactionNetwork("species A = 30, B = 0\nA + A -> B @ 0.5");
  for (const [name, m] of Object.entries(METHODS)) {
    const r = m(net, { tEnd: 100, saveTimes: [0, 0.01, 100], paths: 50, trajectory: true });
    for (let p = 0; p < 50; p++) {
      assert.deepEqual([...r.counts.subarray(p * 6, p * 6 + 2)], [30, 0], name);
      assert.deepEqual([...r.counts.subarray(p * 6 + 4, p * 6 + 6)], [0, 15], name);
      assert.ok(r.absorptionTime[p]! < 100, name);
      const tr = r.trajectories![p]!;
      assert.ok(tr.states.every((v) => v >= 0), name);
      assert.deepEqual([...tr.states.subarray(tr.states.length - 2)], [0, 15], name);
    }
  }
});

Deno.test("ssa solvers reject bad input before any work", () => {
  const net = parseReactionNetwork("species A = 3\nA -> 0 @ 1");
  for (const [name, m] of Object.entries(METHODS)) {
    assert.throws(() => m(net, { tEnd: 0 }), /tEnd must be positive, got "0"/, name);
    assert.throws(() => m(net, { tEnd: -1 }), RangeError, name);
    assert.throws(() => m(net, { tEnd: 1, saveTimes: [2] }), /saveTimes/, name);
    assert.throws(() => m(net, { tEnd: 1, initial: { Z: 1 } }), /species "Z"/, name);
    assert.throws(() => m(net, { tEnd: 1, initial: [1, 2] }), TypeError, name);
    assert.throws(() => m(net, { tEnd: 1, initial: { A: -1 } }), RangeError, name);
    assert.throws(() => m(net, { tEnd: 1, paths: 0 }), RangeError, name);
  }
  assert.throws(() => tauLeaping(net, { tEnd: 1, epsilon: 2 }), /epsilon/);
});

Deno.test("tauLeaping() leaps on large counts with a bias within the leap condition's ε", () => {
  const net = parseReactionNetwork("species X = 0\n0 -> X @ 10000\nX -> 0 @ 1");
  const r = tauLeaping(net, { tEnd: 2, saveTimes: [2], paths: 400, key: makeKey(5) });
  const m = moments(r.counts);
  const exact = 1e4 * (1 - Math.exp(-2)); // Poisson mean = variance
  // tau-leaping is weakly first order: its bias is of the order of the relative
  // propensity change ε = 0.03 allowed per leap (Cao, Gillespie & Petzold 2006)
  assert.ok(Math.abs(m.mean - exact) < 0.03 * exact + 4 * m.se.mean, `mean ${m.mean}`);
  assert.ok(Math.abs(m.mean - exact) > 0, "leaps are not exact");
  const meanSteps = r.steps.reduce((a, b) => a + b, 0) / r.paths;
  assert.ok(meanSteps < 2000, `steps ${meanSteps}`); // an exact SSA needs ≈ 2.9e4 firings per path
});

Deno.test("custom propensities run like mass action", () => {
  const mass = parseReactionNetwork("species X = 0\n0 -> X @ 10\nX -> 0 @ 0.5");
  const net = new ReactionNetwork({
    species: [{ name: "X" }],
    reactions: [
      { products: { X: 1 }, propensity: { cpu: () => 10, dependsOn: [] } },
      { reactants: { X: 1 }, propensity: { cpu: (x) => 0.5 * x[0]!, dependsOn: ["X"] } },
    ],
  });
  const a = ssaDirect(net, { tEnd: 3, paths: 20, key: makeKey(1) });
  const b = ssaDirect(mass, { tEnd: 3, paths: 20, key: makeKey(1) });
  assert.deepEqual(a.counts, b.counts);
});
