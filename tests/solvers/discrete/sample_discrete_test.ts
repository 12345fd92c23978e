// Monte Carlo: sampleDiscrete() draws from the law its exact kernels give.
// For every registered method and process, N sequences sampled on the tiny
// benchmark from the prior are compared with the exact output law pushed
// from the same prior by exactOutputDistribution(): Pearson's chi-square
// (cells pooled to expected counts >= 5) must not reject at p = 1e-4, no
// sample may fall on a sequence of exact probability 0, and the masked mass
// must agree within 4 standard errors, and the empirical law's TV to the
// exact one must stay below its McDiarmid bound at 1e-4. The same test rejects the euler
// samples against tauleap's law, so it has the power to fail.
import assert from "node:assert/strict";
import { benchmarkP0, benchmarkProcess, L } from "./_benchmark.ts";
import { exactDiscreteModel } from "../../../solvers/discrete/exact_discrete_model.ts";
import { exactOutputDistribution } from "../../../solvers/discrete/exact_output_distribution.ts";
import { sampleDiscrete } from "../../../solvers/discrete/sample_discrete.ts";
import { DISCRETE_METHODS } from "../../../solvers/discrete/registry.ts";
import { sequenceIndex } from "../../../solvers/discrete/sequence_space.ts";
import { chiSquareTest } from "../../../stats/chi_square.ts";
import type { DiscreteStepInfo } from "../../../solvers/discrete/sample_discrete.ts";

const N = 100000;
const STEPS = 4;
const p0 = benchmarkP0();
const key = { seed: 2024, stream: 7 };

function counts(x: Int32Array, states: number): Float64Array {
  const c = new Float64Array(states ** L);
  for (let r = 0; r < x.length / L; r++) c[sequenceIndex(x, r * L, L, states)]! += 1;
  return c;
}

function agree(observed: Float64Array, law: Float64Array, label: string): void {
  for (let j = 0; j < law.length; j++) {
    if (law[j]! <= 1e-15) {
      assert.equal(observed[j], 0, `${label}: a sample at impossible sequence ${j}`);
    }
  }
  const test = chiSquareTest(observed, law, { minExpected: 5 });
  // TV of the empirical law: E[TV] <= ½Σ sqrt(p(1−p)/N) (Jensen), and one sample moves
  // TV by at most 1/N, so P(TV > E[TV] + ε) <= exp(−2Nε²) (McDiarmid): ε for 1e-4.
  const n = observed.reduce((a, b) => a + b, 0);
  let tv = 0, mean = 0;
  for (let j = 0; j < law.length; j++) {
    tv += Math.abs(observed[j]! / n - law[j]!) / 2;
    mean += Math.sqrt(law[j]! * (1 - law[j]!) / n) / 2;
  }
  const bound = mean + Math.sqrt(Math.log(1e4) / (2 * n));
  assert.ok(tv < bound, `${label}: TV ${tv} above its bound ${bound}`);
  assert.ok(
    test.pValue > 1e-4,
    `${label}: chi-square ${test.statistic} on ${test.dof} dof, p = ${test.pValue}`,
  );
}

for (const method of DISCRETE_METHODS.methods) {
  for (const kind of method.info.processes) {
    Deno.test(`sampleDiscrete(${method.info.name}) on the ${kind} benchmark follows its exact output law`, async () => {
      const process = benchmarkProcess(kind);
      const model = exactDiscreteModel(process, p0, L, { output: method.info.needs });
      const remask = { schedule: "cap" as const, eta: 0.2 };
      const exact = await exactOutputDistribution(method, model, { steps: STEPS, remask });
      const r = await sampleDiscrete(method, model, { n: N, steps: STEPS, key, remask });
      const c = counts(r.x, process.states);
      agree(c, exact.distribution, `${method.info.name}/${kind}`);
      if (kind === "masked") {
        let pm = 0;
        for (let j = 0; j < c.length; j++) {
          if (hasMask(j, process.states, process.mask)) pm += exact.distribution[j]!;
        }
        const observed = massWithMask(r.x, process.mask) / N;
        if (pm === 0) assert.equal(observed, 0);
        else {
          const z = (observed - pm) / Math.sqrt(pm * (1 - pm) / N);
          assert.ok(Math.abs(z) < 4, `masked mass ${observed} vs ${pm}: z = ${z}`);
        }
      }
      assert.equal(r.nfe, STEPS + (method.info.finalDenoise ? 1 : 0));
    });
  }
}

