// Everything exact on the tiny benchmark (tests/fixtures/discrete): marginals,
// ratios, x0 conditionals, their conversions, the exact reverse kernel, and
// the exact output law (hence TV to p0) of every sampler with a reference,
// all to 1e-9. Plus exact properties of the steps without stored numbers:
// SEDD's analytic step is the per-position marginal of the exact reverse
// kernel, and ReMDM keeps the forward marginals of a single token.
import assert from "node:assert/strict";
import { benchmarkP0, benchmarkProcess, FIXTURE, L, maxAbsDiff, V } from "./_benchmark.ts";
import { exactDiscreteModel } from "../../../solvers/discrete/exact_discrete_model.ts";
import { allSequences } from "../../../solvers/discrete/sequence_space.ts";
import {
  exactReverseKernel,
  sequenceMarginal,
} from "../../../solvers/discrete/sequence_marginal.ts";
import { ratiosFromX0, x0FromRatios } from "../../../solvers/discrete/convert_discrete_model.ts";
import {
  exactOutputDistribution,
  exactStepKernel,
  unmaskedPart,
} from "../../../solvers/discrete/exact_output_distribution.ts";
import { DISCRETE_METHODS } from "../../../solvers/discrete/registry.ts";
import { maskedProcess } from "../../../solvers/discrete/discrete_process.ts";
import { logLinearSchedule } from "../../../solvers/discrete/discrete_schedule.ts";

const TOL = 1e-9;
const KINDS = ["uniform", "masked"] as const;
const p0 = benchmarkP0();

Deno.test("benchmarkP0() is the fixture's p0 (rounded to 12 decimals)", () => {
  assert.ok(maxAbsDiff(p0, FIXTURE.p0) < 1e-12);
});

for (const kind of KINDS) {
  const process = benchmarkProcess(kind);
  const ref = FIXTURE.processes[kind];
  const model = exactDiscreteModel(process, p0, L);
  const z = allSequences(process.states, L);

  Deno.test(`sequenceMarginal() matches the exact ${kind} marginals`, () => {
    for (const t of Object.keys(ref.marginals)) {
      const e = maxAbsDiff(sequenceMarginal(process, p0, L, Number(t)), ref.marginals[t]);
      assert.ok(e < TOL, `t = ${t}: ${e}`);
      assert.ok(maxAbsDiff(model.marginal(Number(t)), ref.marginals[t]) < TOL);
    }
  });

  Deno.test(`exactDiscreteModel() gives the exact ${kind} ratios and x0 conditionals`, () => {
    for (const t of Object.keys(ref.ratios)) {
      const r = model.ratios(z, Number(t));
      const x = model.x0(z, Number(t));
      assert.ok(maxAbsDiff(r, ref.ratios[t]) < TOL, `ratios at t = ${t}`);
      assert.ok(maxAbsDiff(x, ref.x0_conditionals[t]) < TOL, `x0 at t = ${t}`);
    }
  });

  Deno.test(`x0FromRatios() and ratiosFromX0() convert the exact ${kind} tables`, () => {
    for (const t of Object.keys(ref.ratios)) {
      const r = Float64Array.from(ref.ratios[t].flat(2) as number[]);
      const x = Float64Array.from(ref.x0_conditionals[t].flat(2) as number[]);
      assert.ok(maxAbsDiff(x0FromRatios(process, z, r, Number(t)), ref.x0_conditionals[t]) < TOL);
      const back = ratiosFromX0(process, z, x, Number(t));
      // at an unmasked token of the masked process the ratios are not determined by x0
      let e = 0;
      for (let k = 0; k < back.length; k++) {
        const zi = z[Math.floor(k / V)]!;
        if (kind === "masked" && zi !== process.mask) continue;
        e = Math.max(e, Math.abs(back[k]! - r[k]!));
      }
      assert.ok(e < TOL, `t = ${t}: ${e}`);
    }
  });

  Deno.test(`exactReverseKernel() matches the stored ${kind} kernel rows p(z_0.4 | z_0.6)`, () => {
    const K = exactReverseKernel(process, p0, L, 0.6, 0.4);
    const N = process.states ** L;
    for (const [row, values] of Object.entries(ref["kernel_t0.6_s0.4_rows"])) {
      const r = Number(row);
      assert.ok(maxAbsDiff(K.subarray(r * N, (r + 1) * N), values) < TOL, `row ${r}`);
    }
  });

  for (
    const [name, byN] of Object.entries(ref.samplers) as [
      string,
      Record<string, { tv_to_p0: number; unresolved_mass: number; output?: number[] }>,
    ][]
  ) {
    Deno.test(`exactOutputDistribution(${name}) reproduces the ${kind} TVs at 4, 16, 64, 256 steps`, async () => {
      for (const output of ["ratios", "x0"] as const) {
        const m = exactDiscreteModel(process, p0, L, { output });
        const start = m.marginal(1);
        for (const [n, want] of Object.entries(byN)) {
          const { distribution } = await exactOutputDistribution(name, m, {
            steps: Number(n),
            start,
          });
          const { data, masked } = unmaskedPart(process, L, distribution);
          let tv = masked;
          for (let j = 0; j < data.length; j++) tv += Math.abs(data[j]! - p0[j]!);
          tv /= 2;
          assert.ok(
            Math.abs(tv - want.tv_to_p0) < TOL,
            `${output} n = ${n}: ${tv} vs ${want.tv_to_p0}`,
          );
          assert.ok(Math.abs(masked - want.unresolved_mass) < TOL);
          if (want.output) assert.ok(maxAbsDiff(data, want.output) < TOL, `output at n = ${n}`);
        }
      }
    });
  }

  Deno.test(`sedd_analytic's ${kind} step is the per-position marginal of the exact reverse kernel`, async () => {
    for (const [t, s] of [[0.6, 0.4], [1, 0.75], [0.25, 0]]) {
      const K = exactReverseKernel(process, p0, L, t!, s!);
      const A = await exactStepKernel("sedd_analytic", model, t!, s!);
      const N = process.states ** L, S = process.states;
      const marg = new Float64Array(L * S);
      let e = 0;
      for (let a = 0; a < N; a++) {
        marg.fill(0);
        for (let b = 0; b < N; b++) {
          for (let i = 0, r = b; i < L; i++, r = Math.floor(r / S)) {
            marg[(L - 1 - i) * S + (r % S)]! += K[a * N + b]!;
          }
        }
        for (let b = 0; b < N; b++) {
          let prod = 1;
          for (let i = 0, r = b; i < L; i++, r = Math.floor(r / S)) {
            prod *= marg[(L - 1 - i) * S + (r % S)]!;
          }
          e = Math.max(e, Math.abs(prod - A[a * N + b]!));
        }
      }
      assert.ok(e < 1e-12, `t = ${t}, s = ${s}: ${e}`);
    }
  });
}

