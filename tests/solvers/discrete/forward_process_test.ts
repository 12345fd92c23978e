// The forward processes off the benchmark: a custom schedule (σ(t) = 1 + 4t,
// σ̄(t) = t + 2t², not log-linear), the semigroup P_{0→s}·P_{s→t} = P_{0→t},
// sequence marginals against a direct sum over data sequences, and the exact
// properties of the analytic steps with this schedule on a random law.
import assert from "node:assert/strict";
import { customDiscreteSchedule } from "../../../solvers/discrete/discrete_schedule.ts";
import {
  type DiscreteProcess,
  maskedProcess,
  tokenTransition,
  uniformProcess,
} from "../../../solvers/discrete/discrete_process.ts";
import {
  exactReverseKernel,
  sequenceMarginal,
} from "../../../solvers/discrete/sequence_marginal.ts";
import { allSequences } from "../../../solvers/discrete/sequence_space.ts";
import { exactDiscreteModel } from "../../../solvers/discrete/exact_discrete_model.ts";
import {
  exactOutputDistribution,
  exactStepKernel,
} from "../../../solvers/discrete/exact_output_distribution.ts";
import { fillUniform } from "../../../kernels/philox.ts";

const schedule = customDiscreteSchedule({
  name: "quadratic",
  sigma: (t) => 1 + 4 * t,
  sigmaBar: (t) => t + 2 * t * t,
});
const L = 3, V = 3;

function randomLaw(n: number, seed: number): Float64Array {
  const u = new Float64Array(n);
  fillUniform(u, { seed, stream: 0 });
  const s = u.reduce((a, b) => a + b, 0);
  return u.map((v) => v / s);
}

const processes: DiscreteProcess[] = [uniformProcess(V, schedule), maskedProcess(V, schedule)];
const p0 = randomLaw(V ** L, 11);

for (const process of processes) {
  const S = process.states;

  Deno.test(`tokenTransition() of the ${process.kind} process is a semigroup with rows summing to 1`, () => {
    for (const [s, t] of [[0.2, 0.7], [0.5, 1], [0, 0.3]]) {
      const A = tokenTransition(process, 0, s!), B = tokenTransition(process, s!, t!);
      const C = tokenTransition(process, 0, t!);
      for (let i = 0; i < S; i++) {
        let row = 0;
        for (let j = 0; j < S; j++) {
          let ab = 0;
          for (let k = 0; k < S; k++) ab += A[i * S + k]! * B[k * S + j]!;
          assert.ok(Math.abs(ab - C[i * S + j]!) < 1e-15, `${s}→${t} [${i},${j}]`);
          row += C[i * S + j]!;
        }
        assert.ok(Math.abs(row - 1) < 1e-15);
      }
    }
    // P_{0→t}(a→a) − P_{0→t}(a→b) = α_t = exp(−σ̄(t)) for both processes
    const P = tokenTransition(process, 0, 0.6);
    assert.ok(Math.abs(P[0]! - P[1]! - Math.exp(-(0.6 + 2 * 0.36))) < 1e-15);
  });

  Deno.test(`sequenceMarginal() of the ${process.kind} process is the direct sum over data`, () => {
    const t = 0.45;
    const P = tokenTransition(process, 0, t);
    const xs = allSequences(V, L), zs = allSequences(S, L);
    const got = sequenceMarginal(process, p0, L, t);
    for (let b = 0; b < S ** L; b++) {
      let want = 0;
      for (let a = 0; a < V ** L; a++) {
        let w = p0[a]!;
        for (let k = 0; k < L; k++) w *= P[xs[a * L + k]! * S + zs[b * L + k]!]!;
        want += w;
      }
      assert.ok(Math.abs(got[b]! - want) < 1e-15, `sequence ${b}`);
    }
  });

  Deno.test(`the ${process.kind} exact model's steps with a custom schedule: analytic = marginals of the exact kernel`, async () => {
    const model = exactDiscreteModel(process, p0, L);
    const [t, s] = [0.8, 0.35];
    const K = exactReverseKernel(process, p0, L, t, s);
    const A = await exactStepKernel("sedd_analytic", model, t, s);
    const N = S ** L;
    let e = 0;
    for (let a = 0; a < N; a++) {
      const marg = new Float64Array(L * S);
      for (let b = 0; b < N; b++) {
        for (let k = L - 1, r = b; k >= 0; k--, r = Math.floor(r / S)) {
          marg[k * S + (r % S)]! += K[a * N + b]!;
        }
      }
      for (let b = 0; b < N; b++) {
        let prod = 1;
        for (let k = L - 1, r = b; k >= 0; k--, r = Math.floor(r / S)) {
          prod *= marg[k * S + (r % S)]!;
        }
        e = Math.max(e, Math.abs(prod - A[a * N + b]!));
      }
    }
    assert.ok(e < 1e-12, `${e}`);
  });
}

Deno.test("with a non-linear α, masked euler differs from mdlm but both land on the data space", async () => {
  const process = maskedProcess(V, schedule);
  const model = exactDiscreteModel(process, p0, L);
  const e = await exactOutputDistribution("euler", model, { steps: 4 });
  const m = await exactOutputDistribution("mdlm", model, { steps: 4 });
  let diff = 0;
  for (let j = 0; j < e.distribution.length; j++) {
    diff = Math.max(diff, Math.abs(e.distribution[j]! - m.distribution[j]!));
  }
  assert.ok(diff > 1e-3, `${diff}`);
  // the last step unmasks everything in both (here h·rate = 1.1 > 1 for euler; α_0 = 1 for mdlm)
  const mask = process.mask;
  const zs = allSequences(process.states, L);
  for (const d of [e.distribution, m.distribution]) {
    let masked = 0;
    for (let j = 0; j < d.length; j++) {
      if (zs.subarray(j * L, j * L + L).includes(mask)) masked += d[j]!;
    }
    assert.ok(masked < 1e-15);
  }
});

Deno.test("mdlm is exact for a single token with a custom schedule and any grid", async () => {
  const process = maskedProcess(4, schedule);
  const q0 = randomLaw(4, 3);
  const model = exactDiscreteModel(process, q0, 1, { output: "x0" });
  const { distribution } = await exactOutputDistribution("mdlm", model, { grid: [1, 0.7, 0.2, 0] });
  for (let c = 0; c < 4; c++) assert.ok(Math.abs(distribution[c]! - q0[c]!) < 1e-14);
});