function hasMask(j: number, states: number, mask: number): boolean {
  for (let k = 0; k < L; k++, j = Math.floor(j / states)) if (j % states === mask) return true;
  return false;
}

function massWithMask(x: Int32Array, mask: number): number {
  let m = 0;
  for (let r = 0; r < x.length / L; r++) if (x.subarray(r * L, r * L + L).includes(mask)) m++;
  return m;
}

Deno.test("the chi-square check rejects euler samples against tauleap's exact law", async () => {
  const process = benchmarkProcess("uniform");
  const model = exactDiscreteModel(process, p0, L);
  const tau = await exactOutputDistribution("tauleap", model, { steps: STEPS });
  const r = await sampleDiscrete("euler", model, { n: N, steps: STEPS, key });
  const test = chiSquareTest(counts(r.x, process.states), tau.distribution, { minExpected: 5 });
  assert.ok(test.pValue < 1e-10, `p = ${test.pValue}`);
});

Deno.test("sampleDiscrete() does not depend on how the batch is split", async () => {
  for (const kind of ["uniform", "masked"] as const) {
    const process = benchmarkProcess(kind);
    const model = exactDiscreteModel(process, p0, L);
    const whole = await sampleDiscrete("euler", model, { n: 10, steps: 8, key });
    const head = await sampleDiscrete("euler", model, { n: 3, steps: 8, key });
    const tail = await sampleDiscrete("euler", model, { n: 7, steps: 8, key, pathOffset: 3 });
    assert.deepEqual([...head.x, ...tail.x], [...whole.x]);
    const other = await sampleDiscrete("euler", model, {
      n: 10,
      steps: 8,
      key: { seed: 1, stream: 0 },
    });
    assert.notDeepEqual([...other.x], [...whole.x]);
  }
});

Deno.test("sampleDiscrete() calls onStep after every step with the grid's times", async () => {
  const process = benchmarkProcess("masked");
  const model = exactDiscreteModel(process, p0, L);
  const seen: Array<[number, number, number, number]> = [];
  let masks = -1;
  const r = await sampleDiscrete("mdlm", model, {
    n: 50,
    steps: 4,
    key,
    onStep: (info: DiscreteStepInfo) => {
      seen.push([info.step, info.t, info.tNext, info.nfe]);
      masks = info.x.filter((c) => c === process.mask).length;
    },
  });
  assert.deepEqual(seen, [[0, 1, 0.75, 1], [1, 0.75, 0.5, 2], [2, 0.5, 0.25, 3], [3, 0.25, 0, 4]]);
  assert.equal(masks, 0);
  assert.equal(r.masksLeft, 0);
});

Deno.test("sampleDiscrete() starts from given sequences", async () => {
  const process = benchmarkProcess("masked");
  const model = exactDiscreteModel(process, p0, L, { output: "x0" });
  // fully unmasked sequences are never changed by mdlm
  const init = Int32Array.of(0, 1, 2, 0, 2, 2, 1, 1);
  const r = await sampleDiscrete("mdlm", model, { init, steps: 3, key });
  assert.deepEqual([...r.x], [...init]);
  assert.equal(r.n, 2);
});

Deno.test("tauleap leaves masks that tauleap_fd fills", async () => {
  const process = benchmarkProcess("masked");
  const model = exactDiscreteModel(process, p0, L);
  const a = await sampleDiscrete("tauleap", model, { n: 200, steps: 4, key });
  const b = await sampleDiscrete("tauleap_fd", model, { n: 200, steps: 4, key });
  assert.ok(a.masksLeft > 0);
  assert.equal(b.masksLeft, 0);
  assert.equal(b.nfe, 5);
});