Deno.test("sedd_analytic and remdm with eta = 0 equal mdlm on the masked benchmark", async () => {
  const process = benchmarkProcess("masked");
  const model = exactDiscreteModel(process, p0, L);
  const mdlm = await exactStepKernel("mdlm", model, 0.6, 0.4);
  const analytic = await exactStepKernel("sedd_analytic", model, 0.6, 0.4);
  const remdm0 = await exactStepKernel("remdm", model, 0.6, 0.4, { remask: { eta: 0 } });
  const remdm = await exactStepKernel("remdm", model, 0.6, 0.4, { remask: { eta: 0.2 } });
  assert.ok(maxAbsDiff(analytic, [...mdlm]) < 1e-13);
  assert.ok(maxAbsDiff(remdm0, [...mdlm]) < 1e-13);
  assert.ok(maxAbsDiff(remdm, [...mdlm]) > 0.01); // remasking changes the kernel
});

Deno.test("remdm (cap and rescale) carries a single token's exact p_t to p_s", async () => {
  // For L = 1 the x0 conditional at a MASK is p0 itself, and ReMDM's posterior keeps the
  // forward marginals (Wang et al. 2503.00307 §3): p_t K = p_s for every admissible σ_t.
  const process = maskedProcess(3, logLinearSchedule({ eps: 1e-3 }));
  const q0 = Float64Array.of(0.2, 0.5, 0.3);
  const model = exactDiscreteModel(process, q0, 1, { output: "x0" });
  for (
    const remask of [{ schedule: "cap", eta: 0.3 }, { schedule: "rescale", eta: 0.7 }] as const
  ) {
    for (const [t, s] of [[0.6, 0.4], [0.9, 0.2], [0.3, 0]]) {
      const { distribution } = await exactOutputDistribution("remdm", model, {
        grid: [t!, s!],
        start: model.marginal(t!),
        remask,
      });
      assert.ok(
        maxAbsDiff(distribution, [...model.marginal(s!)]) < 1e-14,
        `${remask.schedule} ${t}→${s}`,
      );
    }
  }
});

Deno.test("every registered method has exact one-step kernels with unit row sums on the benchmark", async () => {
  for (const m of DISCRETE_METHODS.methods) {
    for (const kind of m.info.processes) {
      const process = benchmarkProcess(kind);
      const model = exactDiscreteModel(process, p0, L);
      const K = await exactStepKernel(m, model, 0.5, 0.25);
      const N = process.states ** L;
      for (let a = 0; a < N; a++) {
        const sum = K.subarray(a * N, (a + 1) * N).reduce((x, y) => x + y, 0);
        assert.ok(Math.abs(sum - 1) < 1e-12, `${m.info.name} ${kind} row ${a}: ${sum}`);
      }
    }
  }
});

const SAMPLER_REFERENCE = JSON.parse(
  await Deno.readTextFile(
    new URL("../../fixtures/discrete/sampler_reference.json", import.meta.url),
  ),
);

Deno.test("sedd_analytic and remdm match the independent numpy/scipy reference (4 and 16 steps)", async () => {
  for (const run of SAMPLER_REFERENCE.runs) {
    const process = benchmarkProcess(run.process);
    const model = exactDiscreteModel(process, p0, L);
    const { distribution } = await exactOutputDistribution(run.method, model, {
      steps: run.steps,
      start: model.marginal(1),
      ...(run.remask ? { remask: run.remask } : {}),
    });
    const label = `${run.process} ${run.method} ${JSON.stringify(run.remask ?? {})} ${run.steps}`;
    assert.ok(maxAbsDiff(distribution, run.output) < 1e-12, label);
    const { data, masked } = unmaskedPart(process, L, distribution);
    let tv = masked;
    for (let j = 0; j < data.length; j++) tv += Math.abs(data[j]! - p0[j]!);
    assert.ok(Math.abs(tv / 2 - run.tv_to_p0) < 1e-12, label);
  }
});
